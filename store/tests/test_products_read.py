"""API tests for reading /store/products/: anyone lists (paginated, deep pages too) and retrieves products,
within a query budget; the list and detail JSON, images with absolute URLs."""
from decimal import Decimal

import pytest
from rest_framework import status

from store.models import Product, ProductImage

from .products_helpers import (
    LIST_URL,
    UNKNOWN_PRODUCT_PKS,
    body,
    make_collection,
    make_image,
    make_product,
    product_url,
    result_ids,
    valid_payload,
)

# Budgets for a first (uncached) read. Every catalogue read first looks up the cached catalogue's version
# (store/caching.py), then renders: that lookup is counted on its own.
CATALOGUE_VERSION_QUERIES = 1
# Page count + the page of products + the images of the whole page (one query), whatever the page size.
PRODUCT_LIST_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 3
# The same, plus the collection_id filter's check that the collection exists.
PRODUCT_LIST_BY_COLLECTION_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 4
# A search term's candidates are read from the engine's substring index first (store.search), once per term.
PRODUCT_SEARCH_MAX_QUERIES = PRODUCT_LIST_MAX_QUERIES + 1
# The product + its images (one query).
PRODUCT_DETAIL_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 2
# Exactly, on an empty cache: the version, the count, the page, the images of the whole page (one plain query).
PRODUCT_LIST_QUERIES = 4

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100

PRODUCT_FIELDS = {'id', 'title', 'description', 'slug', 'inventory', 'unit_price', 'price_with_tax',
                  'sale_price', 'collection', 'images'}
INVALID_PAGE_BODY = {'detail': 'Invalid page.'}


def all_ids(api_client, url):
    """Follow `next` links from `url` and return every product id in the order the pages give them."""
    ids = []
    while url:
        response = api_client.get(url)
        assert response.status_code == status.HTTP_200_OK
        ids += result_ids(response)
        url = response.json()['next']
    return ids


@pytest.fixture
def catalogue(db):
    """110 products in 4 collections, each with 2 images (one real PNG file, shared by name)."""
    collections = [make_collection(title=f'Collection {n}') for n in range(4)]
    Product.objects.bulk_create([
        Product(title=f'{"Coffee" if n % 2 else "Tea"} {n:03}', slug=f'product-{n}', description=f'Item {n}',
                unit_price=Decimal(10 + n % 7), inventory=n, collection=collections[n % 4])
        for n in range(110)
    ])
    products = list(Product.objects.order_by('id'))
    image_name = make_image(products[0]).image.name
    ProductImage.objects.bulk_create(
        [ProductImage(product=products[0], image=image_name)]
        + [ProductImage(product=product, image=image_name) for product in products[1:] for _ in range(2)])
    return collections


# ------------------------------------------------------------------------------------------------ list

