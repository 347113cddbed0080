"""Builders, URLs and expected bodies shared by the /store/orders/ API tests (test_orders_*.py)."""
from model_bakery import baker
from rest_framework.fields import DateTimeField

from store import services
from store.models import Order, OrderItem

from .factories import make_cart

ORDERS_URL = '/store/orders/'

NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}


def make_order(customer, *lines, **fields):
    """An order written directly (no stock taken), with (product, quantity) items at the product's price."""
    order = baker.make(Order, customer=customer, **fields)
    for product, quantity in lines:
        baker.make(OrderItem, order=order, product=product, quantity=quantity, unit_price=product.unit_price)
    return order


def place(customer, *lines):
    """An order placed through the service, so its stock has been taken."""
    order, _ = services.place_order(customer=customer, cart_id=make_cart(*lines).pk)
    return order


def timestamp(value):
    return DateTimeField().to_representation(value)


def order_url(order_id):
    return f'/store/orders/{order_id}/'
