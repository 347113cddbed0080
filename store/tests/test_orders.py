"""API tests for /store/orders/: place (once per cart, idempotent), list, retrieve, update, delete, cancel.

Customers see and place their own orders; staff see all, change `payment_status` and delete (course-part3
§10, DECISIONS §3). Placing checks and decrements inventory and snapshots prices in one transaction;
cancelling or deleting gives the stock back (DECISIONS §4).
"""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from model_bakery import baker
from rest_framework import status
from rest_framework.fields import DateTimeField

from store import services
from store.models import Cart, CartItem, Collection, Customer, Order, OrderItem, Product
from store.tests.factories import inventory, make_cart, make_product

# The caller's customer; SAVEPOINT; lock the cart; read its lines; lock their products; INSERT the order;
# INSERT its items; UPDATE the inventories; delete the cart (3); RELEASE SAVEPOINT; read the order back
# with its items and their products (2). The same for 1 cart line as for 50.
PLACE_ORDER_ENDPOINT_QUERIES = 14

# The orders (a customer's through a join on customer) + their items with their products (one prefetch),
# whatever the number of orders and items.
ORDER_LIST_MAX_QUERIES = 2

# The order + its items with their products, whatever the number of items.
ORDER_RETRIEVE_MAX_QUERIES = 2

ORDERS_URL = '/store/orders/'
UNKNOWN_CART_ID = '2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10'
MALFORMED_CART_IDS = ['bad', '123', 'x' * 300, '2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f1']

NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}
NOT_PERMITTED = {'detail': 'You do not have permission to perform this action.'}
CANNOT_CANCEL = {'detail': 'You may cancel only your own orders, and only while their payment is pending.'}
ALREADY_CANCELLED = {'detail': 'This order is already cancelled.'}
# A cart that was already ordered is gone, as in the course: the same answer as for an unknown cart.
ALREADY_PLACED = {'cart_id': ['No cart with the given ID was found.']}


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


def customer_of(user):
    return Customer.objects.get(user=user)


def timestamp(value):
    return DateTimeField().to_representation(value)


def out_of_stock(available, title):
    return f'Only {available} units of "{title}" are available.'


def order_url(order_id):
    return f'/store/orders/{order_id}/'


def cancel_url(order_id):
    return f'/store/orders/{order_id}/cancel/'


def grant_cancel_order(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label='store', codename='cancel_order'))


@pytest.fixture
def post_order(api_client):
    def do_post(cart_id, idempotency_key=None, **body):
        headers = {} if idempotency_key is None else {'HTTP_IDEMPOTENCY_KEY': idempotency_key}
        return api_client.post(ORDERS_URL, {'cart_id': str(cart_id), **body}, format='json', **headers)
    return do_post


