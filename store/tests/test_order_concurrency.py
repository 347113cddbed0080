"""Concurrent orders never oversell, never deadlock, and place a cart only once (DECISIONS §4).

The workers run in threads of their own (store.tests.concurrency_helpers.run_workers): on MariaDB and
PostgreSQL they really race for the row locks; on SQLite they run one after another and the same assertions
hold.
"""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status
from rest_framework.test import APIClient

from store import services
from store.models import Cart, Collection, Order, OrderItem, Product
from store.tests.concurrency_helpers import run_workers
from store.tests.factories import inventory, make_cart, make_product

BUYERS = 12
LAST_UNITS = 5

pytestmark = pytest.mark.django_db(transaction=True)


def place_with_service(customer, cart_id, idempotency_key=None):
    def worker():
        try:
            order, created = services.place_order(customer=customer, cart_id=cart_id, idempotency_key=idempotency_key)
        except services.InsufficientStock as error:
            return 'short', [str(shortage) for shortage in error.shortages]
        except services.OrderError as error:
            return 'refused', str(error)
        return 'placed', order.pk, created
    return worker


def place_with_api(user, cart_id, idempotency_key=None):
    def worker():
        # A server error comes back as a 500 response: the test client's got_request_exception receiver
        # is global, so re-raising would also fail the other requests in flight at that moment.
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user=user)
        headers = {} if idempotency_key is None else {'HTTP_IDEMPOTENCY_KEY': idempotency_key}
        response = client.post('/store/orders/', {'cart_id': str(cart_id)}, format='json', **headers)
        if response.status_code >= 500:
            return response.status_code, response.content[:200]
        return response.status_code, response.json()
    return worker


@pytest.fixture
def last_units(db):
    return make_product(title='Last Units', inventory=LAST_UNITS)


@pytest.fixture
def buyers(make_customer, last_units):
    """BUYERS customers, each with a cart holding one unit of the product."""
    return [(make_customer(), make_cart((last_units, 1))) for _ in range(BUYERS)]


def assert_sold_exactly_the_last_units(last_units, buyers):
    assert inventory(last_units) == 0
    assert Order.objects.count() == LAST_UNITS
    assert sum(OrderItem.objects.values_list('quantity', flat=True)) == LAST_UNITS
    # The refused buyers keep their carts; the others' carts are gone.
    assert Cart.objects.count() == BUYERS - LAST_UNITS
    placed_carts = set(Order.objects.values_list('cart_id', flat=True))
    assert placed_carts.isdisjoint(Cart.objects.values_list('id', flat=True))
    assert placed_carts <= {cart.pk for _, cart in buyers}


class TestLastUnits:
    def test_service_sells_exactly_the_stock_and_refuses_the_rest(self, last_units, buyers):
        outcomes = run_workers([place_with_service(customer, cart.pk) for customer, cart in buyers])

        assert sorted(outcome[0] for outcome in outcomes) == ['placed'] * LAST_UNITS + ['short'] * (BUYERS - LAST_UNITS)
        shortages = [outcome[1] for outcome in outcomes if outcome[0] == 'short']
        assert shortages == [['Only 0 units of "Last Units" are available.']] * (BUYERS - LAST_UNITS)
        assert_sold_exactly_the_last_units(last_units, buyers)

    def test_api_sells_exactly_the_stock_and_refuses_the_rest(self, last_units, buyers):
        users = [customer.user for customer, _ in buyers]

        outcomes = run_workers([place_with_api(user, cart.pk) for user, (_, cart) in zip(users, buyers)])

        statuses = sorted(code for code, _ in outcomes)
        created, refused = status.HTTP_201_CREATED, status.HTTP_400_BAD_REQUEST
        assert statuses == [created] * LAST_UNITS + [refused] * (BUYERS - LAST_UNITS)
        refusals = [body for code, body in outcomes if code == status.HTTP_400_BAD_REQUEST]
        assert refusals == [{'cart_id': ['Only 0 units of "Last Units" are available.']}] * (BUYERS - LAST_UNITS)
        placed = [body for code, body in outcomes if code == status.HTTP_201_CREATED]
        assert {body['customer'] for body in placed} <= {customer.pk for customer, _ in buyers}
        assert len({body['id'] for body in placed}) == LAST_UNITS
        assert_sold_exactly_the_last_units(last_units, buyers)


