"""Fixtures of the catalogue cache tests.

pytest-django wraps each test in a transaction that never commits, so the version bump, which runs
in `transaction.on_commit`, only runs for writes made inside `committed()` (pytest-django's
`django_capture_on_commit_callbacks(execute=True)`), as a real commit would. (`staff` comes from
store/tests/conftest.py.)
"""
from decimal import Decimal

import pytest
from model_bakery import baker

from store.models import Collection, Product

from .cache_helpers import Catalogue


@pytest.fixture
def catalogue(django_assert_num_queries):
    return Catalogue(django_assert_num_queries)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit callbacks of the writes inside, as their commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def mugs(db):
    return baker.make(Collection, title='Mugs')


@pytest.fixture
def teas(db):
    return baker.make(Collection, title='Teas')


@pytest.fixture
def mug(mugs):
    return baker.make(Product, title='Blue Mug', slug='blue-mug', description='A mug', unit_price=Decimal('10.00'),
                      inventory=20, collection=mugs)


@pytest.fixture
def tea(teas):
    return baker.make(Product, title='Green Tea', slug='green-tea', description='A tea', unit_price=Decimal('4.00'),
                      inventory=30, collection=teas)


@pytest.fixture
def no_confirmation_emails(monkeypatch):
    """Orders queue no confirmation e-mail (with REDIS_URL that would publish to the real broker)."""
    monkeypatch.setattr('store.services.queue_order_confirmation', lambda order_id: None)
