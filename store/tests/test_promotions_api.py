"""API tests for /store/promotions/ (issue 16, item 5): staff manage promotions, anyone reads the active ones.

A promotion is `{"id", "description", "discount", "starts_at", "ends_at", "products": [ids]}`: `discount` percent
off its products while its window [starts_at, ends_at) holds (no end: until staff end it). Non-staff callers
(anonymous included) list and retrieve the active promotions only, an inactive one is a 404 to them; staff read
them all and write. The list is unpaginated, in id order, each promotion's products in id order.

The clock is fixed at NOW (time_machine, no tick) so that windows are exact; the database's own checks are
tested with the ORM, past the serializer.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from rest_framework import status

from store.models import Order, OrderItem, Product, Promotion
from store.serializers import MAX_PROMOTION_PRODUCTS
from store.views import PromotionViewSet

from .customers_helpers import NOT_AUTHENTICATED, NOT_PERMITTED, REQUIRED
from .factories import customer_of, make_product, make_promotion

LIST_URL = '/store/promotions/'
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)

NOT_FOUND = {'detail': 'No Promotion matches the given query.'}
MALFORMED_ID = {'detail': 'Not found.'}  # DRF's get_object_or_404 on an id that is not a number
PROTECTED = {'error': 'Promotion cannot be deleted because it is associated with an order item.'}
ENDS_BEFORE_IT_STARTS = {'ends_at': ['A promotion must end after it starts.']}
NOT_A_PERCENTAGE = ['Ensure this value is greater than 0 and less than 100 (a percentage off).']

# Reading promotions: the promotions (one query) and their products' ids (one prefetch query), whatever their
# numbers; force_authenticate costs no query.
PROMOTION_LIST_MAX_QUERIES = 2
PROMOTION_DETAIL_MAX_QUERIES = 2


def detail_url(pk):
    return f'{LIST_URL}{pk}/'


def iso(moment):
    """A datetime as DRF renders it (UTC, with a Z)."""
    return None if moment is None else moment.isoformat().replace('+00:00', 'Z')


def as_json(promotion):
    return {'id': promotion.pk, 'description': promotion.description, 'discount': float(promotion.discount),
            'starts_at': iso(promotion.starts_at), 'ends_at': iso(promotion.ends_at),
            'products': sorted(promotion.product_set.values_list('pk', flat=True))}


def body(**fields):
    """A valid create body: 15% off from NOW for a day, with no products unless told."""
    return {'description': 'Summer sale', 'discount': '15.00', 'starts_at': iso(NOW), 'ends_at': iso(NOW + DAY),
            **fields}


def linked_ids(promotion_id):
    return sorted(Product.promotions.through.objects.filter(promotion_id=promotion_id)
                  .values_list('product_id', flat=True))


def order_line_using(promotion, product):
    """An order line charged at `promotion`'s price: the promotion is then protected from deletion."""
    order = Order.objects.create(customer=customer_of(baker.make('core.User')))
    return OrderItem.objects.create(order=order, product=product, quantity=1, list_price=product.unit_price,
                                    unit_price=promotion.sale_price(product.unit_price), promotion=promotion)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer(authenticate):
    return authenticate(is_staff=False)


@pytest.fixture
def windows(db):
    """One promotion of each kind of window around NOW, made in this order (so their ids rise in it)."""
    return {
        'ended': make_promotion(description='Ended', starts_at=NOW - 2 * DAY, ends_at=NOW - DAY),
        'active': make_promotion(description='Active', starts_at=NOW - DAY, ends_at=NOW + DAY),
        'upcoming': make_promotion(description='Upcoming', starts_at=NOW + HOUR, ends_at=NOW + DAY),
        'open_ended': make_promotion(description='Open ended', starts_at=NOW - DAY, ends_at=None),
        'ends_now': make_promotion(description='Ends now', starts_at=NOW - DAY, ends_at=NOW),
        'starts_now': make_promotion(description='Starts now', starts_at=NOW, ends_at=NOW + HOUR),
        'starts_later_open_ended': make_promotion(description='Later', starts_at=NOW + DAY, ends_at=None),
    }


ACTIVE = ['active', 'open_ended', 'starts_now']
INACTIVE = ['ended', 'upcoming', 'ends_now', 'starts_later_open_ended']


# ------------------------------------------------------------------------------------------------------ list

