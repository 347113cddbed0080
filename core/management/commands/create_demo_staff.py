from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = 'admin'
DEMO_PASSWORD = 'admin'


class Command(BaseCommand):
    help = ('Creates the dev-only staff login admin / admin when it is missing (an existing one, and the '
            'password it has, are left as they are). Refuses to run with DEBUG off.')

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError('create_demo_staff is for development only (DEBUG is off); use createsuperuser.')
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f'The demo staff login {DEMO_USERNAME} exists; its password is left as it is.')
            return
        user_model.objects.create_superuser(DEMO_USERNAME, 'admin@example.com', DEMO_PASSWORD)
        self.stdout.write(f'Created the demo staff login: {DEMO_USERNAME} / {DEMO_PASSWORD} (development only).')
