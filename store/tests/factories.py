"""Small builders shared by the store tests."""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from model_bakery import baker

from store.models import Cart, CartItem, Customer, Product, Promotion


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 50, **fields}
    return baker.make(Product, **fields)


def make_promotion(*products, discount='10', starts_at=None, ends_at=None, **fields):
    """A promotion of `discount` percent on these products, active from a day ago (no end) unless told."""
    promotion = baker.make(Promotion, discount=Decimal(discount), ends_at=ends_at,
                           starts_at=starts_at or timezone.now() - timedelta(days=1), **fields)
    promotion.product_set.add(*products)
    return promotion


def make_cart(*lines):
    """A saved cart holding the given (product, quantity) lines."""
    cart = baker.make(Cart)
    for product, quantity in lines:
        baker.make(CartItem, cart=cart, product=product, quantity=quantity)
    return cart


def inventory(product):
    return Product.objects.values_list('inventory', flat=True).get(pk=product.pk)


def customer_of(user):
    return Customer.objects.get(user=user)
