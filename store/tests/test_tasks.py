"""The Celery tasks: the stale-cart purge (and its beat schedule), notify_customers, and placing an order while
the broker is down.

Tasks are called directly, or queued with eager execution forced, so these tests need no broker and behave the
same with or without REDIS_URL.
"""
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.utils import timezone
from kombu.exceptions import OperationalError
from model_bakery import baker
from rest_framework import status

from store.models import Cart, CartItem, Order, Product
from store.tasks import notify_customers, purge_stale_carts
from storefront.celery import celery

CLOSED_BROKER_URL = 'redis://127.0.0.1:9/0'


@pytest.fixture
def celery_conf():
    """Change celery.conf keys for one test; the old values come back afterwards."""
    conf = celery.conf
    saved = {}

    def change(**values):
        for key, value in values.items():
            saved.setdefault(key, conf[key])
        conf.update(values)
    yield change
    conf.update(saved)


def make_cart(age, *products):
    """A saved cart last touched `age` ago, holding one unit of each product."""
    cart = baker.make(Cart)
    for product in products:
        baker.make(CartItem, cart=cart, product=product, quantity=1)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - age)
    return cart


def updated_at(cart):
    return Cart.objects.values_list('updated_at', flat=True).get(pk=cart.pk)


@pytest.fixture
def product():
    return baker.make(Product, title='Espresso Cup', unit_price=Decimal('10.00'), inventory=50)


@pytest.mark.django_db
class TestPurgeStaleCarts:
    def test_deletes_carts_older_than_stale_cart_days_with_their_items(self, settings, product):
        days = settings.STALE_CART_DAYS
        stale = [make_cart(timedelta(days=days, hours=1), product), make_cart(timedelta(days=days * 3), product)]
        fresh = [make_cart(timedelta(days=days - 1), product), make_cart(timedelta(0), product)]

        assert purge_stale_carts() == 2

        assert set(Cart.objects.values_list('pk', flat=True)) == {cart.pk for cart in fresh}
        assert set(CartItem.objects.values_list('cart_id', flat=True)) == {cart.pk for cart in fresh}
        assert not CartItem.objects.filter(cart_id__in=[cart.pk for cart in stale]).exists()

    def test_follows_the_stale_cart_days_setting(self, settings, product):
        settings.STALE_CART_DAYS = 10
        make_cart(timedelta(days=11), product)
        kept = make_cart(timedelta(days=9), product)
        assert purge_stale_carts() == 1
        assert list(Cart.objects.values_list('pk', flat=True)) == [kept.pk]

    def test_days_argument(self, product):
        make_cart(timedelta(days=2), product)
        make_cart(timedelta(days=1, minutes=1))
        kept = make_cart(timedelta(hours=12), product)
        assert purge_stale_carts(days=1) == 2
        assert list(Cart.objects.values_list('pk', flat=True)) == [kept.pk]

    def test_nothing_stale_deletes_nothing(self, product):
        make_cart(timedelta(days=1), product)
        assert purge_stale_carts() == 0
        assert Cart.objects.count() == 1
        assert CartItem.objects.count() == 1

    def test_orders_are_never_purged(self, settings, make_customer, product):
        order = baker.make(Order, customer=make_customer())
        make_cart(timedelta(days=settings.STALE_CART_DAYS + 1), product)
        assert purge_stale_carts() == 1
        assert list(Order.objects.values_list('pk', flat=True)) == [order.pk]

    def test_queued_eagerly_returns_the_count(self, celery_conf, settings, product):
        celery_conf(task_always_eager=True)
        make_cart(timedelta(days=settings.STALE_CART_DAYS + 1), product)
        assert purge_stale_carts.delay().get(timeout=5) == 1
        assert not Cart.objects.exists()


