"""API tests for /store/carts/: anonymous create, retrieve and delete; no list, no update."""
import json
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from model_bakery import baker
from rest_framework import status

from store.models import Cart, CartItem, Product

# The cart joined to its lines and their products (one query), whatever the number of lines.
CART_RETRIEVE_MAX_QUERIES = 1
# Exactly: the cart joined to its lines and their products, one row per line (selectors.cart_lines).
CART_RETRIEVE_QUERIES = 1
# Creating a cart is its INSERT: a new cart has no lines to read back.
CART_CREATE_QUERIES = 1

MALFORMED_CART_IDS = ['bad', '123', 'x' * 300]


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 50, **fields}
    return baker.make(Product, **fields)


def cart_url(cart_id):
    return f'/store/carts/{cart_id}/'


def body(response):
    """The JSON body, numbers with a fraction parsed as exact Decimals."""
    return json.loads(response.content, parse_float=Decimal)


@pytest.fixture
def cart(db):
    return baker.make(Cart)


@pytest.mark.django_db
class TestCreateCart:
    def test_empty_body_returns_201_with_a_new_empty_cart(self, api_client):
        response = api_client.post('/store/carts/', {}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        cart = Cart.objects.get()
        assert response.json() == {'id': str(cart.pk), 'items': [], 'total_price': 0}

    def test_no_body_at_all_returns_201(self, api_client):
        response = api_client.post('/store/carts/')

        assert response.status_code == status.HTTP_201_CREATED
        assert Cart.objects.filter(pk=response.json()['id']).exists()

    def test_id_is_a_uuid4(self, api_client):
        response = api_client.post('/store/carts/', {}, format='json')

        cart_id = response.json()['id']
        assert str(UUID(cart_id)) == cart_id
        assert UUID(cart_id).version == 4

    def test_each_post_creates_a_different_cart(self, api_client):
        first = api_client.post('/store/carts/', {}, format='json').json()['id']
        second = api_client.post('/store/carts/', {}, format='json').json()['id']

        assert first != second
        assert Cart.objects.count() == 2

    def test_client_sent_id_is_ignored(self, api_client):
        chosen = str(uuid4())

        response = api_client.post('/store/carts/', {'id': chosen}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['id'] != chosen
        assert not Cart.objects.filter(pk=chosen).exists()

    def test_client_sent_id_of_an_existing_cart_does_not_touch_it(self, api_client, cart):
        baker.make(CartItem, cart=cart, product=make_product(), quantity=2)

        response = api_client.post('/store/carts/', {'id': str(cart.pk)}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['id'] != str(cart.pk)
        assert cart.items.count() == 1

    def test_client_sent_items_are_ignored(self, api_client):
        product = make_product()

        response = api_client.post('/store/carts/', {'items': [{'product_id': product.pk, 'quantity': 1}]},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['items'] == []
        assert not CartItem.objects.exists()

    def test_runs_exactly_one_query(self, api_client, django_assert_num_queries):
        with django_assert_num_queries(CART_CREATE_QUERIES) as queries:
            response = api_client.post('/store/carts/')

        assert response.status_code == status.HTTP_201_CREATED
        assert queries.captured_queries[0]['sql'].startswith('INSERT INTO')
        cart = Cart.objects.get()
        assert response.json() == {'id': str(cart.pk), 'items': [], 'total_price': 0}
        assert set(response.json()) == {'id', 'items', 'total_price'}

    def test_authenticated_user_can_create_a_cart(self, api_client, authenticate):
        authenticate()

        response = api_client.post('/store/carts/', {}, format='json')

        assert response.status_code == status.HTTP_201_CREATED


@pytest.mark.django_db
class TestListCarts:
    def test_get_collection_returns_405(self, api_client, cart):
        response = api_client.get('/store/carts/')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'detail': 'Method "GET" not allowed.'}


@pytest.mark.django_db
class TestRetrieveCart:
    def test_empty_cart(self, api_client, cart):
        response = api_client.get(cart_url(cart.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': str(cart.pk), 'items': [], 'total_price': 0}

    def test_items_carry_product_quantity_and_line_total(self, api_client, cart):
        product = make_product(title='Coffee Mug', unit_price=Decimal('8.99'))
        item = baker.make(CartItem, cart=cart, product=product, quantity=2)

        response = api_client.get(cart_url(cart.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {
            'id': str(cart.pk),
            'items': [{
                'id': item.pk,
                'product': {'id': product.pk, 'title': 'Coffee Mug', 'unit_price': 8.99, 'sale_price': None},
                'quantity': 2,
                'total_price': 17.98,
            }],
            'total_price': 17.98,
        }

    def test_cart_total_is_the_sum_of_line_totals(self, api_client, cart):
        baker.make(CartItem, cart=cart, product=make_product(unit_price=Decimal('2.50')), quantity=3)
        baker.make(CartItem, cart=cart, product=make_product(unit_price=Decimal('10.00')), quantity=1)
        baker.make(CartItem, cart=cart, product=make_product(unit_price=Decimal('1.25')), quantity=4)

        response = api_client.get(cart_url(cart.pk))

        body = response.json()
        assert [line['total_price'] for line in body['items']] == [7.5, 10.0, 5.0]
        assert body['total_price'] == 22.5

    def test_prices_are_json_numbers(self, api_client, cart):
        baker.make(CartItem, cart=cart, product=make_product(), quantity=1)

        body = api_client.get(cart_url(cart.pk)).json()

        assert isinstance(body['total_price'], (int, float))
        assert isinstance(body['items'][0]['total_price'], (int, float))
        assert isinstance(body['items'][0]['product']['unit_price'], (int, float))

    def test_only_shows_this_carts_items(self, api_client, cart):
        own = baker.make(CartItem, cart=cart, product=make_product(), quantity=1)
        baker.make(CartItem, cart=baker.make(Cart), product=make_product(), quantity=1)

        response = api_client.get(cart_url(cart.pk))

        assert [line['id'] for line in response.json()['items']] == [own.pk]

    def test_id_in_uppercase_finds_the_cart(self, api_client, cart):
        response = api_client.get(cart_url(str(cart.pk).upper()))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == str(cart.pk)

    def test_authenticated_user_can_read_an_anonymous_cart(self, api_client, authenticate, cart):
        authenticate()

        response = api_client.get(cart_url(cart.pk))

        assert response.status_code == status.HTTP_200_OK

    def test_unknown_uuid_returns_404(self, api_client):
        response = api_client.get(cart_url(uuid4()))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('cart_id', MALFORMED_CART_IDS)
    def test_malformed_id_returns_404(self, api_client, cart_id):
        response = api_client.get(cart_url(cart_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('lines', [1, 5, 20])
    def test_query_count_does_not_grow_with_lines(self, api_client, cart, lines, django_assert_max_num_queries):
        for _ in range(lines):
            baker.make(CartItem, cart=cart, product=make_product(), quantity=1)

        with django_assert_max_num_queries(CART_RETRIEVE_MAX_QUERIES):
            response = api_client.get(cart_url(cart.pk))

        assert len(response.json()['items']) == lines


@pytest.mark.django_db
class TestRetrieveCartInOneQuery:
    @pytest.fixture
    def five_lines(self, cart):
        """Prices whose float products are inexact (1.1 * 3), up to the largest price times the largest line."""
        lines = [(Decimal('1.10'), 3), (Decimal('1.70'), 1), (Decimal('19.99'), 7), (Decimal('1000.01'), 3),
                 (Decimal('9999.99'), 32767)]
        return [baker.make(CartItem, cart=cart, product=make_product(unit_price=price), quantity=quantity)
                for price, quantity in lines]

    @pytest.mark.parametrize('lines', [0, 1, 5])
    def test_the_same_count_whatever_the_number_of_lines(self, api_client, cart, five_lines, lines,
                                                         django_assert_num_queries):
        CartItem.objects.exclude(pk__in=[item.pk for item in five_lines[:lines]]).delete()

        with django_assert_num_queries(CART_RETRIEVE_QUERIES):
            response = api_client.get(cart_url(cart.pk))

        assert response.status_code == status.HTTP_200_OK
        assert [line['id'] for line in response.json()['items']] == [item.pk for item in five_lines[:lines]]

    def test_line_and_cart_totals_are_exact(self, api_client, cart, five_lines):
        response = api_client.get(cart_url(cart.pk))

        data = body(response)
        assert [line['total_price'] for line in data['items']] == [
            Decimal('3.30'), Decimal('1.70'), Decimal('139.93'), Decimal('3000.03'), Decimal('327669672.33')]
        assert data['total_price'] == Decimal('327672817.29')
        assert [(line['quantity'], line['product']['unit_price']) for line in data['items']] == [
            (item.quantity, item.product.unit_price) for item in five_lines]

    def test_a_line_total_is_exact_where_floats_are_not(self, api_client, cart):
        tea = make_product(title='Tea', unit_price=Decimal('1.10'))
        item = baker.make(CartItem, cart=cart, product=tea, quantity=3)

        response = api_client.get(cart_url(cart.pk))

        assert 1.1 * 3 != 3.3
        assert '3.3000000000000003' not in response.content.decode()
        assert body(response) == {'id': str(cart.pk), 'items': [{
            'id': item.pk, 'product': {'id': item.product_id, 'title': 'Tea', 'unit_price': Decimal('1.10'),
                                                                   'sale_price': None},
            'quantity': 3, 'total_price': Decimal('3.30')}], 'total_price': Decimal('3.30')}

    @pytest.mark.parametrize('cart_id', ['2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10', *MALFORMED_CART_IDS])
    def test_unknown_or_malformed_id_is_404_in_at_most_one_query(self, api_client, cart_id,
                                                                  django_assert_max_num_queries):
        with django_assert_max_num_queries(CART_RETRIEVE_QUERIES):
            response = api_client.get(cart_url(cart_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Cart matches the given query.'}


@pytest.mark.django_db
class TestUpdateCart:
    def test_put_returns_405(self, api_client, cart):
        response = api_client.put(cart_url(cart.pk), {}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED

    def test_patch_returns_405(self, api_client, cart):
        response = api_client.patch(cart_url(cart.pk), {'id': str(uuid4())}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Cart.objects.filter(pk=cart.pk).exists()


@pytest.mark.django_db
class TestDeleteCart:
    def test_returns_204_with_an_empty_body(self, api_client, cart):
        response = api_client.delete(cart_url(cart.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''
        assert not Cart.objects.filter(pk=cart.pk).exists()

    def test_then_get_returns_404(self, api_client, cart):
        api_client.delete(cart_url(cart.pk))

        response = api_client.get(cart_url(cart.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_deletes_the_carts_items_only(self, api_client, cart):
        product = make_product()
        baker.make(CartItem, cart=cart, product=product, quantity=1)
        other = baker.make(CartItem, cart=baker.make(Cart), product=product, quantity=1)

        api_client.delete(cart_url(cart.pk))

        assert not CartItem.objects.filter(cart_id=cart.pk).exists()
        assert list(CartItem.objects.all()) == [other]
        assert Product.objects.filter(pk=product.pk).exists()

    def test_deleting_twice_returns_404(self, api_client, cart):
        api_client.delete(cart_url(cart.pk))

        response = api_client.delete(cart_url(cart.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_unknown_uuid_returns_404(self, api_client, cart):
        response = api_client.delete(cart_url(uuid4()))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Cart.objects.count() == 1

    @pytest.mark.parametrize('cart_id', MALFORMED_CART_IDS)
    def test_malformed_id_returns_404(self, api_client, cart, cart_id):
        response = api_client.delete(cart_url(cart_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Cart.objects.count() == 1
