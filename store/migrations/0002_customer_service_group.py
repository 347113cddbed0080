"""The "Customer Service" group of the course: manages customers and orders, and views order history."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = 'Customer Service'
PERMISSIONS = [
    'view_customer', 'add_customer', 'change_customer', 'delete_customer',
    'view_order', 'add_order', 'change_order', 'delete_order',
    'view_history',
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure the store ones exist now.
    store_config = apps.get_app_config('store')
    store_config.models_module = True
    create_permissions(store_config, apps=apps, verbosity=0)

    Group = apps.get_model('auth', 'Group')
    Permission = apps.get_model('auth', 'Permission')
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*Permission.objects.filter(content_type__app_label='store', codename__in=PERMISSIONS))


def delete_group(apps, schema_editor):
    apps.get_model('auth', 'Group').objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('store', '0001_initial'),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
