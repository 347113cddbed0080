"""API tests for /store/collections/: anyone reads (with products_count), only staff write."""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store.models import Collection, Product

LIST_URL = '/store/collections/'

# Budgets for a first (uncached) read. Every catalogue read first looks up the cached catalogue's version
# (store/caching.py), then renders: that lookup is counted on its own.
CATALOGUE_VERSION_QUERIES = 1
# One query with the products counted in it (an annotation), whatever the number of collections.
COLLECTION_LIST_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 1
# The collection with its products counted, in one query.
COLLECTION_DETAIL_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 1

UNKNOWN_COLLECTION_PKS = ['99999', 'abc', '99999999999999999999999']
PROTECTED_COLLECTION_MESSAGE = 'Collection cannot be deleted because it includes one or more products.'
REQUIRED_MESSAGE = 'This field is required.'


def collection_url(pk):
    return f'{LIST_URL}{pk}/'


def make_collection(**fields):
    return baker.make(Collection, **fields)


def make_products(collection, quantity):
    return baker.make(Product, collection=collection, unit_price=Decimal('10.00'), inventory=5,
                      _quantity=quantity)


def make_collections_with_products(count):
    collections = [make_collection(title=f'Collection {n:02}') for n in range(count)]
    Product.objects.bulk_create([
        Product(title=f'P{n}-{m}', slug=f'p{n}-{m}', unit_price=Decimal('10'), inventory=1, collection=collection)
        for n, collection in enumerate(collections) for m in range(n % 4 + 1)
    ])
    return collections


# ------------------------------------------------------------------------------------------------ list

