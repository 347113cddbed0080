from django.db import migrations, models

import store.models


class Migration(migrations.Migration):
    """The course's Address becomes the customer's address book: a recipient, a country and a phone."""

    dependencies = [
        ('store', '0008_payments'),
    ]

    operations = [
        migrations.AddField(
            model_name='address',
            name='name',
            field=models.CharField(default='', help_text='The recipient.', max_length=255),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='address',
            name='country',
            field=models.CharField(default='US', help_text='ISO 3166-1 alpha-2 code.', max_length=2,
                                   validators=[store.models.validate_country]),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='address',
            name='phone',
            field=models.CharField(blank=True, max_length=32),
        ),
    ]