@pytest.mark.django_db
class TestListPromotions:
    def test_anonymous_lists_the_active_promotions_only_in_id_order(self, api_client, windows):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [as_json(windows[name]) for name in ACTIVE]

    def test_a_customer_lists_the_active_promotions_only(self, api_client, customer, windows):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert [promotion['id'] for promotion in response.json()] == [windows[name].pk for name in ACTIVE]

    def test_staff_list_every_promotion_in_id_order(self, api_client, staff, windows):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [as_json(promotion) for promotion in windows.values()]

    def test_exact_representation(self, api_client):
        tea, mug = make_product(), make_product()
        promotion = make_promotion(mug, tea, description='Winter sale', discount='12.50', starts_at=NOW - HOUR,
                                   ends_at=NOW + DAY)

        response = api_client.get(LIST_URL)

        assert response.json() == [{
            'id': promotion.pk, 'description': 'Winter sale', 'discount': 12.5,
            'starts_at': '2026-06-01T11:00:00Z', 'ends_at': '2026-06-02T12:00:00Z',
            'products': sorted([tea.pk, mug.pk]),
        }]

    def test_an_open_ended_promotion_has_a_null_end(self, api_client):
        promotion = make_promotion(starts_at=NOW - HOUR, ends_at=None)

        assert api_client.get(LIST_URL).json()[0] == {**as_json(promotion), 'ends_at': None}

    def test_each_promotion_lists_its_own_products_in_id_order(self, api_client):
        first, second, third = (make_product() for _ in range(3))
        both = make_promotion(third, first)
        one = make_promotion(second)
        none = make_promotion()

        response = api_client.get(LIST_URL)

        assert [(promotion['id'], promotion['products']) for promotion in response.json()] == [
            (both.pk, [first.pk, third.pk]), (one.pk, [second.pk]), (none.pk, [])]

    def test_no_promotions_is_an_empty_array(self, api_client, db):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    def test_the_list_is_not_paginated(self, api_client, db):
        promotions = [make_promotion() for _ in range(12)]

        response = api_client.get(LIST_URL, {'page': 2, 'page_size': 5, 'limit': 3, 'offset': 4})

        assert response.status_code == status.HTTP_200_OK
        assert [promotion['id'] for promotion in response.json()] == [promotion.pk for promotion in promotions]

    def test_a_window_boundary_passing_changes_what_is_listed(self, api_client, clock, db):
        ending = make_promotion(starts_at=NOW - DAY, ends_at=NOW + HOUR)
        starting = make_promotion(starts_at=NOW + HOUR, ends_at=None)
        assert [promotion['id'] for promotion in api_client.get(LIST_URL).json()] == [ending.pk]

        clock.move_to(NOW + HOUR - timedelta(microseconds=1))
        assert [promotion['id'] for promotion in api_client.get(LIST_URL).json()] == [ending.pk]

        clock.move_to(NOW + HOUR)  # the end is excluded, the start included
        assert [promotion['id'] for promotion in api_client.get(LIST_URL).json()] == [starting.pk]

    @pytest.mark.parametrize('method', ['put', 'patch', 'delete'])
    def test_writes_to_the_list_url_are_405(self, api_client, staff, method):
        promotion = make_promotion()

        response = getattr(api_client, method)(LIST_URL, body(), format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'detail': f'Method "{method.upper()}" not allowed.'}
        assert Promotion.objects.get() == promotion


# -------------------------------------------------------------------------------------------------- retrieve

