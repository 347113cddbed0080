"""API tests for narrowing and sorting /store/products/: filters (collection, price bounds) and when
django-filter runs, search, ordering; a bad filter value is a 400 naming it."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status

from store.models import Product

from .products_helpers import LIST_URL, make_collection, make_product, result_ids

INVALID_COLLECTION_MESSAGE = 'Select a valid choice. That choice is not one of the available choices.'
INVALID_NUMBER_MESSAGE = 'Enter a number.'


# ---------------------------------------------------------------------------------------------- filter

@pytest.fixture
def priced_products(collection):
    """Products at 5, 10, 15 and 20 in `collection`, and one at 12 in another collection."""
    other = make_collection(title='Other')
    return {
        'five': make_product(title='A', unit_price=Decimal('5'), collection=collection),
        'ten': make_product(title='B', unit_price=Decimal('10'), collection=collection),
        'fifteen': make_product(title='C', unit_price=Decimal('15'), collection=collection),
        'twenty': make_product(title='D', unit_price=Decimal('20'), collection=collection),
        'other': make_product(title='E', unit_price=Decimal('12'), collection=other),
    }


@pytest.mark.django_db
class TestFilterProducts:
    def test_collection_id_returns_only_that_collections_products(self, api_client, collection, priced_products):
        response = api_client.get(LIST_URL, {'collection_id': collection.pk})

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == [priced_products[key].pk for key in ['five', 'ten', 'fifteen', 'twenty']]
        assert response.json()['count'] == 4

    def test_collection_without_products_returns_no_results(self, api_client, priced_products):
        empty = make_collection(title='Empty')

        response = api_client.get(LIST_URL, {'collection_id': empty.pk})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 0

    def test_unit_price_gt_is_strictly_greater(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'unit_price__gt': 10})

        assert result_ids(response) == [priced_products[key].pk for key in ['fifteen', 'twenty', 'other']]

    def test_unit_price_lt_is_strictly_less(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'unit_price__lt': 15})

        assert result_ids(response) == [priced_products[key].pk for key in ['five', 'ten', 'other']]

    def test_price_range_and_collection_combine(self, api_client, collection, priced_products):
        response = api_client.get(LIST_URL, {'collection_id': collection.pk, 'unit_price__gt': 5,
                                             'unit_price__lt': 20})

        assert result_ids(response) == [priced_products['ten'].pk, priced_products['fifteen'].pk]

    def test_decimal_price_bound_is_accepted(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'unit_price__gt': '14.99'})

        assert result_ids(response) == [priced_products['fifteen'].pk, priced_products['twenty'].pk]

    def test_empty_filter_values_are_ignored(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'collection_id': '', 'unit_price__gt': '', 'unit_price__lt': ''})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 5

    @pytest.mark.parametrize('value', ['abc', '1.5', '99999', '99999999999999999999999', '-1'])
    def test_invalid_or_unknown_collection_id_returns_400_naming_it(self, api_client, priced_products, value):
        response = api_client.get(LIST_URL, {'collection_id': value})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['collection_id']

    @pytest.mark.parametrize('parameter', ['unit_price__gt', 'unit_price__lt'])
    @pytest.mark.parametrize('value', ['abc', 'NaN', 'Infinity', '-Infinity', '1e400', '10,5', '0x10'])
    def test_non_numeric_or_huge_price_returns_400_naming_it(self, api_client, priced_products, parameter, value):
        response = api_client.get(LIST_URL, {parameter: value})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [parameter]

    @pytest.mark.parametrize('value', ['-1e400', '1e-400', '-0', '0.000000000000000000001'])
    def test_tiny_or_hugely_negative_lower_bound_returns_every_product(self, api_client, priced_products, value):
        response = api_client.get(LIST_URL, {'unit_price__gt': value})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 5

    @pytest.mark.parametrize('value', ['-1e400', '1e-400', '-0', '0.000000000000000000001'])
    def test_tiny_or_hugely_negative_upper_bound_returns_no_product(self, api_client, priced_products, value):
        response = api_client.get(LIST_URL, {'unit_price__lt': value})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 0


@pytest.fixture
def filter_calls(monkeypatch):
    """The query parameters of every request django-filter (DjangoFilterBackend.filter_queryset) ran for."""
    calls = []
    filter_queryset = DjangoFilterBackend.filter_queryset

    def recording_filter_queryset(backend, request, queryset, view):
        calls.append(request.query_params.dict())
        return filter_queryset(backend, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, 'filter_queryset', recording_filter_queryset)
    return calls


@pytest.mark.django_db
class TestProductFilterBackend:
    """django-filter only runs when a request names one of its parameters; then it filters and validates as before."""

    def test_without_filter_parameters_the_list_is_whole_and_django_filter_is_skipped(
            self, api_client, priced_products, filter_calls):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 5
        assert result_ids(response) == [priced_products[key].pk
                                        for key in ['five', 'ten', 'fifteen', 'twenty', 'other']]
        assert filter_calls == []

    def test_other_parameters_do_not_run_django_filter(self, api_client, priced_products, filter_calls):
        response = api_client.get(LIST_URL, {'search': 'A', 'ordering': '-unit_price', 'page_size': 2, 'unknown': 'x'})

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == [priced_products['five'].pk]
        assert filter_calls == []

    @pytest.mark.parametrize('parameter, value, message', [
        ('collection_id', 'abc', INVALID_COLLECTION_MESSAGE),
        ('collection_id', '99999', INVALID_COLLECTION_MESSAGE),
        ('unit_price__gt', 'abc', INVALID_NUMBER_MESSAGE),
        ('unit_price__lt', 'abc', INVALID_NUMBER_MESSAGE),
    ])
    def test_an_invalid_filter_still_returns_400_naming_it(self, api_client, priced_products, filter_calls,
                                                           parameter, value, message):
        response = api_client.get(LIST_URL, {parameter: value})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {parameter: [message]}
        assert filter_calls == [{parameter: value}]

    def test_every_invalid_filter_is_named(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'collection_id': 'bad', 'unit_price__gt': 'abc', 'unit_price__lt': '5'})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection_id': [INVALID_COLLECTION_MESSAGE],
                                   'unit_price__gt': [INVALID_NUMBER_MESSAGE]}

    def test_collection_and_price_bounds_combine(self, api_client, collection, priced_products, filter_calls):
        response = api_client.get(LIST_URL, {'collection_id': collection.pk, 'unit_price__gt': '5',
                                             'unit_price__lt': '20', 'ordering': '-unit_price'})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 2
        assert result_ids(response) == [priced_products['fifteen'].pk, priced_products['ten'].pk]
        assert len(filter_calls) == 1

    @pytest.mark.parametrize('parameters, expected', [
        ({'unit_price__gt': '10'}, ['fifteen', 'twenty', 'other']),
        ({'unit_price__lt': '12'}, ['five', 'ten']),
        ({'unit_price__gt': '10', 'unit_price__lt': '20'}, ['fifteen', 'other']),
    ])
    def test_price_bounds_alone_still_filter(self, api_client, priced_products, filter_calls, parameters, expected):
        response = api_client.get(LIST_URL, parameters)

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == [priced_products[key].pk for key in expected]
        assert filter_calls == [parameters]

    def test_an_empty_filter_value_runs_django_filter_and_is_ignored(self, api_client, priced_products, filter_calls):
        response = api_client.get(LIST_URL, {'collection_id': ''})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 5
        assert filter_calls == [{'collection_id': ''}]


# ---------------------------------------------------------------------------------------------- search

@pytest.mark.django_db
class TestSearchProducts:
    @pytest.fixture
    def products(self, collection):
        return {
            'mug': make_product(title='Coffee Mug', description='Ceramic, 300 ml', collection=collection),
            'beans': make_product(title='Espresso Beans', description='Dark roast coffee', collection=collection),
            'teapot': make_product(title='Teapot', description='Glass', collection=collection),
            'nodesc': make_product(title='Kettle', description=None, collection=collection),
        }

    def test_matches_the_title(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': 'teapot'})

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == [products['teapot'].pk]

    def test_matches_the_description_case_insensitively(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': 'COFFEE'})

        assert result_ids(response) == [products['mug'].pk, products['beans'].pk]

    def test_terms_are_anded(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': 'coffee dark'})

        assert result_ids(response) == [products['beans'].pk]

    def test_no_match_returns_count_0(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': 'bicycle'})

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}

    def test_empty_search_returns_everything(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': ''})

        assert response.json()['count'] == 4

    def test_ten_terms_are_still_searched(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': ' '.join(['coffee'] * 10)})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 2

    @pytest.mark.parametrize('count', [1000, 1500])
    def test_too_many_terms_return_400_naming_search(self, api_client, products, count):
        # ~2-3 KB of query string: within a server's request-line limit, past SQLite's expression depth of 1000.
        response = api_client.get(LIST_URL, {'search': ' '.join(['a'] * count)})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['search']

    def test_null_character_returns_400_naming_search(self, api_client, products):
        response = api_client.get(LIST_URL, {'search': 'cof\x00fee'})

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['search']

    @pytest.mark.parametrize('term', ['%', '_', "'; DROP TABLE store_product; --", '\\', 'x' * 2000])
    def test_special_characters_are_matched_literally(self, api_client, products, term):
        response = api_client.get(LIST_URL, {'search': term})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 0


# ---------------------------------------------------------------------------------------------- order

@pytest.mark.django_db
class TestOrderProducts:
    def test_ordering_by_unit_price_ascending(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'ordering': 'unit_price'})

        assert result_ids(response) == [priced_products[key].pk
                                        for key in ['five', 'ten', 'other', 'fifteen', 'twenty']]

    def test_ordering_by_unit_price_descending(self, api_client, priced_products):
        response = api_client.get(LIST_URL, {'ordering': '-unit_price'})

        assert result_ids(response) == [priced_products[key].pk
                                        for key in ['twenty', 'fifteen', 'other', 'ten', 'five']]

    def test_ordering_by_last_update(self, api_client, collection):
        first, second, third = (make_product(title=title, collection=collection) for title in 'CAB')
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        for offset, product in enumerate([second, third, first]):
            Product.objects.filter(pk=product.pk).update(last_update=start + timedelta(hours=offset))

        response = api_client.get(LIST_URL, {'ordering': 'last_update'})

        assert result_ids(response) == [second.pk, third.pk, first.pk]

    def test_ordering_by_descending_price_then_last_update(self, api_client, collection):
        cheap = make_product(title='A', unit_price=Decimal('5'), collection=collection)
        newer = make_product(title='B', unit_price=Decimal('9'), collection=collection)
        older = make_product(title='C', unit_price=Decimal('9'), collection=collection)
        Product.objects.filter(pk=older.pk).update(last_update=datetime(2020, 1, 1, tzinfo=timezone.utc))
        Product.objects.filter(pk=newer.pk).update(last_update=datetime(2024, 1, 1, tzinfo=timezone.utc))

        response = api_client.get(LIST_URL, {'ordering': '-unit_price,last_update'})

        assert result_ids(response) == [older.pk, newer.pk, cheap.pk]

    def test_equal_prices_are_ordered_by_id(self, api_client, collection):
        products = [make_product(title=title, unit_price=Decimal('7'), collection=collection) for title in 'ZYX']

        response = api_client.get(LIST_URL, {'ordering': 'unit_price'})

        assert result_ids(response) == [product.pk for product in products]

    @pytest.mark.parametrize('ordering', ['inventory', 'title; DROP TABLE', '-', '', 'collection__title'])
    def test_unknown_ordering_falls_back_to_title(self, api_client, priced_products, ordering):
        response = api_client.get(LIST_URL, {'ordering': ordering})

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == [priced_products[key].pk
                                        for key in ['five', 'ten', 'fifteen', 'twenty', 'other']]
