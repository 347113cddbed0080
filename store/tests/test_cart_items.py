"""API tests for /store/carts/{cart_pk}/items/: anonymous add, read, change and remove cart lines.

A line never holds more units than the product's inventory (DECISIONS §4).
"""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store import services
from store.models import Cart, CartItem, Product

# Parent-cart lookup + the lines + their products with sale prices, whatever the number of lines.
CART_ITEM_LIST_MAX_QUERIES = 3
# Adding a line: the product (read once, by the serializer), then in add_to_cart's transaction the cart's touch
# (an UPDATE that also locks it), the product's line, and the line's INSERT or UPDATE. Inside a test's
# transaction the BEGIN and COMMIT are a SAVEPOINT and its RELEASE, counted like them.
# Inside the test's transaction BEGIN/COMMIT are a savepoint; the insert has a savepoint of its own.
ADD_NEW_LINE_STATEMENTS = ['SELECT store_product', 'SAVEPOINT', 'UPDATE store_cart', 'SAVEPOINT',
                           'INSERT store_cartitem', 'RELEASE', 'RELEASE']
# The insert refused by the (cart, product) unique constraint, then the line read and merged into.
ADD_TO_LINE_STATEMENTS = ['SELECT store_product', 'SAVEPOINT', 'UPDATE store_cart', 'SAVEPOINT',
                          'INSERT store_cartitem', 'ROLLBACK', 'RELEASE', 'SELECT store_cartitem',
                          'UPDATE store_cartitem', 'RELEASE']
REFUSED_INSERT = ADD_TO_LINE_STATEMENTS.index('INSERT store_cartitem')
FAILED_WITHOUT_TEXT = 'a failed statement (no text kept)'
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)

UNKNOWN_CART_ID = '2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10'
MALFORMED_CART_IDS = ['bad', '123', 'x' * 300]
REQUIRED = ['This field is required.']
QUANTITY_AT_LEAST_1 = ['Ensure this value is greater than or equal to 1.']
NO_SUCH_PRODUCT = ['No product with the given ID was found.']
NOT_AN_INTEGER = ['A valid integer is required.']
QUANTITY_AT_MOST_32767 = ['Ensure this value is less than or equal to 32767.']


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 50, **fields}
    return baker.make(Product, **fields)


def out_of_stock(available, title):
    return [f'Only {available} units of "{title}" are available.']


def statements(queries):
    """Each captured query as its verb and, for data statements, the table it reads or writes."""
    described = []
    for query in queries:
        if query['sql'] in (None, 'None'):
            # MySQLdb keeps no text of a statement that failed, e.g. an INSERT a unique constraint refused.
            described.append(FAILED_WITHOUT_TEXT)
            continue
        words = query['sql'].replace('"', '').replace('`', '').split()
        verb = words[0].upper()
        if verb in ('SELECT', 'DELETE'):
            described.append(f"{verb} {words[words.index('FROM') + 1]}")
        elif verb in ('INSERT', 'UPDATE'):
            described.append(f"{verb} {words[2] if verb == 'INSERT' else words[1]}")
        else:
            described.append(verb)
    return described


def updated_at(cart):
    return Cart.objects.values_list('updated_at', flat=True).get(pk=cart.pk)


def items_url(cart_pk):
    return f'/store/carts/{cart_pk}/items/'


def item_url(cart_pk, item_pk):
    return f'/store/carts/{cart_pk}/items/{item_pk}/'


@pytest.fixture
def cart(db):
    return baker.make(Cart)


@pytest.fixture
def product(db):
    return make_product(title='Coffee Mug', unit_price=Decimal('8.99'))


@pytest.fixture
def item(cart, product):
    return baker.make(CartItem, cart=cart, product=product, quantity=2)


def unknown_cart_ids():
    # A fixed unknown UUID keeps test ids identical between runs (and between pytest-xdist workers).
    return [UNKNOWN_CART_ID, *MALFORMED_CART_IDS]


