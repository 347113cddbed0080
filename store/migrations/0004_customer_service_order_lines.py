"""The "Customer Service" group also works on order lines: it sees and edits the lines of the orders it
manages, and can look up the products it puts on them (the order page's inline and autocomplete)."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = 'Customer Service'
PERMISSIONS = ['view_orderitem', 'add_orderitem', 'change_orderitem', 'delete_orderitem', 'view_product']


def add_permissions(apps, schema_editor):
    store_config = apps.get_app_config('store')
    store_config.models_module = True
    create_permissions(store_config, apps=apps, verbosity=0)
    group, _ = apps.get_model('auth', 'Group').objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*apps.get_model('auth', 'Permission').objects.filter(
        content_type__app_label='store', codename__in=PERMISSIONS))


def remove_permissions(apps, schema_editor):
    group = apps.get_model('auth', 'Group').objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label='store', codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ('store', '0003_product_factories_make_valid_rows'),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
