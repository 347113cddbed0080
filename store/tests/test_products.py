"""API tests for /store/products/: anyone reads (paginated, filtered, searched, ordered), only staff write."""
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_filters.rest_framework import DjangoFilterBackend
from model_bakery import baker
from PIL import Image
from rest_framework import status

from store.models import (
    Cart,
    CartItem,
    Collection,
    Order,
    OrderItem,
    Product,
    ProductImage,
)

LIST_URL = '/store/products/'

# Budgets for a first (uncached) read. Every catalogue read first looks up the cached catalogue's version
# (store/caching.py), then renders: that lookup is counted on its own.
CATALOGUE_VERSION_QUERIES = 1
# Page count + the page of products + the images of the whole page (one query), whatever the page size.
PRODUCT_LIST_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 3
# The same, plus the collection_id filter's check that the collection exists.
PRODUCT_LIST_BY_COLLECTION_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 4
# The product + its images (one query).
PRODUCT_DETAIL_MAX_QUERIES = CATALOGUE_VERSION_QUERIES + 2
# Exactly, on an empty cache: the version, the count, the page, the images of the whole page (one plain query).
PRODUCT_LIST_QUERIES = 4

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100

PRODUCT_FIELDS = {'id', 'title', 'description', 'slug', 'inventory', 'unit_price', 'price_with_tax',
                  'collection', 'images'}
REQUIRED_FIELDS = {'title', 'slug', 'inventory', 'unit_price', 'collection'}
UNKNOWN_PRODUCT_PKS = ['99999', 'abc', '99999999999999999999999']

REQUIRED_MESSAGE = 'This field is required.'
MIN_PRICE_MESSAGE = 'Ensure this value is greater than or equal to 1.'
MIN_INVENTORY_MESSAGE = 'Ensure this value is greater than or equal to 0.'
MAX_DIGITS_MESSAGE = 'Ensure that there are no more than 6 digits in total.'
PROTECTED_PRODUCT_MESSAGE = 'Product cannot be deleted because it is associated with an order item.'
INVALID_PAGE_BODY = {'detail': 'Invalid page.'}
INVALID_COLLECTION_MESSAGE = 'Select a valid choice. That choice is not one of the available choices.'
INVALID_NUMBER_MESSAGE = 'Enter a number.'


# ---------------------------------------------------------------------------------------------- helpers

def product_url(pk):
    return f'{LIST_URL}{pk}/'


def body(response):
    """The JSON body with every JSON number that has a fraction parsed as an exact Decimal."""
    return json.loads(response.content, parse_float=Decimal)


def make_collection(**fields):
    return baker.make(Collection, **fields)


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 5, **fields}
    return baker.make(Product, **fields)


def png_file(name='x.png'):
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), color=(10, 120, 200)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


def make_image(product, name='x.png'):
    return ProductImage.objects.create(product=product, image=png_file(name))


def make_order_item(make_customer, product):
    order = baker.make(Order, customer=make_customer())
    return baker.make(OrderItem, order=order, product=product, quantity=1, unit_price=product.unit_price)


def valid_payload(collection, /, **overrides):
    return {'title': 'Laptop', 'slug': 'laptop', 'description': 'A fast one', 'inventory': 50,
            'unit_price': 999.99, 'collection': collection.pk, **overrides}


def result_ids(response):
    return [item['id'] for item in response.json()['results']]


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
def collection(db):
    return make_collection(title='Electronics')


@pytest.fixture
def product(collection):
    return make_product(title='Laptop', slug='laptop', description='Fast', unit_price=Decimal('999.99'),
                        inventory=50, collection=collection)


@pytest.fixture
def staff(authenticate):
    return authenticate(is_staff=True)


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
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'),
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
        with django_assert_max_num_queries(PRODUCT_LIST_MAX_QUERIES):
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
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'),
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


# ---------------------------------------------------------------------------------------------- create