@pytest.mark.django_db
class TestCreateOrder:
    def test_returns_201_with_the_full_order(self, authenticate, post_order, mug, tea):
        user = authenticate()
        cart = make_cart((mug, 2), (tea, 3))

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_201_CREATED
        order = Order.objects.get()
        items = {item.product_id: item.pk for item in order.items.all()}
        body = response.json()
        body['items'].sort(key=lambda item: item['product']['id'])
        assert body == {
            'id': order.pk,
            'customer': customer_of(user).pk,
            'placed_at': timestamp(order.placed_at),
            'payment_status': 'P',
            'items': sorted([
                {'id': items[mug.pk], 'product': {'id': mug.pk, 'title': 'Coffee Mug', 'unit_price': 8.99},
                 'unit_price': 8.99, 'quantity': 2},
                {'id': items[tea.pk], 'product': {'id': tea.pk, 'title': 'Green Tea', 'unit_price': 4.5},
                 'unit_price': 4.5, 'quantity': 3},
            ], key=lambda item: item['product']['id']),
            'cancelled_at': None,
        }

    def test_order_belongs_to_the_caller(self, authenticate, post_order, mug, make_customer):
        make_customer()
        user = authenticate()

        post_order(make_cart((mug, 1)).pk)

        assert Order.objects.get().customer == customer_of(user)

    def test_copies_the_lines_with_the_products_current_prices(self, authenticate, post_order, mug, tea):
        authenticate()

        post_order(make_cart((mug, 2), (tea, 3)).pk)

        assert sorted(OrderItem.objects.values_list('product_id', 'quantity', 'unit_price')) == sorted([
            (mug.pk, 2, Decimal('8.99')), (tea.pk, 3, Decimal('4.50'))])

    def test_decrements_the_inventory(self, authenticate, post_order, mug, tea):
        authenticate()

        post_order(make_cart((mug, 2), (tea, 3)).pk)

        assert (inventory(mug), inventory(tea)) == (8, 17)

    def test_ordering_the_whole_stock_is_allowed(self, authenticate, post_order, mug):
        authenticate()

        response = post_order(make_cart((mug, 10)).pk)

        assert response.status_code == status.HTTP_201_CREATED
        assert inventory(mug) == 0

    def test_deletes_the_cart_and_its_items(self, authenticate, post_order, mug, tea):
        authenticate()
        cart = make_cart((mug, 2), (tea, 3))

        post_order(cart.pk)

        assert not Cart.objects.filter(pk=cart.pk).exists()
        assert not CartItem.objects.exists()

    def test_later_price_changes_do_not_change_the_order(self, authenticate, api_client, post_order, mug):
        authenticate()
        order_id = post_order(make_cart((mug, 1)).pk).json()['id']

        Product.objects.filter(pk=mug.pk).update(unit_price=Decimal('12.00'))

        item = api_client.get(order_url(order_id)).json()['items'][0]
        assert item['unit_price'] == 8.99
        assert item['product']['unit_price'] == 12.0

    def test_staff_place_orders_for_themselves(self, authenticate, post_order, mug):
        user = authenticate(is_staff=True)

        response = post_order(make_cart((mug, 1)).pk)

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['customer'] == customer_of(user).pk

    def test_a_user_without_a_customer_profile_returns_404(self, authenticate, post_order, mug):
        user = authenticate()
        Customer.objects.filter(user=user).delete()  # staff deleted the profile
        cart = make_cart((mug, 1))

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Customer matches the given query.'}
        assert not Order.objects.exists() and Cart.objects.filter(pk=cart.pk).exists()
        assert not Customer.objects.filter(user=user).exists()

    def test_client_cannot_set_customer_prices_status_or_ids(self, authenticate, post_order, mug, make_customer):
        other = make_customer()
        user = authenticate()

        response = post_order(make_cart((mug, 2)).pk, id=9999, customer=other.pk, payment_status='C',
                              placed_at='2000-01-01T00:00:00Z', cancelled_at='2000-01-01T00:00:00Z',
                              items=[{'id': 9999, 'product': {'id': mug.pk}, 'unit_price': 1, 'quantity': 1}],
                              unit_price=1, customer_id=other.pk)

        assert response.status_code == status.HTTP_201_CREATED
        order = Order.objects.get()
        assert order.pk != 9999 and response.json()['id'] == order.pk
        assert (order.customer, order.payment_status, order.cancelled_at) == (customer_of(user), 'P', None)
        assert order.placed_at.year != 2000
        assert list(order.items.values_list('quantity', 'unit_price')) == [(2, Decimal('8.99'))]

    def test_anonymous_returns_401_and_keeps_the_cart(self, post_order, mug):
        cart = make_cart((mug, 1))

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert cart.items.count() == 1 and inventory(mug) == 10


