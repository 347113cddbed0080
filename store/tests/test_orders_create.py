"""API tests for placing an order, POST /store/orders/: once per cart, idempotent with an Idempotency-Key.

Placing checks and decrements inventory and snapshots prices in one transaction (DECISIONS §4); a refused
order (unknown, empty or already ordered cart, short stock, bad input) is a 400 that writes nothing;
`order_created` is sent once, after the commit; the query count does not grow with the cart's lines.
"""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store.models import Cart, CartItem, Collection, Customer, Order, OrderItem, Product

from .factories import customer_of, inventory, make_cart, make_product
from .orders_helpers import NOT_AUTHENTICATED, ORDERS_URL, order_url, timestamp

# The caller's customer; SAVEPOINT; lock the cart; read its lines; lock their products; read their
# promotions; INSERT the order; INSERT its items; UPDATE the inventories; delete the cart (3); INSERT its
# "placed" event; RELEASE SAVEPOINT; read the order back with its items and their products (2). The same for 1 cart line as for 50.
PLACE_ORDER_ENDPOINT_QUERIES = 16

UNKNOWN_CART_ID = '2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10'
MALFORMED_CART_IDS = ['bad', '123', 'x' * 300, '2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f1']

# A cart that was already ordered is gone, as in the course: the same answer as for an unknown cart.
ALREADY_PLACED = {'cart_id': ['No cart with the given ID was found.']}


def out_of_stock(available, title):
    return f'Only {available} units of "{title}" are available.'


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
                 'unit_price': 8.99, 'quantity': 2, 'list_price': 8.99, 'promotion': None},
                {'id': items[tea.pk], 'product': {'id': tea.pk, 'title': 'Green Tea', 'unit_price': 4.5},
                 'unit_price': 4.5, 'quantity': 3, 'list_price': 4.5, 'promotion': None},
            ], key=lambda item: item['product']['id']),
            'cancelled_at': None,
            # 17.98 + 13.50, and 10 % tax on it rounded half-up (3.148 -> 3.15).
            'subtotal': 31.48, 'tax': 3.15, 'total': 34.63, 'currency': 'USD',
            'shipping_address': None,
            'fulfilment_status': 'unfulfilled', 'carrier': '', 'tracking_number': '', 'shipped_at': None,
            'delivered_at': None,
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