@pytest.mark.django_db
class TestListProducts:
    def test_anonymous_gets_200_with_a_paginated_envelope(self, api_client, product):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        data = response.json()
        assert set(data) == {'count', 'next', 'previous', 'results'}
        assert (data['count'], data['next'], data['previous']) == (1, None, None)
        assert set(data['results'][0]) == PRODUCT_FIELDS

    def test_empty_catalogue_returns_count_0_and_no_results(self, api_client, db):
        response = api_client.get(LIST_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}

    def test_each_result_is_the_product_json(self, api_client, product):
        response = api_client.get(LIST_URL)

        assert body(response)['results'] == [{
            'id': product.pk, 'title': 'Laptop', 'description': 'Fast', 'slug': 'laptop', 'inventory': 50,
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'), 'sale_price': None,
            'collection': product.collection_id, 'images': [],
        }]

    def test_decimals_are_json_numbers_not_strings(self, api_client, product):
        result = api_client.get(LIST_URL).json()['results'][0]

        assert isinstance(result['unit_price'], float)
        assert isinstance(result['price_with_tax'], float)

    def test_default_order_is_by_title(self, api_client, collection):
        zebra = make_product(title='Zebra', collection=collection)
        apple = make_product(title='Apple', collection=collection)
        mango = make_product(title='Mango', collection=collection)

        response = api_client.get(LIST_URL)

        assert result_ids(response) == [apple.pk, mango.pk, zebra.pk]

    def test_images_are_listed_with_absolute_urls(self, api_client, product):
        image = make_image(product)

        result = api_client.get(LIST_URL).json()['results'][0]

        assert result['images'] == [{'id': image.pk, 'image': f'http://testserver{image.image.url}'}]
        assert result['images'][0]['image'].startswith('http://testserver/media/store/images/')

    def test_put_to_the_list_url_returns_405(self, api_client, staff, collection):
        response = api_client.put(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED

    def test_delete_on_the_list_url_returns_405(self, api_client, staff, product):
        response = api_client.delete(LIST_URL)

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Product.objects.filter(pk=product.pk).exists()

    @pytest.mark.parametrize('page_size', [DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE])
    def test_query_budget_whatever_the_page_size(self, api_client, catalogue, page_size,
                                                 django_assert_max_num_queries):
        with django_assert_max_num_queries(PRODUCT_LIST_MAX_QUERIES):
            response = api_client.get(LIST_URL, {'page_size': page_size})

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()['results']) == page_size
        assert all(len(item['images']) == 2 for item in response.json()['results'])

    @pytest.mark.parametrize('page_size', [DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE])
    def test_exact_query_count_whatever_the_page_size(self, api_client, catalogue, page_size,
                                                      django_assert_num_queries):
        with django_assert_num_queries(PRODUCT_LIST_QUERIES) as queries:
            response = api_client.get(LIST_URL, {'page_size': page_size})

        assert response.status_code == status.HTTP_200_OK
        results = response.json()['results']
        assert len(results) == page_size
        assert sum(len(item['images']) for item in results) == 2 * page_size
        image_reads = [query['sql'] for query in queries.captured_queries if 'store_productimage' in query['sql']]
        assert len(image_reads) == 1

    def test_query_budget_with_collection_filter(self, api_client, catalogue, django_assert_max_num_queries):
        with django_assert_max_num_queries(PRODUCT_LIST_BY_COLLECTION_MAX_QUERIES):
            response = api_client.get(LIST_URL, {'collection_id': catalogue[1].pk, 'page_size': MAX_PAGE_SIZE})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 110 // 4 + 1

    def test_query_budget_with_search(self, api_client, catalogue, django_assert_max_num_queries):
        with django_assert_max_num_queries(PRODUCT_SEARCH_MAX_QUERIES):
            response = api_client.get(LIST_URL, {'search': 'coffee', 'page_size': MAX_PAGE_SIZE})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['count'] == 55


# -------------------------------------------------------------------------------------------- retrieve