@pytest.mark.django_db
class TestCreateOrderRefused:
    def assert_nothing_written(self, cart, product, quantity):
        assert not Order.objects.exists() and not OrderItem.objects.exists()
        assert list(CartItem.objects.filter(cart_id=cart.pk).values_list('product_id', 'quantity')) == [
            (product.pk, quantity)]

    def test_unknown_cart_returns_400(self, authenticate, post_order):
        authenticate()

        response = post_order(UNKNOWN_CART_ID)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'cart_id': ['No cart with the given ID was found.']}
        assert not Order.objects.exists()

    def test_empty_cart_returns_400_and_keeps_the_cart(self, authenticate, post_order):
        authenticate()
        cart = make_cart()

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'cart_id': ['The cart is empty.']}
        assert Cart.objects.filter(pk=cart.pk).exists() and not Order.objects.exists()

    @pytest.mark.parametrize('cart_id', MALFORMED_CART_IDS)
    def test_malformed_cart_id_returns_400(self, authenticate, post_order, cart_id):
        authenticate()

        response = post_order(cart_id)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'cart_id': ['Must be a valid UUID.']}

    @pytest.mark.parametrize('body, error', [
        ({}, 'This field is required.'),
        ({'cart_id': None}, 'This field may not be null.'),
        ({'cart_id': ['x']}, 'Must be a valid UUID.'),
    ])
    def test_missing_null_or_wrongly_typed_cart_id_returns_400(self, authenticate, api_client, body, error):
        authenticate()

        response = api_client.post(ORDERS_URL, body, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'cart_id': [error]}

    def test_a_json_array_body_returns_400(self, authenticate, api_client):
        authenticate()

        response = api_client.post(ORDERS_URL, [], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert not Order.objects.exists()

    def test_short_stock_returns_400_listing_every_short_product(self, authenticate, post_order, mug, tea):
        authenticate()
        plenty = make_product(title='Spoon', inventory=100)
        cart = make_cart((mug, 11), (plenty, 1), (tea, 21))

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        body = response.json()
        assert list(body) == ['cart_id']
        assert sorted(body['cart_id']) == [out_of_stock(10, 'Coffee Mug'), out_of_stock(20, 'Green Tea')]

    def test_short_stock_writes_nothing(self, authenticate, post_order, mug, tea):
        authenticate()
        cart = make_cart((mug, 2), (tea, 21))

        post_order(cart.pk)

        assert not Order.objects.exists() and not OrderItem.objects.exists()
        assert (inventory(mug), inventory(tea)) == (10, 20)
        assert sorted(CartItem.objects.filter(cart=cart).values_list('product_id', 'quantity')) == sorted([
            (mug.pk, 2), (tea.pk, 21)])

    def test_the_same_cart_is_ordered_only_once(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 2))
        post_order(cart.pk)

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_PLACED
        assert Order.objects.count() == 1 and inventory(mug) == 8

    def test_another_customer_cannot_order_an_ordered_cart(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 2))
        post_order(cart.pk)
        authenticate()

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_PLACED


@pytest.mark.django_db
class TestOrderCreatedSignal:
    def test_is_sent_once_after_commit(self, authenticate, post_order, mug, order_created_calls,
                                       django_capture_on_commit_callbacks):
        authenticate()

        with django_capture_on_commit_callbacks(execute=True):
            response = post_order(make_cart((mug, 1)).pk)

        assert order_created_calls == [response.json()['id']]

    def test_is_not_sent_before_the_commit(self, authenticate, post_order, mug, order_created_calls,
                                           django_capture_on_commit_callbacks):
        authenticate()

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = post_order(make_cart((mug, 1)).pk)
        assert response.status_code == status.HTTP_201_CREATED
        assert order_created_calls == []

        for callback in callbacks:
            callback()
        assert order_created_calls == [response.json()['id']]

    @pytest.mark.parametrize('cart_lines', ['unknown', 'empty', 'short'])
    def test_is_not_sent_when_the_order_fails(self, authenticate, post_order, mug, cart_lines, order_created_calls,
                                              django_capture_on_commit_callbacks):
        authenticate()
        cart_id = {'unknown': lambda: UNKNOWN_CART_ID,
                   'empty': lambda: make_cart().pk,
                   'short': lambda: make_cart((mug, 11)).pk}[cart_lines]()

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post_order(cart_id)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert callbacks == [] and order_created_calls == []

    def test_is_not_sent_for_a_second_post_of_the_same_cart(self, authenticate, post_order, mug, order_created_calls,
                                                           django_capture_on_commit_callbacks):
        authenticate()
        cart = make_cart((mug, 1))
        with django_capture_on_commit_callbacks(execute=True):
            post_order(cart.pk)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_order(cart.pk)

        assert callbacks == [] and len(order_created_calls) == 1


