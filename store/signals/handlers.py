from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from store.models import Customer


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_customer_for_new_user(sender, instance, created, raw=False, **kwargs):
    # Fixtures (raw saves) bring their own customer rows.
    if created and not raw:
        Customer.objects.create(user=instance)
