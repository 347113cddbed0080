from decimal import Decimal

import pytest

from store.signals import order_created

from .factories import make_product


@pytest.fixture
def mug(db):
    return make_product(title='Coffee Mug', unit_price=Decimal('8.99'), inventory=10)


@pytest.fixture
def tea(db):
    return make_product(title='Green Tea', unit_price=Decimal('4.50'), inventory=20)


@pytest.fixture
def order_created_calls():
    """The ids of the orders `order_created` was sent for, in order."""
    calls = []

    def receiver(sender, order, **kwargs):
        calls.append(order.pk)

    order_created.connect(receiver, weak=False)
    yield calls
    order_created.disconnect(receiver)