@pytest.mark.django_db
class TestCreateOrderQueries:
    @pytest.mark.parametrize('lines', [1, 50])
    def test_the_same_number_of_queries_for_1_and_50_lines(self, authenticate, post_order, lines,
                                                           django_assert_num_queries):
        authenticate()
        collection = baker.make(Collection)
        products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=100,
                              _quantity=lines)
        cart = make_cart(*((product, 3) for product in products))

        with django_assert_num_queries(PLACE_ORDER_ENDPOINT_QUERIES):
            response = post_order(cart.pk)

        assert response.status_code == status.HTTP_201_CREATED
        assert len(response.json()['items']) == lines


@pytest.mark.django_db
class TestIdempotentCreateOrder:
    def test_first_post_is_not_marked_replayed_and_stores_the_key(self, authenticate, post_order, mug):
        authenticate()

        response = post_order(make_cart((mug, 1)).pk, idempotency_key='key-1')

        assert response.status_code == status.HTTP_201_CREATED
        assert 'Idempotent-Replayed' not in response.headers
        assert Order.objects.get().idempotency_key == 'key-1'

    def test_retry_returns_the_original_order(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 2))
        first = post_order(cart.pk, idempotency_key='key-1')

        retry = post_order(cart.pk, idempotency_key='key-1')

        assert retry.status_code == status.HTTP_201_CREATED
        assert retry.headers['Idempotent-Replayed'] == 'true'
        assert retry.json() == first.json()

    def test_retry_places_no_second_order_and_takes_no_more_stock(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 2))
        post_order(cart.pk, idempotency_key='key-1')

        post_order(cart.pk, idempotency_key='key-1')
        post_order(cart.pk, idempotency_key='key-1')

        assert Order.objects.count() == 1 and OrderItem.objects.count() == 1
        assert inventory(mug) == 8

    def test_retry_sends_no_second_order_created(self, authenticate, post_order, mug, order_created_calls,
                                                 django_capture_on_commit_callbacks):
        authenticate()
        cart = make_cart((mug, 2))
        with django_capture_on_commit_callbacks(execute=True):
            post_order(cart.pk, idempotency_key='key-1')

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_order(cart.pk, idempotency_key='key-1')

        assert callbacks == [] and len(order_created_calls) == 1

    def test_the_same_key_with_another_cart_returns_422(self, authenticate, post_order, mug):
        authenticate()
        post_order(make_cart((mug, 2)).pk, idempotency_key='key-1')
        other_cart = make_cart((mug, 3))

        response = post_order(other_cart.pk, idempotency_key='key-1')

        assert response.status_code == status.HTTP_422_UNPROCESSABLE_ENTITY
        assert response.json() == {'detail': 'This Idempotency-Key was already used for an order of another cart.'}
        assert Order.objects.count() == 1 and inventory(mug) == 8
        assert other_cart.items.get().quantity == 3

    def test_keys_are_per_customer(self, authenticate, post_order, mug):
        authenticate()
        first = post_order(make_cart((mug, 1)).pk, idempotency_key='key-1')
        user = authenticate()

        response = post_order(make_cart((mug, 1)).pk, idempotency_key='key-1')

        assert response.status_code == status.HTTP_201_CREATED
        assert 'Idempotent-Replayed' not in response.headers
        assert response.json()['id'] != first.json()['id']
        assert response.json()['customer'] == customer_of(user).pk
        assert inventory(mug) == 8

    def test_another_key_for_an_ordered_cart_returns_400(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 1))
        post_order(cart.pk, idempotency_key='key-1')

        response = post_order(cart.pk, idempotency_key='key-2')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_PLACED

    def test_a_retry_without_the_key_returns_400(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 1))
        post_order(cart.pk, idempotency_key='key-1')

        response = post_order(cart.pk)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_PLACED

    def test_a_blank_key_is_no_key(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 1))
        post_order(cart.pk, idempotency_key='   ')

        response = post_order(cart.pk, idempotency_key='   ')

        assert Order.objects.get().idempotency_key is None
        assert response.status_code == status.HTTP_400_BAD_REQUEST

    def test_a_255_character_key_is_accepted(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 1))
        post_order(cart.pk, idempotency_key='k' * 255)

        retry = post_order(cart.pk, idempotency_key='k' * 255)

        assert retry.status_code == status.HTTP_201_CREATED
        assert retry.headers['Idempotent-Replayed'] == 'true'

    def test_a_key_longer_than_255_characters_returns_400_and_writes_nothing(self, authenticate, post_order, mug):
        authenticate()
        cart = make_cart((mug, 1))

        response = post_order(cart.pk, idempotency_key='k' * 256)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'Idempotency-Key': ['Ensure this header has no more than 255 characters.']}
        assert not Order.objects.exists() and inventory(mug) == 10 and cart.items.exists()


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
                       'unit_price': 8.99, 'quantity': 2}],
            'cancelled_at': timestamp(order.cancelled_at),
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
        assert set(body) == {'id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at'}
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