@pytest.mark.django_db
class TestCreateProduct:
    def test_anonymous_gets_401(self, api_client, collection):
        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert not Product.objects.exists()

    def test_non_staff_gets_403(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert not Product.objects.exists()

    def test_staff_gets_201_with_the_new_product(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        product = Product.objects.get()
        assert body(response) == {
            'id': product.pk, 'title': 'Laptop', 'description': 'A fast one', 'slug': 'laptop', 'inventory': 50,
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'),
            'collection': collection.pk, 'images': [],
        }

    def test_list_read_after_a_create_shows_the_new_product(self, api_client, staff, collection,
                                                            django_capture_on_commit_callbacks):
        assert api_client.get(LIST_URL).json()['count'] == 0

        with django_capture_on_commit_callbacks(execute=True):
            api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert [item['title'] for item in api_client.get(LIST_URL).json()['results']] == ['Laptop']

    def test_staff_create_saves_the_product(self, api_client, staff, collection):
        api_client.post(LIST_URL, valid_payload(collection), format='json')

        product = Product.objects.get()
        assert (product.title, product.slug, product.inventory, product.unit_price, product.collection_id) == \
            ('Laptop', 'laptop', 50, Decimal('999.99'), collection.pk)

    def test_description_is_optional(self, api_client, staff, collection):
        payload = valid_payload(collection)
        del payload['description']

        response = api_client.post(LIST_URL, payload, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['description'] is None

    def test_empty_post_returns_400_naming_every_required_field(self, api_client, staff, db):
        response = api_client.post(LIST_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [REQUIRED_MESSAGE] for field in REQUIRED_FIELDS}

    def test_empty_body_returns_400_naming_the_required_fields(self, api_client, staff, db):
        response = api_client.post(LIST_URL, b'', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert set(response.json()) == REQUIRED_FIELDS

    @pytest.mark.parametrize('unit_price', [0.99, 0, -5])
    def test_unit_price_below_1_returns_400(self, api_client, staff, collection, unit_price):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price=unit_price), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'unit_price': [MIN_PRICE_MESSAGE]}

    def test_unit_price_of_exactly_1_is_accepted(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price=1), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert body(response)['price_with_tax'] == Decimal('1.1')

    def test_negative_inventory_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, inventory=-1), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'inventory': [MIN_INVENTORY_MESSAGE]}

    def test_zero_inventory_is_accepted(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, inventory=0), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['inventory'] == 0

    def test_unit_price_with_more_than_6_digits_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price='12345.67'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'unit_price': [MAX_DIGITS_MESSAGE]}

    def test_unit_price_with_more_than_2_decimal_places_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price='10.123'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['unit_price']

    def test_unknown_collection_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection=99999), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection': ['Invalid pk "99999" - object does not exist.']}

    def test_non_numeric_collection_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection='abc'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection': ['Incorrect type. Expected pk value, received str.']}

    def test_huge_collection_id_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection=10 ** 30), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['collection']

    def test_invalid_slug_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, slug='not a slug!'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['slug']

    def test_title_longer_than_255_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, title='x' * 256), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['title']

    def test_read_only_fields_in_the_body_are_ignored(self, api_client, staff, collection):
        payload = valid_payload(collection, id=12345, price_with_tax=1, images=[{'id': 1, 'image': 'x.png'}])

        response = api_client.post(LIST_URL, payload, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        product = Product.objects.get()
        assert product.pk != 12345
        assert body(response)['id'] == product.pk
        assert body(response)['price_with_tax'] == Decimal('1099.99')
        assert body(response)['images'] == []
        assert not ProductImage.objects.exists()

    @pytest.mark.parametrize('field, value', [
        ('title', ['a', 'list']),
        ('title', {'an': 'object'}),
        ('unit_price', 'cheap'),
        ('unit_price', 'NaN'),
        ('unit_price', 'Infinity'),
        ('unit_price', [10]),
        ('inventory', 1.5),
        ('inventory', 'many'),
        ('inventory', [1]),
        ('collection', {}),
        ('collection', [1]),
        ('collection', True),
        ('inventory', True),
        ('unit_price', True),
        ('slug', 123.5),
    ])
    def test_wrong_json_type_returns_400_naming_the_field(self, api_client, staff, collection, field, value):
        response = api_client.post(LIST_URL, valid_payload(collection, **{field: value}), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        assert not Product.objects.exists()

    @pytest.mark.parametrize('field, value', [('unit_price', 1e100), ('inventory', 10 ** 30), ('inventory', -10 ** 30)])
    def test_huge_numbers_return_400_naming_the_field(self, api_client, staff, collection, field, value):
        response = api_client.post(LIST_URL, valid_payload(collection, **{field: value}), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        assert not Product.objects.exists()

    def test_json_list_body_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, [valid_payload(collection)], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()
        assert not Product.objects.exists()

    @pytest.mark.parametrize('raw', [b'{"title": ', b'not json', b'{"unit_price": NaN}', b'\xff\xfe'])
    def test_malformed_json_returns_400_with_a_json_body(self, api_client, staff, db, raw):
        response = api_client.post(LIST_URL, raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'detail' in response.json()


# ---------------------------------------------------------------------------------------------- update

@pytest.mark.django_db
class TestUpdateProduct:
    def test_anonymous_put_gets_401(self, api_client, product):
        response = api_client.put(product_url(product.pk), valid_payload(product.collection, title='New'),
                                  format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_anonymous_patch_gets_401(self, api_client, product):
        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_put_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.put(product_url(product.pk), valid_payload(product.collection, title='New'),
                                  format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN

    def test_non_staff_patch_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_staff_put_returns_200_with_the_updated_product(self, api_client, staff, product):
        other = make_collection(title='Other')
        payload = valid_payload(other, title='Desktop', slug='desktop', description='Big', inventory=3,
                                unit_price=19)

        response = api_client.put(product_url(product.pk), payload, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response) == {
            'id': product.pk, 'title': 'Desktop', 'description': 'Big', 'slug': 'desktop', 'inventory': 3,
            'unit_price': Decimal('19'), 'price_with_tax': Decimal('20.9'), 'collection': other.pk, 'images': [],
        }
        product.refresh_from_db()
        assert (product.title, product.unit_price, product.collection_id) == ('Desktop', Decimal('19'), other.pk)

    def test_staff_put_missing_fields_returns_400(self, api_client, staff, product):
        response = api_client.put(product_url(product.pk), {'title': 'Desktop'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [REQUIRED_MESSAGE] for field in REQUIRED_FIELDS - {'title'}}

    def test_staff_patch_changes_only_the_given_field(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), {'unit_price': 19}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response)['unit_price'] == Decimal('19')
        assert body(response)['price_with_tax'] == Decimal('20.9')
        assert body(response)['title'] == 'Laptop'
        product.refresh_from_db()
        assert (product.unit_price, product.title, product.inventory) == (Decimal('19'), 'Laptop', 50)

    def test_staff_patch_keeps_the_images_in_the_response(self, api_client, staff, product):
        image = make_image(product)

        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.json()['images'] == [{'id': image.pk, 'image': f'http://testserver{image.image.url}'}]

    def test_staff_patch_ignores_read_only_fields(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk),
                                    {'id': 777, 'price_with_tax': 1, 'images': [], 'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response)['id'] == product.pk
        assert body(response)['price_with_tax'] == Decimal('1099.99')
        assert not Product.objects.filter(pk=777).exists()

    def test_reads_after_a_patch_show_the_change(self, api_client, staff, product,
                                                 django_capture_on_commit_callbacks):
        assert api_client.get(product_url(product.pk)).json()['title'] == 'Laptop'
        assert api_client.get(LIST_URL).json()['results'][0]['title'] == 'Laptop'

        with django_capture_on_commit_callbacks(execute=True):
            api_client.patch(product_url(product.pk), {'title': 'Desktop'}, format='json')

        assert api_client.get(product_url(product.pk)).json()['title'] == 'Desktop'
        assert api_client.get(LIST_URL).json()['results'][0]['title'] == 'Desktop'

    @pytest.mark.parametrize('field, value, message', [
        ('unit_price', 0.5, MIN_PRICE_MESSAGE),
        ('inventory', -1, MIN_INVENTORY_MESSAGE),
        ('unit_price', 1234567, MAX_DIGITS_MESSAGE),
    ])
    def test_staff_patch_out_of_range_value_returns_400(self, api_client, staff, product, field, value, message):
        response = api_client.patch(product_url(product.pk), {field: value}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [message]}

    @pytest.mark.parametrize('field, value', [
        ('title', ['a', 'list']),
        ('unit_price', 'cheap'),
        ('inventory', 1.5),
        ('collection', {}),
        ('collection', 'abc'),
        ('collection', 99999),
        ('unit_price', 1e100),
        ('inventory', 10 ** 30),
    ])
    def test_staff_patch_wrong_type_returns_400_naming_the_field(self, api_client, staff, product, field, value):
        response = api_client.patch(product_url(product.pk), {field: value}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_staff_patch_with_a_json_list_body_returns_400(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), [{'title': 'New'}], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()

    def test_staff_patch_with_malformed_json_returns_400(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), b'{"title": "New"', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'detail' in response.json()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_staff_put_unknown_or_malformed_id_returns_404(self, api_client, staff, collection, pk):
        response = api_client.put(product_url(pk), valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Product.objects.exists()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_staff_patch_unknown_or_malformed_id_returns_404(self, api_client, staff, db, pk):
        response = api_client.patch(product_url(pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND


# ---------------------------------------------------------------------------------------------- delete

@pytest.mark.django_db
class TestDeleteProduct:
    def test_anonymous_gets_401(self, api_client, product):
        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Product.objects.filter(pk=product.pk).exists()

    def test_non_staff_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Product.objects.filter(pk=product.pk).exists()

    def test_staff_gets_204_with_an_empty_body(self, api_client, staff, product):
        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''

    def test_deleted_product_is_gone(self, api_client, staff, product):
        api_client.delete(product_url(product.pk))

        assert not Product.objects.filter(pk=product.pk).exists()
        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_reads_after_a_delete_no_longer_show_it(self, api_client, staff, product,
                                                    django_capture_on_commit_callbacks):
        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_200_OK
        assert api_client.get(LIST_URL).json()['count'] == 1

        with django_capture_on_commit_callbacks(execute=True):
            api_client.delete(product_url(product.pk))

        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_404_NOT_FOUND
        assert api_client.get(LIST_URL).json()['count'] == 0

    def test_deleting_a_product_deletes_its_images(self, api_client, staff, product):
        make_image(product)

        api_client.delete(product_url(product.pk))

        assert not ProductImage.objects.exists()

    def test_deleting_a_featured_product_unsets_the_feature(self, api_client, staff, product):
        Collection.objects.filter(pk=product.collection_id).update(featured_product=product)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert Collection.objects.get(pk=product.collection_id).featured_product is None

    def test_deleting_a_product_removes_it_from_carts(self, api_client, staff, product):
        cart_item = baker.make(CartItem, cart=baker.make(Cart), product=product, quantity=2)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not CartItem.objects.filter(pk=cart_item.pk).exists()
        assert Cart.objects.filter(pk=cart_item.cart_id).exists()

    def test_product_with_order_items_returns_405_with_the_error(self, api_client, staff, product, make_customer):
        make_order_item(make_customer, product)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'error': PROTECTED_PRODUCT_MESSAGE}

    def test_product_with_order_items_is_kept(self, api_client, staff, product, make_customer):
        make_order_item(make_customer, product)

        api_client.delete(product_url(product.pk))

        assert Product.objects.filter(pk=product.pk).exists()
        assert OrderItem.objects.filter(product=product).exists()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_id_returns_404(self, api_client, staff, product, pk):
        response = api_client.delete(product_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Product.objects.filter(pk=product.pk).exists()


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
