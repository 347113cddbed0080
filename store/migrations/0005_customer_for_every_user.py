"""A customer profile for every user who has none (users from before the create-customer receiver).

From here on the post_save receiver is the one mechanism that makes profiles, and reads never write."""
from django.conf import settings
from django.db import migrations


def create_missing_profiles(apps, schema_editor):
    Customer = apps.get_model('store', 'Customer')
    User = apps.get_model(settings.AUTH_USER_MODEL)
    missing = User.objects.filter(customer__isnull=True).values_list('pk', flat=True)
    Customer.objects.bulk_create([Customer(user_id=pk) for pk in missing.iterator()], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('store', '0004_customer_service_order_lines'),
    ]

    operations = [migrations.RunPython(create_missing_profiles, migrations.RunPython.noop)]