@pytest.mark.django_db
class TestRetrieveProduct:
    def test_anonymous_gets_200_with_the_exact_product_json(self, api_client, product):
        image = make_image(product)

        response = api_client.get(product_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert body(response) == {
            'id': product.pk, 'title': 'Laptop', 'description': 'Fast', 'slug': 'laptop', 'inventory': 50,
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'), 'sale_price': None,
            'collection': product.collection_id,
            'images': [{'id': image.pk, 'image': f'http://testserver{image.image.url}'}],
        }

    def test_image_url_is_absolute_under_media(self, api_client, product):
        make_image(product, name='photo.png')

        url = api_client.get(product_url(product.pk)).json()['images'][0]['image']

        assert url.startswith('http://testserver/media/store/images/photo')
        assert url.endswith('.png')

    def test_images_are_listed_in_id_order(self, api_client, product):
        images = [make_image(product, name=f'{n}.png') for n in range(3)]

        response = api_client.get(product_url(product.pk))

        assert [image['id'] for image in response.json()['images']] == [image.pk for image in images]

    def test_product_without_description_has_null(self, api_client, collection):
        product = make_product(collection=collection, description=None)

        assert api_client.get(product_url(product.pk)).json()['description'] is None

    @pytest.mark.parametrize('unit_price, price_with_tax', [
        ('999.99', '1099.99'),   # 1099.989 rounds up
        ('19', '20.9'),
        ('10', '11'),
        ('1', '1.1'),
        ('1.15', '1.27'),        # 1.265: half-up, not half-even (1.26)
        ('2.35', '2.59'),        # 2.585: half-up, not half-even (2.58)
        ('1.05', '1.16'),        # 1.155
        ('9999.99', '10999.99'),  # the largest price: 10999.989
    ])
    def test_price_with_tax_is_unit_price_times_1_1_rounded_half_up_to_cents(
            self, api_client, collection, unit_price, price_with_tax):
        product = make_product(collection=collection, unit_price=Decimal(unit_price))

        response = api_client.get(product_url(product.pk))

        assert body(response)['price_with_tax'] == Decimal(price_with_tax)
        assert body(response)['unit_price'] == Decimal(unit_price)

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_id_returns_404(self, api_client, product, pk):
        response = api_client.get(product_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert 'detail' in response.json()

    def test_query_budget_with_images(self, api_client, product, django_assert_max_num_queries):
        make_image(product, name='a.png')
        make_image(product, name='b.png')

        with django_assert_max_num_queries(PRODUCT_DETAIL_MAX_QUERIES):
            response = api_client.get(product_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()['images']) == 2


# -------------------------------------------------------------------------------------------- paginate

@pytest.fixture
def many_products(collection):
    """25 products titled P00..P24, all at the same price."""
    return [make_product(title=f'P{n:02}', unit_price=Decimal('10'), collection=collection) for n in range(25)]


@pytest.mark.django_db
class TestPaginateProducts:
    def test_first_page_has_10_results_and_a_next_link(self, api_client, many_products):
        response = api_client.get(LIST_URL)

        data = response.json()
        assert data['count'] == 25
        assert len(data['results']) == DEFAULT_PAGE_SIZE
        assert data['next'] == 'http://testserver/store/products/?page=2'
        assert data['previous'] is None
        assert result_ids(response) == [product.pk for product in many_products[:10]]

    def test_middle_page_links_both_ways(self, api_client, many_products):
        data = api_client.get(LIST_URL, {'page': 2}).json()

        assert data['next'] == 'http://testserver/store/products/?page=3'
        assert data['previous'] == 'http://testserver/store/products/'
        assert [item['id'] for item in data['results']] == [product.pk for product in many_products[10:20]]

    def test_last_page_has_the_rest_and_no_next_link(self, api_client, many_products):
        data = api_client.get(LIST_URL, {'page': 3}).json()

        assert data['next'] is None
        assert data['previous'] == 'http://testserver/store/products/?page=2'
        assert [item['id'] for item in data['results']] == [product.pk for product in many_products[20:]]

    def test_links_keep_the_other_query_parameters(self, api_client, many_products):
        data = api_client.get(LIST_URL, {'page_size': 5, 'ordering': 'unit_price', 'page': 2}).json()

        assert 'page_size=5' in data['next'] and 'ordering=unit_price' in data['next'] and 'page=3' in data['next']

    def test_page_size_sets_the_number_of_results(self, api_client, many_products):
        data = api_client.get(LIST_URL, {'page_size': 20}).json()

        assert len(data['results']) == 20
        assert data['count'] == 25

    @pytest.mark.parametrize('page_size', ['1000', '99999999999999999999999999'])
    def test_page_size_is_capped_at_100(self, api_client, catalogue, page_size):
        response = api_client.get(LIST_URL, {'page_size': page_size})

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()['results']) == MAX_PAGE_SIZE
        assert response.json()['count'] == 110

    @pytest.mark.parametrize('page_size', ['abc', '0', '-5', '', '1.5'])
    def test_invalid_page_size_falls_back_to_10(self, api_client, many_products, page_size):
        response = api_client.get(LIST_URL, {'page_size': page_size})

        assert response.status_code == status.HTTP_200_OK
        assert len(response.json()['results']) == DEFAULT_PAGE_SIZE

    @pytest.mark.parametrize('page', ['abc', '0', '-1', '99999', '4', '1.5', '99999999999999999999999'])
    def test_invalid_or_out_of_range_page_returns_404(self, api_client, many_products, page):
        response = api_client.get(LIST_URL, {'page': page})

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == INVALID_PAGE_BODY

    def test_page_1_of_an_empty_catalogue_is_200(self, api_client, db):
        response = api_client.get(LIST_URL, {'page': 1})

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['results'] == []

    def test_paging_by_a_shared_price_returns_every_product_exactly_once(self, api_client, many_products):
        ids = all_ids(api_client, f'{LIST_URL}?ordering=unit_price&page_size=10')

        assert sorted(ids) == sorted(product.pk for product in many_products)
        assert len(ids) == len(set(ids)) == 25

    def test_paging_by_descending_shared_price_returns_every_product_exactly_once(self, api_client, many_products):
        ids = all_ids(api_client, f'{LIST_URL}?ordering=-unit_price&page_size=10')

        assert len(ids) == len(set(ids)) == 25

    def test_paging_by_a_shared_title_returns_every_product_exactly_once(self, api_client, collection):
        products = [make_product(title='Same', collection=collection) for _ in range(23)]

        ids = all_ids(api_client, f'{LIST_URL}?page_size=10')

        assert ids == [product.pk for product in products]


@pytest.mark.django_db
class TestDeepPages:
    """Pages past CataloguePaginator.DEFERRED_JOIN_OFFSET read their ids first, then the rows: same pages."""

    @pytest.fixture
    def deferred_from_offset_20(self, monkeypatch):
        monkeypatch.setattr('store.pagination.CataloguePaginator.DEFERRED_JOIN_OFFSET', 20)

    @pytest.mark.parametrize('query', ['', '&ordering=-unit_price', '&ordering=last_update', '&search=Coffee',
                                       '&unit_price__gt=12', '&collection_id={collection}'])
    def test_a_deep_page_holds_what_an_offset_gives(self, api_client, catalogue, deferred_from_offset_20, query):
        url = f'{LIST_URL}?page_size=7{query.format(collection=catalogue[1].pk)}'
        expected = all_ids(api_client, url)  # pages 1–3 plain, the rest deferred
        ordering = {'': ['title', 'id'], '&ordering=-unit_price': ['-unit_price', 'id'],
                    '&ordering=last_update': ['last_update', 'id']}.get(query, ['title', 'id'])
        products = Product.objects.order_by(*ordering)
        if query == '&search=Coffee':
            products = products.filter(title__icontains='Coffee')
        elif query == '&unit_price__gt=12':
            products = products.filter(unit_price__gt=12)
        elif query.startswith('&collection_id'):
            products = products.filter(collection=catalogue[1])

        assert expected == list(products.values_list('id', flat=True))
        assert len(expected) > 21

    def test_a_deep_page_costs_one_query_more_and_no_count(self, api_client, catalogue, deferred_from_offset_20,
                                                          django_assert_num_queries):
        api_client.get(f'{LIST_URL}?page=1')  # counts the rows under the current catalogue version
        with django_assert_num_queries(CATALOGUE_VERSION_QUERIES + 3):  # ids, rows, images
            response = api_client.get(f'{LIST_URL}?page=3&_=uncached')

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == list(Product.objects.order_by('title', 'id').values_list('id', flat=True)[20:30])
        assert response.json()['count'] == 110

    def test_the_last_page_with_a_short_tail(self, api_client, catalogue, deferred_from_offset_20):
        response = api_client.get(f'{LIST_URL}?page=11')

        assert response.status_code == status.HTTP_200_OK
        assert result_ids(response) == list(Product.objects.order_by('title', 'id').values_list('id', flat=True)[100:])
        assert response.json()['next'] is None
