"""Fixtures shared by several store test files (a file's own fixture of the same name takes precedence)."""
from datetime import timedelta
from decimal import Decimal

import pytest

from store.signals import order_created

from .factories import make_product
from .payments_helpers import STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, start_localstripe
from .products_helpers import make_collection
from .security_helpers import make_world


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


# ---------------------------------------------------------------- the product API tests (test_products_*.py)
# `collection` and `staff` serve test_collections.py too, `staff` test_product_images.py and catalogue_cache/.

@pytest.fixture
def collection(db):
    return make_collection(title='Electronics')


# Both defaulted fields (unit_price, inventory) are given, so factories.make_product builds here the same product
# as products_helpers.make_product, the product tests' builder.
@pytest.fixture
def product(collection):
    return make_product(title='Laptop', slug='laptop', description='Fast', unit_price=Decimal('999.99'),
                        inventory=50, collection=collection)


@pytest.fixture
def staff(authenticate):
    return authenticate(is_staff=True)


# ------------------------------------------------------------ the security tests (test_security_*.py)

@pytest.fixture
def world(db, django_user_model):
    return make_world(django_user_model)


# ---------------------------------------------------------------- payments (test_payments_*.py)

@pytest.fixture(scope='session')
def localstripe(tmp_path_factory):
    """The base URL of a localstripe server of this test process, started once."""
    url, server = start_localstripe(tmp_path_factory.mktemp('localstripe'))
    with server:
        yield url


@pytest.fixture
def stripe_settings(settings, localstripe):
    """Stripe on, against localstripe: PAYMENT_PROVIDER is 'stripe', with a 30-minute PAYMENT_TIMEOUT."""
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe
    settings.PAYMENT_PROVIDER = 'stripe'
    settings.PAYMENT_TIMEOUT = timedelta(minutes=30)
    return settings