class TestOverlappingCarts:
    def test_carts_listing_the_same_products_in_different_orders_all_go_through(self, make_customer):
        collection = baker.make(Collection)
        products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=100, _quantity=4)
        workers = []
        for buyer in range(10):
            # The carts list the products in different orders; unless every buyer locks them in one
            # fixed order, two buyers each hold a product the other waits for.
            rotated = products[buyer % 4:] + products[:buyer % 4]
            lines = rotated if buyer % 2 else rotated[::-1]
            workers.append(place_with_service(make_customer(), make_cart(*((product, 2) for product in lines)).pk))

        outcomes = run_workers(workers)

        assert [outcome[0] for outcome in outcomes] == ['placed'] * 10
        assert [inventory(product) for product in products] == [80] * 4


class TestSameCart:
    def test_service_places_the_cart_once(self, make_customer, last_units):
        customer = make_customer()
        cart = make_cart((last_units, 2))

        outcomes = run_workers([place_with_service(customer, cart.pk) for _ in range(2)])

        assert sorted(outcome[0] for outcome in outcomes) == ['placed', 'refused']
        assert [outcome[1] for outcome in outcomes if outcome[0] == 'refused'] == [
            'No cart with the given ID was found.']
        assert Order.objects.count() == 1
        assert inventory(last_units) == LAST_UNITS - 2

    def test_api_places_the_cart_once(self, make_customer, last_units):
        customer = make_customer()
        cart = make_cart((last_units, 2))

        outcomes = run_workers([place_with_api(customer.user, cart.pk) for _ in range(2)])

        assert sorted(code for code, _ in outcomes) == [status.HTTP_201_CREATED, status.HTTP_400_BAD_REQUEST]
        assert [body for code, body in outcomes if code == status.HTTP_400_BAD_REQUEST] == [
            {'cart_id': ['No cart with the given ID was found.']}]
        assert Order.objects.count() == 1
        assert inventory(last_units) == LAST_UNITS - 2

    def test_two_customers_racing_for_one_cart_place_it_once(self, make_customer, last_units):
        cart = make_cart((last_units, 2))

        outcomes = run_workers([place_with_service(make_customer(), cart.pk) for _ in range(2)])

        assert sorted(outcome[0] for outcome in outcomes) == ['placed', 'refused']
        assert Order.objects.count() == 1 and inventory(last_units) == LAST_UNITS - 2


class TestSameIdempotencyKey:
    def test_a_retry_racing_its_original_gets_the_same_order(self, make_customer, last_units):
        customer = make_customer()
        cart = make_cart((last_units, 2))

        outcomes = run_workers([place_with_service(customer, cart.pk, idempotency_key='key-1') for _ in range(2)])

        order = Order.objects.get()
        assert sorted(outcomes, key=lambda outcome: not outcome[2]) == [
            ('placed', order.pk, True), ('placed', order.pk, False)]
        assert inventory(last_units) == LAST_UNITS - 2

    def test_the_same_key_for_two_carts_at_once_places_one_and_refuses_the_other(self, make_customer, last_units):
        customer = make_customer()
        carts = [make_cart((last_units, 1)), make_cart((last_units, 2))]

        outcomes = run_workers([place_with_service(customer, cart.pk, idempotency_key='key-1') for cart in carts])

        assert sorted(outcome[0] for outcome in outcomes) == ['placed', 'refused']
        assert [outcome[1] for outcome in outcomes if outcome[0] == 'refused'] == [
            'This Idempotency-Key was already used for an order of another cart.']
        assert Order.objects.count() == 1
        assert Cart.objects.count() == 1

    def test_api_the_same_key_for_two_carts_at_once_returns_201_and_422(self, make_customer, last_units):
        customer = make_customer()
        carts = [make_cart((last_units, 1)), make_cart((last_units, 2))]

        outcomes = run_workers([place_with_api(customer.user, cart.pk, idempotency_key='key-1') for cart in carts])

        assert sorted(code for code, _ in outcomes) == [status.HTTP_201_CREATED, status.HTTP_422_UNPROCESSABLE_ENTITY]
        assert Order.objects.count() == 1


class TestConcurrentCancel:
    def test_an_order_cancelled_twice_at_once_returns_its_stock_once(self, make_customer, last_units):
        order, _ = services.place_order(customer=make_customer(), cart_id=make_cart((last_units, 3)).pk)

        def cancel():
            try:
                services.cancel_order(order=order)
            except services.OrderError as error:
                return str(error)
            return 'cancelled'

        outcomes = run_workers([cancel, cancel])

        assert sorted(outcomes) == ['This order is already cancelled.', 'cancelled']
        assert inventory(last_units) == LAST_UNITS
        assert Order.objects.get().cancelled_at is not None
