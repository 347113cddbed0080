import datetime
from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F

import store.models


def window_existing_promotions(apps, schema_editor):
    """Promotions made before they had windows applied nowhere: they keep applying nowhere (their window
    ended now, staff may open a new one), with their discount brought into (0, 100)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    for promotion in apps.get_model('store', 'Promotion').objects.all():
        discount = Decimal(str(promotion.discount)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)
        promotion.discount = float(min(max(discount, Decimal('0.01')), Decimal('99.99')))
        promotion.starts_at = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        promotion.ends_at = now
        promotion.save(update_fields=['discount', 'starts_at', 'ends_at'])


def list_price_is_what_was_charged(apps, schema_editor):
    # Orders placed before promotions applied were charged the list price.
    apps.get_model('store', 'OrderItem').objects.update(list_price=F('unit_price'))


class Migration(migrations.Migration):

    dependencies = [
        ('store', '0013_order_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='promotion',
            name='starts_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='promotion',
            name='ends_at',
            field=models.DateTimeField(blank=True, help_text='None: until staff end it.', null=True),
        ),
        migrations.RunPython(window_existing_promotions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='promotion',
            name='starts_at',
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name='promotion',
            name='discount',
            field=models.DecimalField(decimal_places=2, help_text='The percentage off: more than 0, less than 100.',
                                      max_digits=4, validators=[store.models.validate_discount]),
        ),
        migrations.AlterModelOptions(
            name='promotion',
            options={'ordering': ['-starts_at', 'id']},
        ),
        migrations.AddConstraint(
            model_name='promotion',
            constraint=models.CheckConstraint(condition=models.Q(('discount__gt', 0), ('discount__lt', 100)),
                                              name='store_promotion_discount_between_0_and_100'),
        ),
        migrations.AddConstraint(
            model_name='promotion',
            constraint=models.CheckConstraint(
                condition=models.Q(('ends_at__isnull', True), ('ends_at__gt', models.F('starts_at')), _connector='OR'),
                name='store_promotion_ends_after_it_starts'),
        ),
        migrations.AddIndex(
            model_name='promotion',
            index=models.Index(fields=['starts_at', 'ends_at'], name='store_promotion_window_idx'),
        ),
        migrations.AddField(
            model_name='orderitem',
            name='list_price',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=6),
            preserve_default=False,
        ),
        migrations.RunPython(list_price_is_what_was_charged, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='orderitem',
            name='list_price',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=6,
                                      help_text='The unit price before any promotion (blank: the unit price charged).'),
        ),
        migrations.AddField(
            model_name='orderitem',
            name='promotion',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='orderitems', to='store.promotion'),
        ),
        migrations.AddField(
            model_name='customer',
            name='liked_product_alerts',
            field=models.BooleanField(default=True, help_text='E-mail me when a product I like is back in stock or its price drops.'),
        ),
        migrations.AddField(
            model_name='catalogueversion',
            name='next_change_at',
            field=models.DateTimeField(null=True),
        ),
    ]