@pytest.mark.django_db
class TestListCartItems:
    def test_returns_a_plain_array_of_lines(self, api_client, item, product):
        response = api_client.get(items_url(item.cart_id))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [{
            'id': item.pk,
            'product': {'id': product.pk, 'title': 'Coffee Mug', 'unit_price': 8.99, 'sale_price': None},
            'quantity': 2,
            'total_price': 17.98,
        }]

    def test_empty_cart_gives_an_empty_array(self, api_client, cart):
        response = api_client.get(items_url(cart.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    def test_only_lists_this_carts_lines(self, api_client, item):
        baker.make(CartItem, cart=baker.make(Cart), product=make_product(), quantity=1)

        response = api_client.get(items_url(item.cart_id))

        assert [line['id'] for line in response.json()] == [item.pk]

    @pytest.mark.parametrize('cart_id', unknown_cart_ids())
    def test_unknown_or_malformed_cart_returns_404(self, api_client, cart_id):
        response = api_client.get(items_url(cart_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('lines', [1, 20])
    def test_query_count_does_not_grow_with_lines(self, api_client, cart, lines, django_assert_max_num_queries):
        for _ in range(lines):
            baker.make(CartItem, cart=cart, product=make_product(), quantity=1)

        with django_assert_max_num_queries(CART_ITEM_LIST_MAX_QUERIES):
            response = api_client.get(items_url(cart.pk))

        assert len(response.json()) == lines


@pytest.mark.django_db
class TestRetrieveCartItem:
    def test_returns_the_line(self, api_client, item, product):
        response = api_client.get(item_url(item.cart_id, item.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {
            'id': item.pk,
            'product': {'id': product.pk, 'title': 'Coffee Mug', 'unit_price': 8.99, 'sale_price': None},
            'quantity': 2,
            'total_price': 17.98,
        }

    def test_unknown_item_returns_404(self, api_client, cart):
        response = api_client.get(item_url(cart.pk, 99999))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_item_of_another_cart_returns_404(self, api_client, item):
        response = api_client.get(item_url(baker.make(Cart).pk, item.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('cart_id', unknown_cart_ids())
    def test_unknown_or_malformed_cart_returns_404(self, api_client, item, cart_id):
        response = api_client.get(item_url(cart_id, item.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestAddCartItem:
    def test_returns_201_with_id_product_id_and_quantity(self, api_client, cart, product):
        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 3}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        item = CartItem.objects.get()
        assert response.json() == {'id': item.pk, 'product_id': product.pk, 'quantity': 3}
        assert (item.cart_id, item.product_id, item.quantity) == (cart.pk, product.pk, 3)

    def test_authenticated_user_can_add(self, api_client, authenticate, cart, product):
        authenticate()

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_201_CREATED

    def test_adding_the_same_product_again_sums_into_the_same_line(self, api_client, item, product):
        response = api_client.post(items_url(item.cart_id), {'product_id': product.pk, 'quantity': 3},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == {'id': item.pk, 'product_id': product.pk, 'quantity': 5}
        assert CartItem.objects.count() == 1
        item.refresh_from_db()
        assert item.quantity == 5

    def test_same_product_in_another_cart_is_a_separate_line(self, api_client, item, product):
        other_cart = baker.make(Cart)

        response = api_client.post(items_url(other_cart.pk), {'product_id': product.pk, 'quantity': 1},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['id'] != item.pk
        item.refresh_from_db()
        assert item.quantity == 2

    def test_unknown_product_returns_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), {'product_id': 99999, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': NO_SUCH_PRODUCT}
        assert not CartItem.objects.exists()

    def test_huge_product_id_returns_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), {'product_id': 10 ** 30, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': NO_SUCH_PRODUCT}

    @pytest.mark.parametrize('product_id', ['abc', [1], {'id': 1}, 1.5])
    def test_non_integer_product_id_returns_400(self, api_client, cart, product_id):
        response = api_client.post(items_url(cart.pk), {'product_id': product_id, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': NOT_AN_INTEGER}

    def test_null_product_id_returns_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), {'product_id': None, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': ['This field may not be null.']}

    @pytest.mark.parametrize('quantity', [0, -1])
    def test_quantity_below_1_returns_400(self, api_client, cart, product, quantity):
        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': quantity},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': QUANTITY_AT_LEAST_1}
        assert not CartItem.objects.exists()

    def test_quantity_above_32767_returns_400(self, api_client, cart):
        product = make_product(inventory=100_000)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 32768}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': QUANTITY_AT_MOST_32767}
        assert not CartItem.objects.exists()

    @pytest.mark.parametrize('quantity', ['abc', [1], 1.5])
    def test_non_integer_quantity_returns_400(self, api_client, cart, product, quantity):
        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': quantity},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': NOT_AN_INTEGER}

    def test_missing_fields_return_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': REQUIRED, 'quantity': REQUIRED}

    def test_empty_body_returns_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': REQUIRED, 'quantity': REQUIRED}

    def test_json_list_body_returns_400(self, api_client, cart, product):
        response = api_client.post(items_url(cart.pk), [{'product_id': product.pk, 'quantity': 1}], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'non_field_errors': ['Invalid data. Expected a dictionary, but got list.']}
        assert not CartItem.objects.exists()

    def test_malformed_json_returns_400(self, api_client, cart):
        response = api_client.post(items_url(cart.pk), data='{"product_id": 1,', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json()['detail'].startswith('JSON parse error')

    def test_client_sent_id_is_ignored(self, api_client, item):
        product = make_product()

        response = api_client.post(items_url(item.cart_id), {'id': item.pk, 'product_id': product.pk, 'quantity': 1},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['id'] != item.pk
        item.refresh_from_db()
        assert item.quantity == 2

    @pytest.mark.parametrize('cart_id', unknown_cart_ids())
    def test_unknown_or_malformed_cart_returns_404(self, api_client, product, cart_id):
        response = api_client.post(items_url(cart_id), {'product_id': product.pk, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not CartItem.objects.exists()


@pytest.mark.django_db
class TestAddCartItemQueries:
    """add_to_cart reads the product once (the serializer's validation) and finds the cart by touching it."""

    @pytest.fixture
    def long_untouched_cart(self, cart):
        Cart.objects.filter(pk=cart.pk).update(updated_at=LONG_AGO)
        return cart

    def test_a_new_line_runs_exactly_these_queries(self, api_client, cart, product, django_assert_num_queries):
        with django_assert_num_queries(len(ADD_NEW_LINE_STATEMENTS)) as queries:
            response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 3}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert statements(queries.captured_queries) == ADD_NEW_LINE_STATEMENTS
        item = CartItem.objects.get()
        assert response.json() == {'id': item.pk, 'product_id': product.pk, 'quantity': 3}

    def test_adding_to_a_line_runs_exactly_these_queries(self, api_client, item, product, django_assert_num_queries):
        with django_assert_num_queries(len(ADD_TO_LINE_STATEMENTS)) as queries:
            response = api_client.post(items_url(item.cart_id), {'product_id': product.pk, 'quantity': 3},
                                       format='json')

        assert response.status_code == status.HTTP_201_CREATED
        described = statements(queries.captured_queries)
        if described[REFUSED_INSERT] == FAILED_WITHOUT_TEXT:  # MySQL
            described[REFUSED_INSERT] = 'INSERT store_cartitem'
        assert described == ADD_TO_LINE_STATEMENTS
        assert response.json() == {'id': item.pk, 'product_id': product.pk, 'quantity': 5}
        item.refresh_from_db()
        assert item.quantity == 5
        assert CartItem.objects.count() == 1

    def test_merging_past_the_inventory_returns_400_naming_the_product(self, api_client, cart):
        product = make_product(title='Coffee Mug', inventory=5)
        api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 2}, format='json')
        assert api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 2},
                               format='json').json()['quantity'] == 4

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 2}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(5, 'Coffee Mug')}
        assert list(CartItem.objects.values_list('quantity', flat=True)) == [4]
        last = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 1}, format='json')
        assert (last.status_code, last.json()['quantity']) == (status.HTTP_201_CREATED, 5)

    def test_a_new_line_touches_the_cart(self, api_client, long_untouched_cart, product):
        before = datetime.now(timezone.utc)

        response = api_client.post(items_url(long_untouched_cart.pk), {'product_id': product.pk, 'quantity': 1},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert before <= updated_at(long_untouched_cart) <= datetime.now(timezone.utc)

    def test_adding_to_a_line_touches_the_cart(self, api_client, long_untouched_cart, product):
        baker.make(CartItem, cart=long_untouched_cart, product=product, quantity=1)
        Cart.objects.filter(pk=long_untouched_cart.pk).update(updated_at=LONG_AGO)
        before = datetime.now(timezone.utc)

        response = api_client.post(items_url(long_untouched_cart.pk), {'product_id': product.pk, 'quantity': 1},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert before <= updated_at(long_untouched_cart)

    def test_a_refused_add_leaves_the_cart_untouched(self, api_client, long_untouched_cart):
        product = make_product(title='Coffee Mug', inventory=1)

        response = api_client.post(items_url(long_untouched_cart.pk), {'product_id': product.pk, 'quantity': 2},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(1, 'Coffee Mug')}
        assert updated_at(long_untouched_cart) == LONG_AGO

    def test_unknown_product_is_400_after_one_query_and_the_cart_is_untouched(
            self, api_client, long_untouched_cart, django_assert_num_queries):
        with django_assert_num_queries(1) as queries:
            response = api_client.post(items_url(long_untouched_cart.pk), {'product_id': 99999, 'quantity': 1},
                                       format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': NO_SUCH_PRODUCT}
        assert statements(queries.captured_queries) == ['SELECT store_product']
        assert updated_at(long_untouched_cart) == LONG_AGO
        assert not CartItem.objects.exists()

    def test_unknown_cart_is_404_and_nothing_is_written(self, api_client, product):
        response = api_client.post(items_url(UNKNOWN_CART_ID), {'product_id': product.pk, 'quantity': 1},
                                   format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Cart matches the given query.'}
        assert not Cart.objects.exists()
        assert not CartItem.objects.exists()

    @pytest.mark.parametrize('cart_id', MALFORMED_CART_IDS)
    def test_malformed_cart_id_is_404_without_a_query(self, api_client, product, cart_id, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = api_client.post(items_url(cart_id), {'product_id': product.pk, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Cart matches the given query.'}

    def test_unknown_cart_and_unknown_product_is_400_the_body_being_validated_first(self, api_client, db):
        response = api_client.post(items_url(UNKNOWN_CART_ID), {'product_id': 99999, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'product_id': NO_SUCH_PRODUCT}

    @pytest.mark.parametrize('cart_id', MALFORMED_CART_IDS)
    def test_malformed_cart_and_unknown_product_is_404_the_id_being_checked_first(self, api_client, db, cart_id):
        response = api_client.post(items_url(cart_id), {'product_id': 99999, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Cart matches the given query.'}


@pytest.mark.django_db
class TestAddCartItemInventoryCap:
    def test_more_than_the_inventory_returns_400_and_saves_nothing(self, api_client, cart):
        product = make_product(title='Coffee Mug', inventory=5)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 6}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(5, 'Coffee Mug')}
        assert not CartItem.objects.exists()

    def test_exactly_the_inventory_is_allowed(self, api_client, cart):
        product = make_product(inventory=5)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 5}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['quantity'] == 5

    def test_adding_past_the_inventory_keeps_the_old_quantity(self, api_client, cart):
        product = make_product(title='Coffee Mug', inventory=5)
        item = baker.make(CartItem, cart=cart, product=product, quantity=3)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 3}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(5, 'Coffee Mug')}
        item.refresh_from_db()
        assert item.quantity == 3

    def test_adding_up_to_exactly_the_inventory_is_allowed(self, api_client, cart):
        product = make_product(inventory=5)
        item = baker.make(CartItem, cart=cart, product=product, quantity=3)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 2}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == {'id': item.pk, 'product_id': product.pk, 'quantity': 5}

    def test_product_with_no_inventory_cannot_be_added(self, api_client, cart):
        product = make_product(title='Sold Out', inventory=0)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 1}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(0, 'Sold Out')}
        assert not CartItem.objects.exists()

    def test_sum_past_32767_returns_400_not_500(self, api_client, cart):
        product = make_product(title='Bulk', inventory=100_000)
        item = baker.make(CartItem, cart=cart, product=product, quantity=32_000)

        response = api_client.post(items_url(cart.pk), {'product_id': product.pk, 'quantity': 1000}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(32767, 'Bulk')}
        item.refresh_from_db()
        assert item.quantity == 32_000


@pytest.mark.django_db
class TestUpdateCartItem:
    def test_patch_returns_200_with_only_the_quantity(self, api_client, item):
        response = api_client.patch(item_url(item.cart_id, item.pk), {'quantity': 4}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'quantity': 4}
        item.refresh_from_db()
        assert item.quantity == 4

    def test_patch_sets_rather_than_adds(self, api_client, item):
        api_client.patch(item_url(item.cart_id, item.pk), {'quantity': 1}, format='json')

        item.refresh_from_db()
        assert item.quantity == 1

    def test_patch_cannot_change_the_product(self, api_client, item, product):
        other = make_product()

        api_client.patch(item_url(item.cart_id, item.pk), {'quantity': 3, 'product_id': other.pk}, format='json')

        item.refresh_from_db()
        assert (item.product_id, item.quantity) == (product.pk, 3)

    @pytest.mark.parametrize('quantity', [0, -1])
    def test_quantity_below_1_returns_400(self, api_client, item, quantity):
        response = api_client.patch(item_url(item.cart_id, item.pk), {'quantity': quantity}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': QUANTITY_AT_LEAST_1}
        item.refresh_from_db()
        assert item.quantity == 2

    def test_quantity_above_32767_returns_400(self, api_client, cart):
        item = baker.make(CartItem, cart=cart, product=make_product(inventory=100_000), quantity=1)

        response = api_client.patch(item_url(cart.pk, item.pk), {'quantity': 32768}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': QUANTITY_AT_MOST_32767}

    def test_above_the_inventory_returns_400(self, api_client, cart):
        product = make_product(title='Coffee Mug', inventory=5)
        item = baker.make(CartItem, cart=cart, product=product, quantity=2)

        response = api_client.patch(item_url(cart.pk, item.pk), {'quantity': 6}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'quantity': out_of_stock(5, 'Coffee Mug')}
        item.refresh_from_db()
        assert item.quantity == 2

    def test_exactly_the_inventory_is_allowed(self, api_client, cart):
        item = baker.make(CartItem, cart=cart, product=make_product(inventory=5), quantity=2)

        response = api_client.patch(item_url(cart.pk, item.pk), {'quantity': 5}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'quantity': 5}

    def test_put_returns_405(self, api_client, item):
        response = api_client.put(item_url(item.cart_id, item.pk), {'quantity': 4}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'detail': 'Method "PUT" not allowed.'}
        item.refresh_from_db()
        assert item.quantity == 2

    def test_item_of_another_cart_returns_404(self, api_client, item):
        response = api_client.patch(item_url(baker.make(Cart).pk, item.pk), {'quantity': 4}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        item.refresh_from_db()
        assert item.quantity == 2

    @pytest.mark.parametrize('cart_id', unknown_cart_ids())
    def test_unknown_or_malformed_cart_returns_404(self, api_client, item, cart_id):
        response = api_client.patch(item_url(cart_id, item.pk), {'quantity': 4}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestDeleteCartItem:
    def test_returns_204_and_removes_the_line(self, api_client, item):
        response = api_client.delete(item_url(item.cart_id, item.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not CartItem.objects.filter(pk=item.pk).exists()

    def test_then_get_returns_404(self, api_client, item):
        url = item_url(item.cart_id, item.pk)
        api_client.delete(url)

        response = api_client.get(url)

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_keeps_the_cart_and_the_product(self, api_client, item, product):
        api_client.delete(item_url(item.cart_id, item.pk))

        assert Cart.objects.filter(pk=item.cart_id).exists()
        assert Product.objects.filter(pk=product.pk).exists()

    def test_item_of_another_cart_returns_404(self, api_client, item):
        response = api_client.delete(item_url(baker.make(Cart).pk, item.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert CartItem.objects.filter(pk=item.pk).exists()

    @pytest.mark.parametrize('cart_id', unknown_cart_ids())
    def test_unknown_or_malformed_cart_returns_404(self, api_client, item, cart_id):
        response = api_client.delete(item_url(cart_id, item.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert CartItem.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
class TestVanishedCartItem:
    """A line removed since the request read it (by a concurrent DELETE or an order of its cart)."""

    def test_updating_a_removed_line_is_row_not_found_and_inserts_nothing(self, item):
        CartItem.objects.filter(pk=item.pk).delete()

        with pytest.raises(services.RowNotFound, match='^No CartItem matches the given query.$'):
            services.update_cart_item(item=item, quantity=3)

        assert not CartItem.objects.exists()

    def test_updating_a_line_of_an_ordered_cart_is_row_not_found(self, item):
        Cart.objects.filter(pk=item.cart_id).delete()

        with pytest.raises(services.RowNotFound):
            services.update_cart_item(item=item, quantity=3)

        assert not CartItem.objects.exists() and not Cart.objects.exists()

    def test_removing_a_removed_line_is_row_not_found(self, item, cart):
        CartItem.objects.filter(pk=item.pk).delete()
        Cart.objects.filter(pk=cart.pk).update(updated_at=LONG_AGO)

        with pytest.raises(services.RowNotFound):
            services.remove_cart_item(item=item)

        assert updated_at(cart) == LONG_AGO  # the refused removal touched nothing