@pytest.mark.django_db
class TestRetrievePromotion:
    @pytest.mark.parametrize('name', ACTIVE)
    def test_anyone_retrieves_an_active_promotion(self, api_client, windows, name):
        promotion = windows[name]
        promotion.product_set.add(make_product(), make_product())

        response = api_client.get(detail_url(promotion.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == as_json(promotion)

    @pytest.mark.parametrize('name', INACTIVE)
    def test_an_inactive_promotion_is_a_404_to_anonymous_callers(self, api_client, windows, name):
        response = api_client.get(detail_url(windows[name].pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == NOT_FOUND

    @pytest.mark.parametrize('name', INACTIVE)
    def test_an_inactive_promotion_is_a_404_to_customers(self, api_client, customer, windows, name):
        response = api_client.get(detail_url(windows[name].pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == NOT_FOUND

    @pytest.mark.parametrize('name', INACTIVE + ACTIVE)
    def test_staff_retrieve_any_promotion(self, api_client, staff, windows, name):
        response = api_client.get(detail_url(windows[name].pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == as_json(windows[name])

    @pytest.mark.parametrize('pk, expected', [('999999', NOT_FOUND), ('99999999999999999999999', NOT_FOUND),
                                              ('-1', NOT_FOUND), ('abc', MALFORMED_ID), ('1.5', MALFORMED_ID)])
    def test_an_unknown_or_malformed_id_is_a_404(self, api_client, staff, pk, expected):
        make_promotion()

        response = api_client.get(detail_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == expected


# ---------------------------------------------------------------------------------------------------- create

@pytest.mark.django_db
class TestCreatePromotion:
    def test_staff_create_returns_201_with_the_promotion(self, api_client, staff):
        mug, tea = make_product(), make_product()

        response = api_client.post(LIST_URL, body(products=[tea.pk, mug.pk]), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        promotion = Promotion.objects.get()
        assert response.json() == as_json(promotion) == {
            'id': promotion.pk, 'description': 'Summer sale', 'discount': 15.0,
            'starts_at': '2026-06-01T12:00:00Z', 'ends_at': '2026-06-02T12:00:00Z',
            'products': sorted([mug.pk, tea.pk]),
        }
        assert promotion.discount == Decimal('15.00')
        assert promotion.starts_at == NOW and promotion.ends_at == NOW + DAY
        assert linked_ids(promotion.pk) == sorted([mug.pk, tea.pk])

    def test_products_and_ends_at_are_optional(self, api_client, staff):
        data = body()
        del data['ends_at']

        response = api_client.post(LIST_URL, data, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['products'] == []
        assert response.json()['ends_at'] is None
        assert Promotion.objects.get().ends_at is None

    def test_a_null_end_is_accepted(self, api_client, staff):
        response = api_client.post(LIST_URL, body(ends_at=None), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['ends_at'] is None

    def test_an_empty_product_list_is_accepted(self, api_client, staff):
        response = api_client.post(LIST_URL, body(products=[]), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['products'] == []

    def test_repeated_product_ids_link_the_product_once(self, api_client, staff):
        mug = make_product()

        response = api_client.post(LIST_URL, body(products=[mug.pk, mug.pk, mug.pk]), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['products'] == [mug.pk]
        assert linked_ids(response.json()['id']) == [mug.pk]

    def test_an_upcoming_promotion_can_be_created_and_only_staff_see_it(self, api_client, staff, authenticate):
        response = api_client.post(LIST_URL, body(starts_at=iso(NOW + DAY), ends_at=None), format='json')
        assert response.status_code == status.HTTP_201_CREATED
        promotion_id = response.json()['id']

        assert [promotion['id'] for promotion in api_client.get(LIST_URL).json()] == [promotion_id]
        authenticate(is_staff=False)
        assert api_client.get(LIST_URL).json() == []
        assert api_client.get(detail_url(promotion_id)).status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('discount', ['0.01', '50', 99.99, '1.5', 7])
    def test_discounts_strictly_between_0_and_100_are_accepted(self, api_client, staff, discount):
        response = api_client.post(LIST_URL, body(discount=discount), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert Promotion.objects.get().discount == Decimal(str(discount))

    def test_a_timezone_offset_is_stored_as_the_same_instant(self, api_client, staff):
        response = api_client.post(LIST_URL, body(starts_at='2026-06-01T14:00:00+02:00'), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['starts_at'] == '2026-06-01T12:00:00Z'
        assert Promotion.objects.get().starts_at == NOW

    def test_the_promotion_applies_to_its_products_at_once(self, api_client, staff,
                                                           django_capture_on_commit_callbacks):
        mug = make_product(unit_price=Decimal('10.00'))
        assert api_client.get(f'/store/products/{mug.pk}/').json()['sale_price'] is None  # cached now

        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(LIST_URL, body(discount='15', products=[mug.pk]), format='json')
        assert response.status_code == status.HTTP_201_CREATED

        assert api_client.get(f'/store/products/{mug.pk}/').json()['sale_price'] == 8.5

    def test_staff_create_through_a_real_jwt(self, api_client, django_user_model):
        user = baker.make(django_user_model, username='boss', is_staff=True)
        user.set_password('pw-1234-secret')
        user.save()
        token = api_client.post('/auth/jwt/create/', {'username': 'boss', 'password': 'pw-1234-secret'},
                                format='json').json()['access']

        response = api_client.post(LIST_URL, body(), format='json', HTTP_AUTHORIZATION=f'JWT {token}')

        assert response.status_code == status.HTTP_201_CREATED


# ------------------------------------------------------------------------------------------------ validation

@pytest.mark.django_db
class TestValidation:
    """Every refusal is a 400 naming the field, and writes nothing."""

    @pytest.fixture(autouse=True)
    def nothing_is_written(self, db):
        yield
        assert not Promotion.objects.exists()
        assert not Product.promotions.through.objects.exists()

    def post(self, api_client, data):
        response = api_client.post(LIST_URL, data, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
        return response.json()

    @pytest.mark.parametrize('discount', ['0', 0, '0.00', '-5', -0.01, '-99.99'])
    def test_a_discount_of_0_or_less_is_refused(self, api_client, staff, discount):
        assert self.post(api_client, body(discount=discount)) == {'discount': NOT_A_PERCENTAGE}

    @pytest.mark.parametrize('discount', ['100', 100, '100.00', '150', '99.999'])
    def test_a_discount_of_100_or_more_is_refused(self, api_client, staff, discount):
        errors = self.post(api_client, body(discount=discount))

        assert list(errors) == ['discount']

    @pytest.mark.parametrize('discount, message', [
        ('100', 'Ensure that there are no more than 2 digits before the decimal point.'),
        ('100.00', 'Ensure that there are no more than 4 digits in total.'),
        ('150', 'Ensure that there are no more than 2 digits before the decimal point.'),
        ('12.345', 'Ensure that there are no more than 4 digits in total.'),
        ('1.234', 'Ensure that there are no more than 2 decimal places.'),
        ('0.001', 'Ensure that there are no more than 2 decimal places.'),
        ('99.999', 'Ensure that there are no more than 4 digits in total.'),
        ('12345', 'Ensure that there are no more than 4 digits in total.'),
    ])
    def test_more_digits_than_the_column_holds_are_refused(self, api_client, staff, discount, message):
        assert self.post(api_client, body(discount=discount)) == {'discount': [message]}

    @pytest.mark.parametrize('discount', ['abc', '', 'ten', '12,5', 'NaN', 'Infinity', '-Infinity', [10], {'a': 1},
                                          True])
    def test_a_discount_that_is_not_a_number_is_refused(self, api_client, staff, discount):
        errors = self.post(api_client, body(discount=discount))

        assert errors == {'discount': ['A valid number is required.']}

    @pytest.mark.parametrize('raw, message', [
        ('1e400', 'A valid number is required.'),   # an infinite float once parsed
        ('1e-400', NOT_A_PERCENTAGE[0]),            # 0.0 once parsed
        ('1e3', 'Ensure that there are no more than 4 digits in total.'),
    ])
    def test_a_json_number_beyond_a_float_is_a_400(self, api_client, staff, raw, message):
        content = ('{"description": "x", "starts_at": "2026-06-01T12:00:00Z", "discount": %s}' % raw)

        response = api_client.post(LIST_URL, content, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
        assert response.json() == {'discount': [message]}

    def test_a_string_in_exponent_notation_is_read_as_its_number(self, api_client, staff):
        assert self.post(api_client, body(discount='1e400')) == {
            'discount': ['Ensure that there are no more than 4 digits in total.']}

    def test_a_null_discount_is_refused(self, api_client, staff):
        assert self.post(api_client, body(discount=None)) == {'discount': ['This field may not be null.']}

    @pytest.mark.parametrize('ends_at', [NOW, NOW - timedelta(microseconds=1), NOW - DAY])
    def test_an_end_at_or_before_the_start_is_refused(self, api_client, staff, ends_at):
        assert self.post(api_client, body(ends_at=iso(ends_at))) == ENDS_BEFORE_IT_STARTS

    def test_every_missing_required_field_is_named(self, api_client, staff):
        assert self.post(api_client, {}) == {'description': REQUIRED, 'discount': REQUIRED, 'starts_at': REQUIRED}

    @pytest.mark.parametrize('field', ['description', 'discount', 'starts_at'])
    def test_each_required_field_is_required(self, api_client, staff, field):
        data = body()
        del data[field]

        assert self.post(api_client, data) == {field: REQUIRED}

    def test_a_blank_description_is_refused(self, api_client, staff):
        assert self.post(api_client, body(description='')) == {'description': ['This field may not be blank.']}

    def test_a_description_longer_than_255_characters_is_refused(self, api_client, staff):
        assert self.post(api_client, body(description='x' * 256)) == {
            'description': ['Ensure this field has no more than 255 characters.']}

    def test_a_null_start_is_refused(self, api_client, staff):
        assert self.post(api_client, body(starts_at=None)) == {'starts_at': ['This field may not be null.']}

    @pytest.mark.parametrize('field', ['starts_at', 'ends_at'])
    @pytest.mark.parametrize('value', ['tomorrow', '2026-13-01T00:00:00Z', 12])
    def test_a_malformed_datetime_is_refused(self, api_client, staff, field, value):
        assert self.post(api_client, body(**{field: value})) == {field: [
            'Datetime has wrong format. Use one of these formats instead: '
            'YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].']}

    def test_an_unknown_product_id_is_refused(self, api_client, staff):
        mug = make_product()
        unknown = mug.pk + 1000

        errors = self.post(api_client, body(products=[mug.pk, unknown]))

        assert errors == {'products': [f'No product with the ID {unknown} was found.']}

    def test_the_first_unknown_product_id_is_named(self, api_client, staff):
        mug = make_product()

        errors = self.post(api_client, body(products=[mug.pk, mug.pk + 7, mug.pk + 3]))

        assert errors == {'products': [f'No product with the ID {mug.pk + 7} was found.']}

    @pytest.mark.parametrize('product_id', ['abc', 1.5, None, [1], {'id': 1}])
    def test_a_product_id_that_is_not_an_integer_is_refused(self, api_client, staff, product_id):
        mug = make_product()

        errors = self.post(api_client, body(products=[mug.pk, product_id]))

        assert list(errors) == ['products']
        assert list(errors['products']) == ['1']  # the position of the bad id

    def test_a_product_id_that_is_not_an_integer_names_the_error(self, api_client, staff):
        errors = self.post(api_client, body(products=['abc']))

        assert errors == {'products': {'0': ['A valid integer is required.']}}

    @pytest.mark.parametrize('product_id, message', [
        (0, 'Ensure this value is greater than or equal to 1.'),
        (-3, 'Ensure this value is greater than or equal to 1.'),
        (2**63, 'Ensure this value is less than or equal to 9223372036854775807.'),
    ])
    def test_a_product_id_out_of_range_is_refused(self, api_client, staff, product_id, message):
        assert self.post(api_client, body(products=[product_id])) == {'products': {'0': [message]}}

    @pytest.mark.parametrize('products', [7, 'abc', {'id': 1}])
    def test_products_that_are_not_a_list_are_refused(self, api_client, staff, products):
        errors = self.post(api_client, body(products=products))

        assert errors == {'products': [f'Expected a list of items but got type "{type(products).__name__}".']}

    def test_more_than_the_maximum_of_products_is_refused(self, api_client, staff):
        products = make_products(MAX_PROMOTION_PRODUCTS + 1)

        errors = self.post(api_client, body(products=[product.pk for product in products]))

        assert errors == {'products': [f'Ensure this field has no more than {MAX_PROMOTION_PRODUCTS} elements.']}

    def test_more_than_the_maximum_of_unknown_ids_is_refused_for_its_length(self, api_client, staff):
        # The limit bounds the one query that checks the ids: it is enforced before that query runs.
        ids = list(range(1, MAX_PROMOTION_PRODUCTS + 2))

        with CaptureQueriesContext(connection) as queries:
            errors = self.post(api_client, body(products=ids))

        assert errors == {'products': [f'Ensure this field has no more than {MAX_PROMOTION_PRODUCTS} elements.']}
        assert not [query for query in queries if 'store_product' in query['sql']]

    def test_a_huge_list_of_ids_is_a_400_not_a_500(self, api_client, staff):
        # More ids than SQLite binds in one statement (32766): refused for its length before any query.
        errors = self.post(api_client, body(products=list(range(1, 40_001))))

        assert errors == {'products': [f'Ensure this field has no more than {MAX_PROMOTION_PRODUCTS} elements.']}

    def test_several_errors_are_reported_together(self, api_client, staff):
        errors = self.post(api_client, body(description='', discount='0', products=['x']))

        assert errors == {'description': ['This field may not be blank.'], 'discount': NOT_A_PERCENTAGE,
                          'products': {'0': ['A valid integer is required.']}}

    def test_a_body_that_is_not_an_object_is_refused(self, api_client, staff):
        assert self.post(api_client, [body()]) == {
            'non_field_errors': ['Invalid data. Expected a dictionary, but got list.']}

    def test_read_only_id_is_ignored(self, api_client, staff, nothing_is_written):
        response = api_client.post(LIST_URL, body(id=424242), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['id'] != 424242
        Promotion.objects.all().delete()  # for the fixture's check

    def test_the_maximum_of_products_is_accepted(self, api_client, staff):
        products = make_products(MAX_PROMOTION_PRODUCTS)

        response = api_client.post(LIST_URL, body(products=[product.pk for product in products]), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert len(response.json()['products']) == MAX_PROMOTION_PRODUCTS
        assert len(linked_ids(response.json()['id'])) == MAX_PROMOTION_PRODUCTS
        Promotion.objects.all().delete()  # for the fixture's check


def make_products(count):
    collection = make_product().collection
    Product.objects.bulk_create([Product(title=f'P{n}', slug=f'p{n}', unit_price=Decimal('10.00'), inventory=1,
                                         collection=collection) for n in range(count - 1)])
    return list(Product.objects.order_by('id'))


# ---------------------------------------------------------------------------------------------------- update

@pytest.mark.django_db
class TestUpdatePromotion:
    def test_put_replaces_every_field_and_the_products(self, api_client, staff):
        old, kept, new = make_product(), make_product(), make_product()
        promotion = make_promotion(old, kept, description='Old', discount='5', starts_at=NOW - DAY, ends_at=None)

        response = api_client.put(detail_url(promotion.pk), body(
            description='New', discount='30', starts_at=iso(NOW + HOUR), ends_at=iso(NOW + DAY),
            products=[new.pk, kept.pk]), format='json')

        assert response.status_code == status.HTTP_200_OK
        promotion.refresh_from_db()
        assert response.json() == as_json(promotion) == {
            'id': promotion.pk, 'description': 'New', 'discount': 30.0, 'starts_at': '2026-06-01T13:00:00Z',
            'ends_at': '2026-06-02T12:00:00Z', 'products': sorted([kept.pk, new.pk])}
        assert linked_ids(promotion.pk) == sorted([kept.pk, new.pk])

    def test_put_without_products_keeps_them(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug)

        response = api_client.put(detail_url(promotion.pk), body(), format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['products'] == [mug.pk]

    def test_put_without_a_required_field_is_refused(self, api_client, staff):
        promotion = make_promotion(description='Kept')

        response = api_client.put(detail_url(promotion.pk), {'discount': '20'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'description': REQUIRED, 'starts_at': REQUIRED}
        promotion.refresh_from_db()
        assert (promotion.description, promotion.discount) == ('Kept', Decimal('10.00'))

    def test_patch_changes_only_the_fields_given(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug, description='Sale', discount='10', starts_at=NOW - DAY, ends_at=NOW + DAY)

        response = api_client.patch(detail_url(promotion.pk), {'discount': '25.5'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {
            'id': promotion.pk, 'description': 'Sale', 'discount': 25.5, 'starts_at': iso(NOW - DAY),
            'ends_at': iso(NOW + DAY), 'products': [mug.pk]}
        promotion.refresh_from_db()
        assert promotion.discount == Decimal('25.50')

    def test_patch_products_replaces_the_links(self, api_client, staff):
        mug, tea = make_product(), make_product()
        promotion = make_promotion(mug)

        response = api_client.patch(detail_url(promotion.pk), {'products': [tea.pk]}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['products'] == [tea.pk]
        assert linked_ids(promotion.pk) == [tea.pk]
        assert Product.objects.filter(pk=mug.pk).exists()

    def test_patch_an_empty_product_list_unlinks_every_product(self, api_client, staff):
        mug, tea = make_product(), make_product()
        promotion = make_promotion(mug, tea)

        response = api_client.patch(detail_url(promotion.pk), {'products': []}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['products'] == []
        assert linked_ids(promotion.pk) == []
        assert Product.objects.count() == 2

    def test_patch_an_unknown_product_changes_nothing(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug, discount='10')

        response = api_client.patch(detail_url(promotion.pk), {'discount': '20', 'products': [mug.pk + 99]},
                                    format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'products': [f'No product with the ID {mug.pk + 99} was found.']}
        promotion.refresh_from_db()
        assert promotion.discount == Decimal('10.00')
        assert linked_ids(promotion.pk) == [mug.pk]

    def test_patch_an_end_before_the_stored_start_is_refused(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW, ends_at=NOW + DAY)

        response = api_client.patch(detail_url(promotion.pk), {'ends_at': iso(NOW - HOUR)}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ENDS_BEFORE_IT_STARTS
        promotion.refresh_from_db()
        assert promotion.ends_at == NOW + DAY

    def test_patch_a_start_after_the_stored_end_is_refused(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW - DAY, ends_at=NOW + DAY)

        response = api_client.patch(detail_url(promotion.pk), {'starts_at': iso(NOW + DAY)}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ENDS_BEFORE_IT_STARTS
        promotion.refresh_from_db()
        assert promotion.starts_at == NOW - DAY

    def test_patch_a_start_and_end_together_is_checked_on_the_new_pair(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW - DAY, ends_at=NOW + HOUR)

        response = api_client.patch(detail_url(promotion.pk),
                                    {'starts_at': iso(NOW + 2 * DAY), 'ends_at': iso(NOW + 3 * DAY)}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert (response.json()['starts_at'], response.json()['ends_at']) == (iso(NOW + 2 * DAY), iso(NOW + 3 * DAY))

    def test_patch_a_null_end_makes_the_promotion_open_ended(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW - DAY, ends_at=NOW - HOUR)

        response = api_client.patch(detail_url(promotion.pk), {'ends_at': None}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['ends_at'] is None
        api_client.force_authenticate(user=None)
        assert [item['id'] for item in api_client.get(LIST_URL).json()] == [promotion.pk]

    def test_staff_end_a_promotion_now_and_it_is_no_longer_listed(self, api_client, staff, authenticate):
        promotion = make_promotion(starts_at=NOW - DAY, ends_at=None)

        response = api_client.patch(detail_url(promotion.pk), {'ends_at': iso(NOW)}, format='json')

        assert response.status_code == status.HTTP_200_OK
        authenticate(is_staff=False)
        assert api_client.get(LIST_URL).json() == []
        assert api_client.get(detail_url(promotion.pk)).status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('discount', ['0', '100', '-1'])
    def test_patch_an_invalid_discount_is_refused(self, api_client, staff, discount):
        promotion = make_promotion(discount='10')

        response = api_client.patch(detail_url(promotion.pk), {'discount': discount}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['discount']
        promotion.refresh_from_db()
        assert promotion.discount == Decimal('10.00')

    def test_staff_update_an_inactive_promotion(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW + DAY)

        response = api_client.patch(detail_url(promotion.pk), {'description': 'Later'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['description'] == 'Later'

    @pytest.mark.parametrize('pk, expected', [('999999', NOT_FOUND), ('abc', MALFORMED_ID)])
    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_an_unknown_id_is_a_404_and_creates_nothing(self, api_client, staff, method, pk, expected):
        response = getattr(api_client, method)(detail_url(pk), body(), format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == expected
        assert not Promotion.objects.exists()

    @pytest.mark.parametrize('method, data', [('put', body(products=[])), ('patch', {'description': 'Back'}),
                                              ('patch', {'products': []})])
    def test_a_promotion_deleted_meanwhile_is_a_404_never_reinserted(self, api_client, staff, monkeypatch,
                                                                     method, data):
        # Another request deletes the promotion after this one read it, before it saves.
        mug = make_product()
        promotion = make_promotion(mug)
        if method == 'put':
            data = {**data, 'products': [mug.pk]}
        read = PromotionViewSet.get_object

        def get_object_then_lose_the_row(view):
            instance = read(view)
            Promotion.objects.filter(pk=instance.pk).delete()
            return instance
        monkeypatch.setattr(PromotionViewSet, 'get_object', get_object_then_lose_the_row)

        response = getattr(api_client, method)(detail_url(promotion.pk), data, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == NOT_FOUND
        assert not Promotion.objects.exists()
        assert not Product.promotions.through.objects.exists()


# ---------------------------------------------------------------------------------------------------- delete

@pytest.mark.django_db
class TestDeletePromotion:
    def test_staff_delete_returns_204_and_unlinks_its_products(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug)

        response = api_client.delete(detail_url(promotion.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''
        assert not Promotion.objects.exists()
        assert not Product.promotions.through.objects.exists()
        assert Product.objects.get() == mug
        assert api_client.get(detail_url(promotion.pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_staff_delete_an_inactive_promotion(self, api_client, staff):
        promotion = make_promotion(starts_at=NOW - 2 * DAY, ends_at=NOW - DAY)

        assert api_client.delete(detail_url(promotion.pk)).status_code == status.HTTP_204_NO_CONTENT
        assert not Promotion.objects.exists()

    def test_a_promotion_an_order_line_used_is_a_405(self, api_client, staff):
        mug = make_product(unit_price=Decimal('10.00'))
        promotion = make_promotion(mug, discount='20')
        line = order_line_using(promotion, mug)

        response = api_client.delete(detail_url(promotion.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == PROTECTED
        assert Promotion.objects.get() == promotion
        assert linked_ids(promotion.pk) == [mug.pk]
        line.refresh_from_db()
        assert (line.promotion_id, line.unit_price, line.list_price) == (promotion.pk, Decimal('8.00'),
                                                                        Decimal('10.00'))

    def test_a_used_promotion_that_ended_is_still_protected(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug, starts_at=NOW - 2 * DAY, ends_at=NOW - DAY)
        order_line_using(promotion, mug)

        response = api_client.delete(detail_url(promotion.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == PROTECTED

    def test_a_used_promotion_can_still_be_ended(self, api_client, staff):
        mug = make_product()
        promotion = make_promotion(mug, starts_at=NOW - DAY, ends_at=None)
        order_line_using(promotion, mug)

        response = api_client.patch(detail_url(promotion.pk), {'ends_at': iso(NOW)}, format='json')

        assert response.status_code == status.HTTP_200_OK

    def test_an_unknown_id_is_a_404(self, api_client, staff):
        response = api_client.delete(detail_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == NOT_FOUND


# ---------------------------------------------------------------------------------------------- permissions

@pytest.mark.django_db
class TestPermissions:
    """Staff write; anyone else is refused before the promotion is looked up (an inactive one too)."""

    WRITES = [('post', 'list'), ('put', 'detail'), ('patch', 'detail'), ('delete', 'detail')]

    @pytest.fixture(params=['active', 'upcoming', 'ended'])
    def promotion(self, request, db):
        window = {'active': (NOW - DAY, None), 'upcoming': (NOW + DAY, None),
                  'ended': (NOW - 2 * DAY, NOW - DAY)}[request.param]
        return make_promotion(make_product(), description='Untouched', discount='10', starts_at=window[0],
                              ends_at=window[1])

    def request(self, api_client, method, target, promotion):
        url = LIST_URL if target == 'list' else detail_url(promotion.pk)
        data = None if method == 'delete' else body(products=[])
        return getattr(api_client, method)(url, data, format='json')

    def assert_untouched(self, promotion):
        assert Promotion.objects.count() == 1
        stored = Promotion.objects.get()
        assert (stored.description, stored.discount, stored.starts_at, stored.ends_at) == (
            'Untouched', Decimal('10.00'), promotion.starts_at, promotion.ends_at)
        assert len(linked_ids(promotion.pk)) == 1

    @pytest.mark.parametrize('method, target', WRITES)
    def test_anonymous_writes_are_401_with_a_jwt_challenge(self, api_client, promotion, method, target):
        response = self.request(api_client, method, target, promotion)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert response.headers['WWW-Authenticate'].startswith('JWT')
        self.assert_untouched(promotion)

    @pytest.mark.parametrize('method, target', WRITES)
    def test_customer_writes_are_403(self, api_client, customer, promotion, method, target):
        response = self.request(api_client, method, target, promotion)

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == NOT_PERMITTED
        self.assert_untouched(promotion)

    @pytest.mark.parametrize('method, target', WRITES)
    def test_a_superuser_without_is_staff_is_refused_too(self, api_client, authenticate, promotion, method, target):
        # IsAdminOrReadOnly asks for is_staff, as the rest of the catalogue does.
        authenticate(is_staff=False, is_superuser=True)

        response = self.request(api_client, method, target, promotion)

        assert response.status_code == status.HTTP_403_FORBIDDEN
        self.assert_untouched(promotion)

    def test_an_invalid_token_is_401_even_for_a_read(self, api_client, promotion):
        response = api_client.get(LIST_URL, HTTP_AUTHORIZATION='JWT not-a-token')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json()['code'] == 'token_not_valid'

    def test_head_and_options_are_reads(self, api_client, promotion):
        assert api_client.head(LIST_URL).status_code == status.HTTP_200_OK
        assert api_client.options(LIST_URL).status_code == status.HTTP_200_OK


# ---------------------------------------------------------------------------------------- the database's checks

# 100 does not fit the DECIMAL(4, 2) column of MariaDB (in strict mode) or PostgreSQL at all (its largest value
# is 99.99): it is refused as out of range (DataError) before the check constraint is reached; SQLite, which
# stores any number, has the check.
REFUSING_100 = IntegrityError if connection.vendor == 'sqlite' else DataError


def assert_refused_by_the_database(error=IntegrityError, **fields):
    """Promotion.objects.create(**fields) raises `error` (in a savepoint, so the test goes on)."""
    with pytest.raises(error):
        with transaction.atomic():
            Promotion.objects.create(description='Direct', **fields)
    assert not Promotion.objects.filter(description='Direct').exists()


@pytest.mark.django_db
class TestDatabaseConstraints:
    @pytest.mark.parametrize('discount', ['0', '0.00', '-1', '-0.01', '-99.99'])
    def test_a_discount_of_0_or_less_is_refused(self, discount):
        assert_refused_by_the_database(discount=Decimal(discount), starts_at=NOW)

    @pytest.mark.parametrize('discount', ['100', '100.00'])
    def test_a_discount_of_100_is_refused(self, discount):
        assert_refused_by_the_database(REFUSING_100, discount=Decimal(discount), starts_at=NOW)

    @pytest.mark.parametrize('ends_at', [NOW, NOW - timedelta(microseconds=1), NOW - DAY])
    def test_an_end_at_or_before_the_start_is_refused(self, ends_at):
        assert_refused_by_the_database(discount=Decimal('10'), starts_at=NOW, ends_at=ends_at)

    def test_an_update_past_the_checks_is_refused(self):
        promotion = make_promotion(discount='10', starts_at=NOW, ends_at=NOW + DAY)

        changes = [({'discount': Decimal('0')}, IntegrityError), ({'discount': Decimal('-5')}, IntegrityError),
                   ({'discount': Decimal('100')}, REFUSING_100), ({'ends_at': NOW}, IntegrityError),
                   ({'starts_at': NOW + DAY}, IntegrityError)]
        for change, error in changes:
            with pytest.raises(error):
                with transaction.atomic():
                    Promotion.objects.filter(pk=promotion.pk).update(**change)

        promotion.refresh_from_db()
        assert (promotion.discount, promotion.starts_at, promotion.ends_at) == (Decimal('10.00'), NOW, NOW + DAY)

    @pytest.mark.parametrize('discount, ends_at', [('0.01', None), ('99.99', NOW + timedelta(microseconds=1)),
                                                   ('50', NOW + DAY)])
    def test_the_edges_inside_are_accepted(self, discount, ends_at):
        promotion = Promotion.objects.create(description='Edge', discount=Decimal(discount), starts_at=NOW,
                                             ends_at=ends_at)

        promotion.refresh_from_db()
        assert (promotion.discount, promotion.ends_at) == (Decimal(discount), ends_at)

    def test_the_model_validation_names_the_same_rules(self):
        with pytest.raises(ValidationError) as refusal:
            Promotion(description='x', discount=Decimal('100'), starts_at=NOW, ends_at=NOW).full_clean()

        assert refusal.value.message_dict['ends_at'] == ['A promotion must end after it starts.']
        assert NOT_A_PERCENTAGE[0] in refusal.value.message_dict['discount']

    def test_a_promotion_an_order_line_used_cannot_be_deleted_by_the_orm(self):
        from django.db.models import ProtectedError
        mug = make_product()
        promotion = make_promotion(mug)
        order_line_using(promotion, mug)

        with pytest.raises(ProtectedError):
            promotion.delete()


# ------------------------------------------------------------------------------------------------ query budgets

def make_promotions_with_products(count, products_each):
    promotions = []
    for n in range(count):
        promotions.append(make_promotion(*(make_product() for _ in range(products_each)),
                                         starts_at=NOW - DAY, ends_at=NOW + DAY if n % 2 else None))
    return promotions


def queries_for(api_client, url):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(url)
    assert response.status_code == status.HTTP_200_OK
    return len(queries), response


@pytest.mark.django_db
class TestQueryBudgets:
    @pytest.mark.parametrize('role', ['anonymous', 'staff'])
    def test_the_list_costs_the_same_queries_for_1_or_20_promotions(self, api_client, authenticate,
                                                                      django_assert_max_num_queries, role):
        if role == 'staff':
            authenticate(is_staff=True)
        make_promotions_with_products(1, 1)
        one, _ = queries_for(api_client, LIST_URL)
        make_promotions_with_products(19, 5)
        make_promotion(make_product(), starts_at=NOW + DAY)  # listed to staff only

        with django_assert_max_num_queries(PROMOTION_LIST_MAX_QUERIES):
            response = api_client.get(LIST_URL)

        assert len(response.json()) == (21 if role == 'staff' else 20)
        assert sum(len(promotion['products']) for promotion in response.json()) == 1 + 19 * 5 + (
            1 if role == 'staff' else 0)
        assert queries_for(api_client, LIST_URL)[0] == one

    @pytest.mark.parametrize('role', ['anonymous', 'staff'])
    def test_the_detail_costs_the_same_queries_for_1_or_50_products(self, api_client, authenticate,
                                                                     django_assert_max_num_queries, role):
        if role == 'staff':
            authenticate(is_staff=True)
        small, = make_promotions_with_products(1, 1)
        large, = make_promotions_with_products(1, 50)
        make_promotions_with_products(10, 3)
        one, _ = queries_for(api_client, detail_url(small.pk))

        with django_assert_max_num_queries(PROMOTION_DETAIL_MAX_QUERIES):
            response = api_client.get(detail_url(large.pk))

        assert len(response.json()['products']) == 50
        assert queries_for(api_client, detail_url(large.pk))[0] == one
