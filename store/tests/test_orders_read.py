"""API tests for reading orders, GET /store/orders/ and /store/orders/<id>/: customers see their own orders
(someone else's is a 404), staff see all; the query count does not grow with orders or items."""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store import services
from store.models import Collection, Product

from .factories import customer_of
from .orders_helpers import NOT_AUTHENTICATED, ORDERS_URL, make_order, order_url, place, timestamp

# The orders (a customer's through a join on customer) + their items with their products (one prefetch),
# whatever the number of orders and items.
ORDER_LIST_MAX_QUERIES = 2

# The order + its items with their products, whatever the number of items.
ORDER_RETRIEVE_MAX_QUERIES = 2


@pytest.mark.django_db
class TestListOrders:
    def test_anonymous_returns_401(self, api_client):
        response = api_client.get(ORDERS_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED

    def test_a_customer_without_orders_gets_an_empty_list(self, authenticate, api_client, make_customer, mug):
        make_order(make_customer(), (mug, 1))
        authenticate()

        response = api_client.get(ORDERS_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    def test_a_customer_sees_only_their_own_orders_newest_first(self, authenticate, api_client, make_customer, mug):
        other = make_customer()
        user = authenticate()
        older = make_order(customer_of(user), (mug, 1))
        make_order(other, (mug, 1))
        newer = make_order(customer_of(user), (mug, 2))

        response = api_client.get(ORDERS_URL)

        assert response.status_code == status.HTTP_200_OK
        assert [order['id'] for order in response.json()] == [newer.pk, older.pk]

    def test_staff_see_every_order(self, authenticate, api_client, make_customer, mug):
        orders = [make_order(make_customer(), (mug, 1)) for _ in range(3)]
        authenticate(is_staff=True)

        response = api_client.get(ORDERS_URL)

        assert sorted(order['id'] for order in response.json()) == sorted(order.pk for order in orders)

    def test_orders_are_listed_in_full(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        services.cancel_order(order=order)
        order.refresh_from_db()

        response = api_client.get(ORDERS_URL)

        item = order.items.get()
        assert response.json() == [{
            'id': order.pk, 'customer': order.customer_id, 'placed_at': timestamp(order.placed_at),
            'payment_status': 'P',
            'items': [{'id': item.pk, 'product': {'id': mug.pk, 'title': 'Coffee Mug', 'unit_price': 8.99},
                       'unit_price': 8.99, 'quantity': 2, 'list_price': 8.99, 'promotion': None}],
            'cancelled_at': timestamp(order.cancelled_at),
            'subtotal': 17.98, 'tax': 1.8, 'total': 19.78, 'currency': 'USD',
            'shipping_address': None,
            'fulfilment_status': 'unfulfilled', 'carrier': '', 'tracking_number': '', 'shipped_at': None,
            'delivered_at': None,
        }]

    @pytest.mark.parametrize('is_staff', [False, True], ids=['customer', 'staff'])
    @pytest.mark.parametrize('orders, items', [(1, 1), (10, 5)])
    def test_query_count_does_not_grow_with_orders_or_items(self, authenticate, api_client, make_customer,
                                                            is_staff, orders, items, django_assert_max_num_queries):
        user = authenticate(is_staff=is_staff)
        collection = baker.make(Collection)
        products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=10,
                              _quantity=items)
        for _ in range(orders):
            make_order(customer_of(user), *((product, 1) for product in products))
            make_order(make_customer(), *((product, 1) for product in products))

        with django_assert_max_num_queries(ORDER_LIST_MAX_QUERIES):
            response = api_client.get(ORDERS_URL)

        assert len(response.json()) == orders * (2 if is_staff else 1)
        assert all(len(order['items']) == items for order in response.json())


@pytest.mark.django_db
class TestRetrieveOrder:
    def test_owner_gets_the_full_order(self, authenticate, api_client, mug, tea):
        user = authenticate()
        order = place(customer_of(user), (mug, 2), (tea, 1))

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        body = response.json()
        assert set(body) == {'id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at',
                             'subtotal', 'tax', 'total', 'currency', 'shipping_address',
                             'fulfilment_status', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at'}
        assert (body['id'], body['customer'], body['cancelled_at']) == (order.pk, order.customer_id, None)
        assert sorted((item['product']['id'], item['quantity']) for item in body['items']) == sorted(
            [(mug.pk, 2), (tea.pk, 1)])

    def test_another_customers_order_returns_404(self, authenticate, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))
        authenticate()

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_staff_get_any_order(self, authenticate, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == order.pk

    @pytest.mark.parametrize('order_id', ['999999', 'abc'])
    def test_unknown_or_malformed_id_returns_404(self, authenticate, api_client, order_id):
        authenticate(is_staff=True)

        response = api_client.get(order_url(order_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED

    @pytest.mark.parametrize('items', [1, 20])
    def test_query_count_does_not_grow_with_items(self, authenticate, api_client, items,
                                                  django_assert_max_num_queries):
        user = authenticate()
        collection = baker.make(Collection)
        products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=10,
                              _quantity=items)
        order = make_order(customer_of(user), *((product, 1) for product in products))

        with django_assert_max_num_queries(ORDER_RETRIEVE_MAX_QUERIES):
            response = api_client.get(order_url(order.pk))

        assert len(response.json()['items']) == items
