"""Alerts on liked products: notice when a liked product comes back in stock or gets cheaper, and who may hear of it.

`note_changes` runs on the store's `products_changed` signal (signals.py): it compares each liked product
with what alerts last saw of it (`WatchedProduct`); the alerts of the batch go to one task (tasks.py).
"""
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from likes.models import LikedItem
from store.models import Customer, Product

from .models import WatchedProduct

UNSUBSCRIBE_SALT = 'store_custom.liked-product-alerts.unsubscribe'


def likes_of_products():
    return LikedItem.objects.filter(content_type=ContentType.objects.get_for_model(Product))


def watched_state(product):
    """A WatchedProduct holding what `product` (read `with_sale_price`) is now."""
    return WatchedProduct(product=product, price=product.current_price, in_stock=product.inventory > 0)


def watch(product_id):
    """Start watching a newly liked product: what it is now is what later changes are measured against.

    A product already watched keeps its state: refreshing it here could swallow a change that
    `note_changes` has not compared yet.
    """
    product = Product.objects.with_sale_price().filter(pk=product_id).first()
    if product is not None:
        WatchedProduct.objects.bulk_create([watched_state(product)], ignore_conflicts=True)


@transaction.atomic
def note_changes(product_ids):
    """Compare these products with what alerts last saw and record what they are now; returns the alerts
    due: a liked product back in stock, or cheaper than it was.

    The states are locked (in primary-key order) before the products are read, so of two concurrent calls
    the second compares against what the first recorded. Watched products nobody likes any more are kept
    up to date too: a new like must not find a stale state.
    """
    states = {state.pk: state for state in
              WatchedProduct.objects.select_for_update().filter(pk__in=product_ids).order_by('pk')}
    products = (Product.objects.with_sale_price().filter(pk__in=product_ids)
                .annotate(liked=Exists(likes_of_products().filter(object_id=OuterRef('pk'))))
                .filter(Q(liked=True) | Q(pk__in=list(states))).order_by('pk'))
    alerts, changed, new = [], [], []
    for product in products:
        now = watched_state(product)
        before = states.get(product.pk)
        if before is None:
            new.append(now)  # liked before alerts watched it: from now on
            continue
        back_in_stock = now.in_stock and not before.in_stock
        price_dropped = now.price < before.price
        if product.liked and (back_in_stock or price_dropped):
            alerts.append({'product_id': product.pk, 'back_in_stock': back_in_stock, 'price': str(now.price),
                           'previous_price': str(before.price) if price_dropped else None})
        if (now.price, now.in_stock) != (before.price, before.in_stock):
            now.updated_at = timezone.now()  # bulk_update leaves auto_now alone
            changed.append(now)
    WatchedProduct.objects.bulk_update(changed, ['price', 'in_stock', 'updated_at'])
    WatchedProduct.objects.bulk_create(new, ignore_conflicts=True)
    return alerts


def unsubscribe_token(customer_id):
    """The capability to opt this customer out of alerts, for the e-mail's link: signed, never expiring."""
    return signing.dumps(customer_id, salt=UNSUBSCRIBE_SALT)


def customer_of_token(token):
    """The customer an unsubscribe token was made for, or None (a forged token, a deleted customer)."""
    try:
        customer_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Customer.objects.select_related('user').filter(pk=customer_id).first()


def opt_out(customer):
    """No more alerts for this customer (what `liked_product_alerts` false on /store/customers/me/ means)."""
    Customer.objects.filter(pk=customer.pk).update(liked_product_alerts=False)
    customer.liked_product_alerts = False