@pytest.mark.django_db
class TestCartActivityKeepsItFromThePurge:
    """A cart "untouched for STALE_CART_DAYS" is one to which no item was added, changed or removed."""

    @pytest.fixture
    def old_cart(self, settings, product):
        return make_cart(timedelta(days=settings.STALE_CART_DAYS + 1), product)

    def test_adding_an_item_refreshes_updated_at(self, api_client, old_cart):
        other = baker.make(Product, title='Milk Jug', unit_price=Decimal('7.50'), inventory=50)
        before = timezone.now()
        response = api_client.post(f'/store/carts/{old_cart.pk}/items/', {'product_id': other.pk, 'quantity': 1},
                                   format='json')
        assert response.status_code == status.HTTP_201_CREATED
        assert updated_at(old_cart) >= before
        assert purge_stale_carts() == 0
        assert CartItem.objects.filter(cart=old_cart).count() == 2

    def test_adding_to_an_existing_line_refreshes_updated_at(self, api_client, old_cart, product):
        before = timezone.now()
        response = api_client.post(f'/store/carts/{old_cart.pk}/items/', {'product_id': product.pk, 'quantity': 2},
                                   format='json')
        assert response.status_code == status.HTTP_201_CREATED
        assert CartItem.objects.get(cart=old_cart).quantity == 3
        assert updated_at(old_cart) >= before
        assert purge_stale_carts() == 0

    def test_adding_to_an_unknown_cart_is_404(self, api_client, product):
        response = api_client.post('/store/carts/2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10/items/',
                                   {'product_id': product.pk, 'quantity': 1}, format='json')
        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Cart.objects.exists()

    def test_changing_a_quantity_refreshes_updated_at(self, api_client, old_cart):
        item = CartItem.objects.get(cart=old_cart)
        before = timezone.now()
        response = api_client.patch(f'/store/carts/{old_cart.pk}/items/{item.pk}/', {'quantity': 4}, format='json')
        assert response.status_code == status.HTTP_200_OK
        assert updated_at(old_cart) >= before
        assert purge_stale_carts() == 0

    def test_removing_an_item_refreshes_updated_at(self, api_client, old_cart):
        item = CartItem.objects.get(cart=old_cart)
        before = timezone.now()
        response = api_client.delete(f'/store/carts/{old_cart.pk}/items/{item.pk}/')
        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert updated_at(old_cart) >= before
        assert purge_stale_carts() == 0

    def test_reading_a_cart_does_not_refresh_it(self, api_client, old_cart):
        before = updated_at(old_cart)
        assert api_client.get(f'/store/carts/{old_cart.pk}/').status_code == status.HTTP_200_OK
        assert updated_at(old_cart) == before
        assert purge_stale_carts() == 1


class TestBeatSchedule:
    def test_purge_is_scheduled_nightly(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE['purge-stale-carts']
        assert entry['task'] == 'store.tasks.purge_stale_carts'
        assert entry['schedule'] == crontab(hour=3, minute=30)
        assert celery.conf.beat_schedule['purge-stale-carts']['task'] == 'store.tasks.purge_stale_carts'

    def test_scheduled_task_names_are_registered(self, settings):
        celery.loader.import_default_modules()
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            assert entry['task'] in celery.tasks
        assert celery.tasks['store.tasks.purge_stale_carts'].name == purge_stale_carts.name


@pytest.mark.django_db
class TestNotifyCustomers:
    def test_one_email_per_customer_with_an_address(self, make_customer, mailoutbox):
        make_customer(email='ann@example.com')
        make_customer(email='')
        make_customer(email='bob@example.com')

        assert notify_customers('Hello') == 2

        assert sorted(message.to[0] for message in mailoutbox) == ['ann@example.com', 'bob@example.com']
        assert [len(message.to) for message in mailoutbox] == [1, 1]
        assert {(message.subject, message.body, message.from_email) for message in mailoutbox} == {
            ('News from Storefront', 'Hello', 'Storefront <noreply@storefront.local>')}

    def test_no_customers_sends_nothing(self, mailoutbox):
        assert notify_customers('Hello') == 0
        assert mailoutbox == []

    def test_queued_eagerly(self, celery_conf, make_customer, mailoutbox):
        celery_conf(task_always_eager=True)
        make_customer(email='ann@example.com')
        assert notify_customers.delay('Hello').get(timeout=5) == 1
        assert [message.to for message in mailoutbox] == [['ann@example.com']]


@pytest.fixture
def broker_down(celery_conf, monkeypatch):
    """Queue tasks for real, to a broker URL whose port refuses connections (port 9 is closed here)."""
    celery_conf(task_always_eager=False, broker_url=CLOSED_BROKER_URL, broker_write_url=None)
    # The app caches its connection pool and the producer pool built on it: drop both so the new URL is used.
    monkeypatch.setattr(celery, '_pool', None)
    monkeypatch.setattr(celery.amqp, '_producer_pool', None)
    yield
    if celery._pool is not None:
        celery._pool.force_close_all()


@pytest.mark.django_db
class TestOrderWhileTheBrokerIsDown:
    def test_the_order_stands_and_the_failure_is_logged(self, broker_down, api_client, authenticate, product,
                                                         caplog, django_capture_on_commit_callbacks, mailoutbox):
        authenticate(email='ann@example.com')
        cart = make_cart(timedelta(0), product)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post('/store/orders/', {'cart_id': str(cart.pk)}, format='json')
        elapsed = time.monotonic() - started

        assert response.status_code == status.HTTP_201_CREATED
        order_id = response.data['id']
        assert Order.objects.filter(pk=order_id).exists()
        assert Product.objects.values_list('inventory', flat=True).get(pk=product.pk) == 49
        assert mailoutbox == []
        errors = [record for record in caplog.records if record.name == 'store.tasks' and record.levelname == 'ERROR']
        assert [record.getMessage() for record in errors] == [
            f'Could not queue the confirmation e-mail of order {order_id}.']
        assert errors[0].exc_info[0] is OperationalError
        assert '127.0.0.1:9' in str(errors[0].exc_info[1])
        assert elapsed < 10, f'placing the order took {elapsed:.1f} s with the broker down'
