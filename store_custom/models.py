"""Alerts on liked products: what alerts last saw of each liked product, and the alerts e-mailed."""
from django.conf import settings
from django.db import models

from store.models import Product


class WatchedProduct(models.Model):
    """A liked product's price and stock as alerts last saw them: a change is measured against these."""
    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name='+')
    price = models.DecimalField(max_digits=6, decimal_places=2, help_text='Its current price (sale price if any).')
    in_stock = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f'{self.product_id}: {self.price}, {"in" if self.in_stock else "out of"} stock'


class LikedProductAlert(models.Model):
    """An alert e-mailed to a user about a product they like: at most one per user, product and day."""
    REASON_BACK_IN_STOCK = 'back_in_stock'
    REASON_PRICE_DROP = 'price_drop'
    REASON_CHOICES = [(REASON_BACK_IN_STOCK, 'Back in stock'), (REASON_PRICE_DROP, 'Price drop')]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name='+')
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name='+')
    sent_on = models.DateField(help_text="The day it was sent (settings.TIME_ZONE's local date).")
    reason = models.CharField(max_length=20, choices=REASON_CHOICES)
    price = models.DecimalField(max_digits=6, decimal_places=2, help_text='The price the e-mail announced.')
    # The task run that recorded the row: of runs racing for the same alert, the one that inserted it sends it.
    batch = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=['user', 'product', 'sent_on'], name='store_custom_one_alert_per_day'),
        ]
