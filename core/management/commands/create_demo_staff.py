from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = 'admin'
DEMO_PASSWORD = 'admin'


class Command(BaseCommand):
    help = 'Creates (or resets) the dev-only staff login admin / admin. Refuses to run with DEBUG off.'

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError('create_demo_staff is for development only (DEBUG is off); use createsuperuser.')
        user, created = get_user_model().objects.update_or_create(
            username=DEMO_USERNAME,
            defaults={'email': 'admin@example.com', 'is_staff': True, 'is_superuser': True, 'is_active': True},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=['password'])
        verb = 'Created' if created else 'Reset'
        self.stdout.write(f'{verb} the demo staff login: {DEMO_USERNAME} / {DEMO_PASSWORD} (development only).')