@pytest.mark.django_db
class TestListCollections:
    def test_anonymous_gets_200_with_a_plain_array(self, api_client, collection):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [{'id': collection.pk, 'title': 'Electronics', 'products_count': 0}]

    def test_no_collections_returns_an_empty_array(self, api_client, db):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    def test_collections_are_ordered_by_title(self, api_client, db):
        zebra, apple, mango = (make_collection(title=title) for title in ['Zebra', 'Apple', 'Mango'])

        response = api_client.get(LIST_URL)

        assert [item['id'] for item in response.json()] == [apple.pk, mango.pk, zebra.pk]

    def test_each_collection_counts_its_own_products(self, api_client, db):
        books, games, toys = (make_collection(title=title) for title in ['Books', 'Games', 'Toys'])
        make_products(books, 3)
        make_products(toys, 1)

        response = api_client.get(LIST_URL)

        assert response.json() == [
            {'id': books.pk, 'title': 'Books', 'products_count': 3},
            {'id': games.pk, 'title': 'Games', 'products_count': 0},
            {'id': toys.pk, 'title': 'Toys', 'products_count': 1},
        ]

    def test_authenticated_user_reads_too(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()) == 1

    def test_query_params_do_not_paginate_the_list(self, api_client, db):
        make_collections_with_products(12)

        response = api_client.get(LIST_URL, {'page': 2, 'page_size': 5})

        assert response.status_code == status.HTTP_200_OK
        assert isinstance(response.json(), list)
        assert len(response.json()) == 12

    def test_put_to_the_list_url_returns_405(self, api_client, staff, collection):
        response = api_client.put(LIST_URL, {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED

    def test_delete_on_the_list_url_returns_405(self, api_client, staff, collection):
        response = api_client.delete(LIST_URL)

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Collection.objects.filter(pk=collection.pk).exists()

    def test_products_count_follows_products_created_and_deleted_through_the_api(
            self, api_client, staff, collection, django_capture_on_commit_callbacks):
        assert api_client.get(LIST_URL).json()[0]['products_count'] == 0
        payload = {'title': 'Mug', 'slug': 'mug', 'inventory': 1, 'unit_price': 5, 'collection': collection.pk}

        with django_capture_on_commit_callbacks(execute=True):
            product_id = api_client.post('/store/products/', payload, format='json').json()['id']
        assert api_client.get(LIST_URL).json()[0]['products_count'] == 1
        assert api_client.get(collection_url(collection.pk)).json()['products_count'] == 1

        with django_capture_on_commit_callbacks(execute=True):
            api_client.delete(f'/store/products/{product_id}/')
        assert api_client.get(LIST_URL).json()[0]['products_count'] == 0
        assert api_client.get(collection_url(collection.pk)).json()['products_count'] == 0

    @pytest.mark.parametrize('count', [1, 10, 20])
    def test_query_budget_whatever_the_number_of_collections(self, api_client, db, count,
                                                             django_assert_max_num_queries):
        make_collections_with_products(count)

        with django_assert_max_num_queries(COLLECTION_LIST_MAX_QUERIES):
            response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()) == count
        assert [item['products_count'] for item in response.json()] == [n % 4 + 1 for n in range(count)]


# -------------------------------------------------------------------------------------------- retrieve

@pytest.mark.django_db
class TestRetrieveCollection:
    def test_anonymous_gets_200_with_the_exact_collection_json(self, api_client, collection):
        make_products(collection, 2)

        response = api_client.get(collection_url(collection.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': collection.pk, 'title': 'Electronics', 'products_count': 2}

    def test_empty_collection_has_products_count_0(self, api_client, collection):
        response = api_client.get(collection_url(collection.pk))

        assert response.json()['products_count'] == 0

    def test_only_its_own_products_are_counted(self, api_client, collection):
        make_products(collection, 1)
        make_products(make_collection(title='Other'), 4)

        response = api_client.get(collection_url(collection.pk))

        assert response.json()['products_count'] == 1

    @pytest.mark.parametrize('pk', UNKNOWN_COLLECTION_PKS)
    def test_unknown_or_malformed_id_returns_404(self, api_client, collection, pk):
        response = api_client.get(collection_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert 'detail' in response.json()

    def test_query_budget(self, api_client, collection, django_assert_max_num_queries):
        make_products(collection, 3)

        with django_assert_max_num_queries(COLLECTION_DETAIL_MAX_QUERIES):
            response = api_client.get(collection_url(collection.pk))

        assert response.json()['products_count'] == 3


# ---------------------------------------------------------------------------------------------- create

@pytest.mark.django_db
class TestCreateCollection:
    def test_anonymous_gets_401(self, api_client, db):
        response = api_client.post(LIST_URL, {'title': 'Furniture'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert not Collection.objects.exists()

    def test_non_staff_gets_403(self, api_client, authenticate):
        authenticate(is_staff=False)

        response = api_client.post(LIST_URL, {'title': 'Furniture'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert not Collection.objects.exists()

    def test_staff_gets_201_with_products_count_0(self, api_client, staff):
        response = api_client.post(LIST_URL, {'title': 'Furniture'}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        collection = Collection.objects.get()
        assert response.json() == {'id': collection.pk, 'title': 'Furniture', 'products_count': 0}

    def test_staff_create_saves_the_collection(self, api_client, staff):
        api_client.post(LIST_URL, {'title': 'Furniture'}, format='json')

        assert list(Collection.objects.values_list('title', flat=True)) == ['Furniture']

    def test_form_encoded_body_is_accepted(self, api_client, staff):
        response = api_client.post(LIST_URL, {'title': 'Furniture'})

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['title'] == 'Furniture'

    def test_empty_post_returns_400_naming_title(self, api_client, staff):
        response = api_client.post(LIST_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'title': [REQUIRED_MESSAGE]}

    def test_empty_body_returns_400_naming_title(self, api_client, staff):
        response = api_client.post(LIST_URL, b'', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'title': [REQUIRED_MESSAGE]}

    @pytest.mark.parametrize('title', ['', '   ', None])
    def test_blank_or_null_title_returns_400(self, api_client, staff, title):
        response = api_client.post(LIST_URL, {'title': title}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['title']
        assert not Collection.objects.exists()

    def test_title_longer_than_255_returns_400(self, api_client, staff):
        response = api_client.post(LIST_URL, {'title': 'x' * 256}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'title': ['Ensure this field has no more than 255 characters.']}

    def test_title_of_255_characters_is_accepted(self, api_client, staff):
        response = api_client.post(LIST_URL, {'title': 'x' * 255}, format='json')

        assert response.status_code == status.HTTP_201_CREATED

    @pytest.mark.parametrize('title', [['a', 'list'], {'an': 'object'}, True])
    def test_wrong_json_type_for_title_returns_400(self, api_client, staff, title):
        response = api_client.post(LIST_URL, {'title': title}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['title']
        assert not Collection.objects.exists()

    def test_read_only_fields_in_the_body_are_ignored(self, api_client, staff):
        response = api_client.post(LIST_URL, {'id': 4242, 'title': 'Furniture', 'products_count': 99},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        collection = Collection.objects.get()
        assert collection.pk != 4242
        assert response.json() == {'id': collection.pk, 'title': 'Furniture', 'products_count': 0}

    def test_json_list_body_returns_400(self, api_client, staff):
        response = api_client.post(LIST_URL, [{'title': 'Furniture'}], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()
        assert not Collection.objects.exists()

    @pytest.mark.parametrize('raw', [b'{"title": ', b'not json', b'\xff\xfe', b'"just a string"'])
    def test_malformed_or_non_object_json_returns_400_with_a_json_body(self, api_client, staff, raw):
        response = api_client.post(LIST_URL, raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert isinstance(response.json(), dict)
        assert not Collection.objects.exists()


# ---------------------------------------------------------------------------------------------- update

@pytest.mark.django_db
class TestUpdateCollection:
    def test_anonymous_put_gets_401(self, api_client, collection):
        response = api_client.put(collection_url(collection.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        collection.refresh_from_db()
        assert collection.title == 'Electronics'

    def test_anonymous_patch_gets_401(self, api_client, collection):
        response = api_client.patch(collection_url(collection.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_put_gets_403(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.put(collection_url(collection.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN

    def test_non_staff_patch_gets_403(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.patch(collection_url(collection.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        collection.refresh_from_db()
        assert collection.title == 'Electronics'

    def test_staff_put_returns_200_with_products_count(self, api_client, staff, collection):
        make_products(collection, 2)

        response = api_client.put(collection_url(collection.pk), {'title': 'Gadgets'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': collection.pk, 'title': 'Gadgets', 'products_count': 2}
        collection.refresh_from_db()
        assert collection.title == 'Gadgets'

    def test_staff_patch_returns_200_with_products_count(self, api_client, staff, collection):
        make_products(collection, 3)

        response = api_client.patch(collection_url(collection.pk), {'title': 'Gadgets'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': collection.pk, 'title': 'Gadgets', 'products_count': 3}

    def test_staff_patch_with_an_empty_body_changes_nothing(self, api_client, staff, collection):
        response = api_client.patch(collection_url(collection.pk), {}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': collection.pk, 'title': 'Electronics', 'products_count': 0}

    def test_reads_after_an_update_show_the_new_title(self, api_client, staff, collection,
                                                      django_capture_on_commit_callbacks):
        assert api_client.get(LIST_URL).json()[0]['title'] == 'Electronics'
        assert api_client.get(collection_url(collection.pk)).json()['title'] == 'Electronics'

        with django_capture_on_commit_callbacks(execute=True):
            api_client.patch(collection_url(collection.pk), {'title': 'Gadgets'}, format='json')

        assert api_client.get(LIST_URL).json()[0]['title'] == 'Gadgets'
        assert api_client.get(collection_url(collection.pk)).json()['title'] == 'Gadgets'

    def test_staff_put_without_title_returns_400(self, api_client, staff, collection):
        response = api_client.put(collection_url(collection.pk), {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'title': [REQUIRED_MESSAGE]}

    @pytest.mark.parametrize('title', ['', ['a', 'list'], {}, None, 'x' * 256])
    def test_staff_patch_invalid_title_returns_400(self, api_client, staff, collection, title):
        response = api_client.patch(collection_url(collection.pk), {'title': title}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['title']
        collection.refresh_from_db()
        assert collection.title == 'Electronics'

    def test_staff_update_ignores_read_only_fields(self, api_client, staff, collection):
        response = api_client.put(collection_url(collection.pk),
                                  {'id': 4242, 'title': 'Gadgets', 'products_count': 99}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': collection.pk, 'title': 'Gadgets', 'products_count': 0}
        assert not Collection.objects.filter(pk=4242).exists()

    def test_staff_patch_with_a_json_list_body_returns_400(self, api_client, staff, collection):
        response = api_client.patch(collection_url(collection.pk), [{'title': 'New'}], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()

    def test_staff_patch_with_malformed_json_returns_400(self, api_client, staff, collection):
        response = api_client.patch(collection_url(collection.pk), b'{"title": ', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'detail' in response.json()

    @pytest.mark.parametrize('pk', UNKNOWN_COLLECTION_PKS)
    def test_staff_put_unknown_or_malformed_id_returns_404(self, api_client, staff, db, pk):
        response = api_client.put(collection_url(pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Collection.objects.exists()

    @pytest.mark.parametrize('pk', UNKNOWN_COLLECTION_PKS)
    def test_staff_patch_unknown_or_malformed_id_returns_404(self, api_client, staff, db, pk):
        response = api_client.patch(collection_url(pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND


# ---------------------------------------------------------------------------------------------- delete

@pytest.mark.django_db
class TestDeleteCollection:
    def test_anonymous_gets_401(self, api_client, collection):
        response = api_client.delete(collection_url(collection.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Collection.objects.filter(pk=collection.pk).exists()

    def test_non_staff_gets_403(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.delete(collection_url(collection.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Collection.objects.filter(pk=collection.pk).exists()

    def test_staff_deletes_an_empty_collection_with_204(self, api_client, staff, collection):
        response = api_client.delete(collection_url(collection.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''

    def test_deleted_collection_is_gone(self, api_client, staff, collection):
        api_client.delete(collection_url(collection.pk))

        assert not Collection.objects.filter(pk=collection.pk).exists()
        assert api_client.get(collection_url(collection.pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_collection_with_products_returns_405_with_the_error(self, api_client, staff, collection):
        make_products(collection, 1)

        response = api_client.delete(collection_url(collection.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'error': PROTECTED_COLLECTION_MESSAGE}

    def test_collection_with_products_is_kept_with_its_products(self, api_client, staff, collection):
        make_products(collection, 2)

        api_client.delete(collection_url(collection.pk))

        assert Collection.objects.filter(pk=collection.pk).exists()
        assert Product.objects.filter(collection=collection).count() == 2

    def test_reads_after_a_delete_no_longer_show_it(self, api_client, staff, collection,
                                                    django_capture_on_commit_callbacks):
        assert len(api_client.get(LIST_URL).json()) == 1
        assert api_client.get(collection_url(collection.pk)).status_code == status.HTTP_200_OK

        with django_capture_on_commit_callbacks(execute=True):
            api_client.delete(collection_url(collection.pk))

        assert api_client.get(LIST_URL).json() == []
        assert api_client.get(collection_url(collection.pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_deleting_a_collection_leaves_the_others(self, api_client, staff, collection):
        other = make_collection(title='Other')

        api_client.delete(collection_url(collection.pk))

        assert list(Collection.objects.values_list('pk', flat=True)) == [other.pk]

    @pytest.mark.parametrize('pk', UNKNOWN_COLLECTION_PKS)
    def test_unknown_or_malformed_id_returns_404(self, api_client, staff, collection, pk):
        response = api_client.delete(collection_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Collection.objects.filter(pk=collection.pk).exists()
