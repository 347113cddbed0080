"""Small builders shared by the store tests."""
from decimal import Decimal

from model_bakery import baker

from store.models import Cart, CartItem, Customer, Product


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 50, **fields}
    return baker.make(Product, **fields)


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