@pytest.mark.django_db
class TestUpdateOrder:
    def test_staff_change_the_payment_status(self, authenticate, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'payment_status': 'C'}
        order.refresh_from_db()
        assert order.payment_status == Order.PAYMENT_STATUS_COMPLETE

    @pytest.mark.parametrize('payment_status', ['X', 'completed', '', None])
    def test_invalid_payment_status_returns_400(self, authenticate, api_client, make_customer, mug, payment_status):
        order = make_order(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': payment_status}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['payment_status']
        assert Order.objects.get(pk=order.pk).payment_status == 'P'

    def test_other_fields_are_ignored(self, authenticate, api_client, make_customer, mug):
        owner = make_customer()
        order = make_order(owner, (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {
            'payment_status': 'F', 'customer': make_customer().pk, 'id': 9999,
            'cancelled_at': '2000-01-01T00:00:00Z', 'items': []}, format='json')

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert (order.pk, order.customer, order.payment_status, order.cancelled_at) == (order.pk, owner, 'F', None)
        assert order.items.count() == 1

    def test_non_staff_returns_403_even_for_their_own_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = make_order(customer_of(user), (mug, 1))

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == NOT_PERMITTED
        assert Order.objects.get(pk=order.pk).payment_status == 'P'

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_unknown_order_returns_404(self, authenticate, api_client):
        authenticate(is_staff=True)

        response = api_client.patch(order_url(999999), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('is_staff', [False, True], ids=['customer', 'staff'])
    def test_put_returns_405(self, authenticate, api_client, mug, is_staff):
        user = authenticate(is_staff=is_staff)
        order = make_order(customer_of(user), (mug, 1))

        response = api_client.put(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'detail': 'Method "PUT" not allowed.'}
        assert Order.objects.get(pk=order.pk).payment_status == 'P'


@pytest.mark.django_db
class TestDeleteOrder:
    def test_staff_delete_returns_204_and_removes_the_order_and_its_items(self, authenticate, api_client,
                                                                          make_customer, mug, tea):
        order = place(make_customer(), (mug, 2), (tea, 3))
        kept = place(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert list(Order.objects.all()) == [kept]
        assert list(OrderItem.objects.values_list('order_id', flat=True)) == [kept.pk]

    def test_returns_the_stock(self, authenticate, api_client, make_customer, mug, tea):
        order = place(make_customer(), (mug, 2), (tea, 3))
        authenticate(is_staff=True)

        api_client.delete(order_url(order.pk))

        assert (inventory(mug), inventory(tea)) == (10, 20)

    def test_a_cancelled_order_does_not_return_its_stock_twice(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        services.cancel_order(order=order)
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert inventory(mug) == 10

    def test_non_staff_returns_403_even_for_their_own_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == NOT_PERMITTED
        assert Order.objects.filter(pk=order.pk).exists() and inventory(mug) == 8

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Order.objects.filter(pk=order.pk).exists()

    def test_unknown_order_returns_404(self, authenticate, api_client):
        authenticate(is_staff=True)

        response = api_client.delete(order_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestCancelOrder:
    def test_owner_cancels_a_pending_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert order.cancelled_at is not None
        item = order.items.get()
        assert response.json() == {
            'id': order.pk, 'customer': order.customer_id, 'placed_at': timestamp(order.placed_at),
            'payment_status': 'P',
            'items': [{'id': item.pk, 'product': {'id': mug.pk, 'title': 'Coffee Mug', 'unit_price': 8.99},
                       'unit_price': 8.99, 'quantity': 2}],
            'cancelled_at': timestamp(order.cancelled_at),
        }

    def test_returns_the_stock_and_keeps_the_rows(self, authenticate, api_client, mug, tea):
        user = authenticate()
        order = place(customer_of(user), (mug, 2), (tea, 3))

        api_client.post(cancel_url(order.pk))

        assert (inventory(mug), inventory(tea)) == (10, 20)
        assert Order.objects.filter(pk=order.pk).exists() and order.items.count() == 2

    @pytest.mark.parametrize('payment_status', [Order.PAYMENT_STATUS_COMPLETE, Order.PAYMENT_STATUS_FAILED])
    def test_owner_cannot_cancel_once_payment_is_no_longer_pending(self, authenticate, api_client, mug,
                                                                   payment_status):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=payment_status)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == CANNOT_CANCEL
        assert Order.objects.get(pk=order.pk).cancelled_at is None and inventory(mug) == 8

    def test_another_customers_order_returns_404(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate()

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Order.objects.get(pk=order.pk).cancelled_at is None and inventory(mug) == 8

    def test_cancelling_twice_returns_400_and_returns_the_stock_once(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        api_client.post(cancel_url(order.pk))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_CANCELLED
        assert inventory(mug) == 10

    def test_a_permission_holder_cancels_their_completed_order(self, authenticate, api_client, mug):
        user = authenticate()
        grant_cancel_order(user)
        order = place(customer_of(user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['cancelled_at'] is not None and inventory(mug) == 10

    def test_a_non_staff_permission_holder_still_gets_404_for_another_customers_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        grant_cancel_order(authenticate())

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_a_staff_permission_holder_cancels_another_customers_completed_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['cancelled_at'] is not None and inventory(mug) == 10

    def test_the_permission_can_come_from_a_group(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        group = baker.make(Group, name='Order cancellers')
        group.permissions.add(Permission.objects.get(content_type__app_label='store', codename='cancel_order'))
        authenticate(is_staff=True).groups.add(group)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK

    def test_a_superuser_cancels_any_order(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate(is_staff=True, is_superuser=True)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK

    def test_staff_without_the_permission_cannot_cancel_another_customers_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate(is_staff=True)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_a_permission_holder_cancelling_a_cancelled_order_gets_400(self, authenticate, api_client,
                                                                       make_customer, mug):
        order = place(make_customer(), (mug, 2))
        services.cancel_order(order=order)
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_CANCELLED
        assert inventory(mug) == 10

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_unknown_order_returns_404(self, authenticate, api_client):
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_get_returns_405(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.get(cancel_url(order.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_a_cancelled_order_can_be_deleted_without_restocking_twice(self, authenticate, api_client, mug):
        user = authenticate(is_staff=True)
        order = place(customer_of(user), (mug, 2))
        api_client.post(cancel_url(order.pk))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert inventory(mug) == 10
