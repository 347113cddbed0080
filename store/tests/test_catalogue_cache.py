"""The cached catalogue (store/caching.py) is never served stale.

Every test warms the cache with a JSON GET, proves that the identical second GET is served from the
cache (one query: the catalogue version's lookup), makes a change, and reads the new value.

pytest-django wraps each test in a transaction that never commits, so the version bump, which runs
in `transaction.on_commit`, only runs for writes made inside `committed()` (pytest-django's
`django_capture_on_commit_callbacks(execute=True)`), as a real commit would. One test at the end
commits for real (`transaction=True`).
"""
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from PIL import Image
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from store.caching import CatalogueCacheMiddleware, catalogue_version
from store.models import Cart, Collection, Order, Product, ProductImage, Review

from .test_reviews import REVIEW_LIST_MAX_QUERIES

PRODUCTS_URL = '/store/products/'
COLLECTIONS_URL = '/store/collections/'
CARTS_URL = '/store/carts/'
ORDERS_URL = '/store/orders/'

# A page served from the cache costs the catalogue version's lookup, nothing else.
CACHED_READ_QUERIES = 1
PAGE_SIZE = 10
JSON = 'application/json'

DOWN_REDIS_CACHES = {'default': {
    'BACKEND': 'django_redis.cache.RedisCache',
    'LOCATION': 'redis://127.0.0.1:9/0',  # nothing listens on port 9
    'OPTIONS': {
        'CLIENT_CLASS': 'django_redis.client.DefaultClient',
        'SOCKET_CONNECT_TIMEOUT': 0.5,
        'SOCKET_TIMEOUT': 0.5,
    },
}}


# ---------------------------------------------------------------------------------------------- helpers

def product_url(pk):
    return f'{PRODUCTS_URL}{pk}/'


def collection_url(pk):
    return f'{COLLECTIONS_URL}{pk}/'


def body(response):
    """The JSON body, numbers with a fraction parsed as exact Decimals."""
    return json.loads(response.content, parse_float=Decimal)


def results_by_id(page):
    return {product['id']: product for product in page['results']}


def counts_by_title(collections):
    return {collection['title']: collection['products_count'] for collection in collections}


def png_file(name='photo.png'):
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), color=(10, 120, 200)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


class CacheWriteSpy:
    """Stands in for store.caching's cache: delegates everything, records the keys it is asked to set."""

    def __init__(self, real):
        self.real = real
        self.keys_set = []

    def set(self, key, *args, **kwargs):
        self.keys_set.append(key)
        return self.real.set(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


class Catalogue:
    """An anonymous client that reads the catalogue as JSON."""

    def __init__(self, assert_num_queries):
        self.client = APIClient()
        self.assert_num_queries = assert_num_queries

    def get(self, url, **headers):
        return self.client.get(url, HTTP_ACCEPT=JSON, **headers)

    def read(self, url):
        response = self.get(url)
        assert response.status_code == 200, response.content
        return body(response)

    def warm(self, url):
        """Read `url` twice; the second read must come from the cache, byte for byte."""
        first = self.get(url)
        assert first.status_code == 200, first.content
        with self.assert_num_queries(CACHED_READ_QUERIES):
            second = self.get(url)
        assert second.status_code == 200
        assert second['Content-Type'] == JSON
        assert second.content == first.content
        return body(second)


@pytest.fixture
def catalogue(django_assert_num_queries):
    return Catalogue(django_assert_num_queries)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit callbacks of the writes inside, as their commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff(authenticate):
    return authenticate(is_staff=True)


@pytest.fixture
def mugs(db):
    return baker.make(Collection, title='Mugs')


@pytest.fixture
def teas(db):
    return baker.make(Collection, title='Teas')


@pytest.fixture
def mug(mugs):
    return baker.make(Product, title='Blue Mug', slug='blue-mug', description='A mug', unit_price=Decimal('10.00'),
                      inventory=20, collection=mugs)


@pytest.fixture
def tea(teas):
    return baker.make(Product, title='Green Tea', slug='green-tea', description='A tea', unit_price=Decimal('4.00'),
                      inventory=30, collection=teas)


@pytest.fixture
def no_confirmation_emails(monkeypatch):
    """Orders queue no confirmation e-mail (with REDIS_URL that would publish to the real broker)."""
    monkeypatch.setattr('store.services.queue_order_confirmation', lambda order_id: None)


# ------------------------------------------------------------------------------------- the cache works

@pytest.mark.django_db
class TestServedFromTheCache:
    def test_a_cached_page_keeps_status_content_type_and_body(self, catalogue, mug):
        for url in (PRODUCTS_URL, product_url(mug.pk), COLLECTIONS_URL, collection_url(mug.collection_id)):
            first = catalogue.get(url)
            with catalogue.assert_num_queries(CACHED_READ_QUERIES):
                cached = catalogue.get(url)

            assert (cached.status_code, cached['Content-Type']) == (first.status_code, first['Content-Type'])
            assert (cached.status_code, cached['Content-Type']) == (200, JSON)
            assert cached.content == first.content

    @pytest.mark.parametrize('first, second', [
        ('?page=1', '?page=2'),
        ('?ordering=unit_price', '?ordering=-unit_price'),
        ('?search=Blue', '?search=Green'),
    ])
    def test_query_strings_are_cached_separately(self, catalogue, mugs, first, second):
        for number in range(PAGE_SIZE + 2):
            baker.make(Product, title=f'{"Blue" if number % 2 else "Green"} {number:02}', slug=f'p{number}',
                       unit_price=Decimal(10 + number), inventory=5, collection=mugs)

        one, other = catalogue.warm(PRODUCTS_URL + first), catalogue.warm(PRODUCTS_URL + second)

        assert [p['id'] for p in one['results']] != [p['id'] for p in other['results']]
        assert catalogue.warm(PRODUCTS_URL + first) == one
        assert catalogue.warm(PRODUCTS_URL + second) == other

    def test_pages_hold_what_they_should(self, catalogue, mugs):
        products = [baker.make(Product, title=f'Mug {number:02}', slug=f'mug-{number}', unit_price=Decimal(10 + number),
                               inventory=5, collection=mugs) for number in range(PAGE_SIZE + 2)]

        page_1, page_2 = catalogue.warm(PRODUCTS_URL), catalogue.warm(f'{PRODUCTS_URL}?page=2')
        by_price_down = catalogue.warm(f'{PRODUCTS_URL}?ordering=-unit_price')

        assert [p['id'] for p in page_1['results']] == [p.pk for p in products[:PAGE_SIZE]]
        assert [p['id'] for p in page_2['results']] == [p.pk for p in products[PAGE_SIZE:]]
        assert [p['id'] for p in by_price_down['results']] == [p.pk for p in reversed(products)][:PAGE_SIZE]

    def test_collection_filters_are_cached_separately(self, catalogue, mug, tea):
        only_mugs = catalogue.warm(f'{PRODUCTS_URL}?collection_id={mug.collection_id}')
        only_teas = catalogue.warm(f'{PRODUCTS_URL}?collection_id={tea.collection_id}')

        assert [p['id'] for p in only_mugs['results']] == [mug.pk]
        assert [p['id'] for p in only_teas['results']] == [tea.pk]

    def test_the_browsable_api_is_not_served_from_the_json_cache(self, catalogue, mug):
        catalogue.warm(PRODUCTS_URL)

        with CaptureQueriesContext(connection) as queries:
            response = catalogue.client.get(PRODUCTS_URL, HTTP_ACCEPT='text/html')

        assert response.status_code == 200
        assert response['Content-Type'].startswith('text/html')
        assert 'Blue Mug' in response.content.decode()
        assert len(queries) > CACHED_READ_QUERIES

    def test_the_browsable_api_does_not_fill_the_json_cache(self, catalogue, mug):
        catalogue.client.get(product_url(mug.pk), HTTP_ACCEPT='text/html')

        with CaptureQueriesContext(connection) as queries:
            response = catalogue.get(product_url(mug.pk))

        assert (response.status_code, response['Content-Type']) == (200, JSON)
        assert body(response)['title'] == 'Blue Mug'
        assert len(queries) > CACHED_READ_QUERIES


# ------------------------------------------------------------------- the middleware answers cached pages

ALLOWED_ORIGIN = 'http://localhost:8001'
CATALOGUE_ROUTES = ['products', 'product', 'collections', 'collection']
# What a page served by the middleware repeats from the miss that filled the cache.
REPEATED_HEADERS = ['Content-Type', 'Allow', 'Vary', 'X-Frame-Options', 'X-Content-Type-Options', 'Content-Length',
                    'Access-Control-Allow-Origin']
# A cached page read with a valid token: the token's user, the version; the page from the view's cache.
AUTHENTICATED_CACHED_READ_QUERIES = 2


def version_lookups(queries):
    return [query['sql'] for query in queries if 'store_catalogueversion' in query['sql']]


def vary(response):
    return {value.strip().lower() for value in response['Vary'].split(',')}


@pytest.fixture
def drf_requests(monkeypatch):
    """The methods of the requests that reach DRF (APIView.dispatch), in order."""
    methods = []
    dispatch = APIView.dispatch

    def recording_dispatch(view, request, *args, **kwargs):
        methods.append(request.method)
        return dispatch(view, request, *args, **kwargs)

    monkeypatch.setattr(APIView, 'dispatch', recording_dispatch)
    return methods


@pytest.mark.django_db
class TestCatalogueCacheMiddleware:
    """Anonymous JSON GETs of cached product and collection pages are answered before sessions, auth and DRF."""

    @pytest.fixture
    def allowed_origin(self, settings):
        settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]

    @pytest.fixture
    def urls(self, mug):
        return {'products': PRODUCTS_URL, 'product': product_url(mug.pk),
                'collections': COLLECTIONS_URL, 'collection': collection_url(mug.collection_id)}

    @pytest.mark.parametrize('route', CATALOGUE_ROUTES)
    def test_a_hit_repeats_the_status_body_and_headers_of_the_miss(self, catalogue, allowed_origin, urls, route):
        with CaptureQueriesContext(connection) as miss_queries:
            miss = catalogue.get(urls[route], HTTP_ORIGIN=ALLOWED_ORIGIN)
        with catalogue.assert_num_queries(CACHED_READ_QUERIES) as hit_queries:
            hit = catalogue.get(urls[route], HTTP_ORIGIN=ALLOWED_ORIGIN)

        assert len(miss_queries) > CACHED_READ_QUERIES
        assert len(version_lookups(hit_queries.captured_queries)) == CACHED_READ_QUERIES
        assert (hit.status_code, hit.content) == (miss.status_code, miss.content)
        assert miss.status_code == 200
        assert {name: hit.get(name) for name in REPEATED_HEADERS} == {name: miss.get(name) for name in REPEATED_HEADERS}
        assert dict(hit.headers) == dict(miss.headers)
        assert (hit['Content-Type'], hit['X-Frame-Options'], hit['X-Content-Type-Options']) == (JSON, 'DENY', 'nosniff')
        assert hit['Content-Length'] == str(len(hit.content))
        assert {'accept', 'cookie', 'origin'} <= vary(hit)
        assert hit['Access-Control-Allow-Origin'] == ALLOWED_ORIGIN
        assert set(hit['Allow'].split(', ')) >= {'GET', 'HEAD', 'OPTIONS'}

    @pytest.mark.parametrize('route', CATALOGUE_ROUTES)
    def test_a_hit_never_reaches_drf(self, catalogue, drf_requests, urls, route):
        catalogue.warm(urls[route])

        assert drf_requests == ['GET']  # the miss only

    def test_a_hit_for_an_unlisted_origin_has_no_cors_header(self, catalogue, allowed_origin, mug):
        catalogue.warm(PRODUCTS_URL)

        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            response = catalogue.get(PRODUCTS_URL, HTTP_ORIGIN='http://evil.example')

        assert response.status_code == 200
        assert 'Access-Control-Allow-Origin' not in response

    @pytest.mark.parametrize('route', CATALOGUE_ROUTES)
    @pytest.mark.parametrize('authorization', ['JWT garbage', 'Bearer garbage'])
    def test_an_invalid_token_gets_401_not_the_cached_page(self, catalogue, drf_requests, urls, route, authorization):
        catalogue.warm(urls[route])

        response = catalogue.get(urls[route], HTTP_AUTHORIZATION=authorization)

        assert response.status_code == 401
        assert response.json()['code'] == 'token_not_valid'
        assert drf_requests == ['GET', 'GET']

    @pytest.mark.parametrize('route', CATALOGUE_ROUTES)
    def test_a_valid_token_gets_the_same_page(self, catalogue, drf_requests, django_user_model, urls, route):
        anonymous = catalogue.get(urls[route])
        token = AccessToken.for_user(baker.make(django_user_model))

        with catalogue.assert_num_queries(AUTHENTICATED_CACHED_READ_QUERIES) as queries:
            response = catalogue.get(urls[route], HTTP_AUTHORIZATION=f'JWT {token}')

        assert (response.status_code, response['Content-Type']) == (200, JSON)
        assert response.content == anonymous.content
        assert len(version_lookups(queries.captured_queries)) == 1
        assert drf_requests == ['GET', 'GET']  # the token is checked by DRF, as before

    @pytest.mark.parametrize('route, text', [('products', 'Blue Mug'), ('product', 'Blue Mug'),
                                             ('collections', 'Mugs'), ('collection', 'Mugs')])
    def test_the_browsable_api_gets_html_not_the_cached_json(self, catalogue, drf_requests, urls, route, text):
        json_page = catalogue.get(urls[route])
        catalogue.warm(urls[route])

        with CaptureQueriesContext(connection) as queries:
            response = catalogue.client.get(urls[route], HTTP_ACCEPT='text/html')

        assert response.status_code == 200
        assert response['Content-Type'].startswith('text/html')
        assert response.content != json_page.content
        assert text in response.content.decode()
        assert len(queries) > CACHED_READ_QUERIES
        assert drf_requests == ['GET', 'GET']
        with catalogue.assert_num_queries(CACHED_READ_QUERIES):  # the JSON entry is untouched
            assert catalogue.get(urls[route]).content == json_page.content

    @pytest.mark.parametrize('suffix', ['reviews/', 'images/'])
    def test_nested_routes_do_not_read_the_catalogue_version(self, catalogue, mug, suffix):
        baker.make(Review, product=mug, _quantity=2)
        url = f'{product_url(mug.pk)}{suffix}'

        for _ in range(2):
            # The parent product + the rows: the reviews' budget, no version lookup added in front.
            with catalogue.assert_num_queries(REVIEW_LIST_MAX_QUERIES) as queries:
                response = catalogue.get(url)
            assert response.status_code == 200
            assert version_lookups(queries.captured_queries) == []
        assert len(body(catalogue.get(f'{product_url(mug.pk)}reviews/'))) == 2

    @pytest.mark.parametrize('url', [f'{PRODUCTS_URL}abc/', f'{PRODUCTS_URL}1', '/store/products.json',
                                     '/store/carts/', f'{COLLECTIONS_URL}1/products/'])
    def test_other_paths_are_not_looked_up(self, rf, db, url):
        request = rf.get(url, HTTP_ACCEPT=JSON)
        passed_on = []
        middleware = CatalogueCacheMiddleware(lambda request: passed_on.append(request) or 'from the view')

        assert middleware(request) == 'from the view'
        assert passed_on == [request]
        assert not hasattr(request, 'catalogue_version')

    def test_a_write_makes_the_next_get_a_miss_showing_it(self, catalogue, committed, api_client, staff, mug, urls):
        for url in urls.values():
            catalogue.warm(url)

        with committed():
            response = api_client.patch(urls['product'], {'title': 'Red Mug', 'unit_price': '12.50'}, format='json')
        assert response.status_code == 200

        pages = {}
        for route, url in urls.items():
            with CaptureQueriesContext(connection) as queries:
                pages[route] = catalogue.read(url)
            assert len(queries) > CACHED_READ_QUERIES, route
        assert (pages['product']['title'], pages['product']['unit_price']) == ('Red Mug', Decimal('12.50'))
        assert [(p['title'], p['unit_price']) for p in pages['products']['results']] == [('Red Mug', Decimal('12.50'))]
        assert pages['collection'] == {'id': mug.collection_id, 'title': 'Mugs', 'products_count': 1}
        for url in urls.values():  # and then hits again
            with catalogue.assert_num_queries(CACHED_READ_QUERIES):
                assert catalogue.get(url).status_code == 200

    def test_head_passes_through_to_the_view(self, catalogue, drf_requests, mug):
        cold = catalogue.client.head(PRODUCTS_URL, HTTP_ACCEPT=JSON)
        # The view filed the page it rendered for the HEAD (the key has no method): the GET is a hit, whole.
        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            page = catalogue.get(PRODUCTS_URL)
        warm = catalogue.client.head(PRODUCTS_URL, HTTP_ACCEPT=JSON)

        assert drf_requests == ['HEAD', 'HEAD']
        for response in (cold, warm):
            assert (response.status_code, response['Content-Type'], response.content) == (200, JSON, b'')
            assert response['Content-Length'] == str(len(page.content))
        assert page.status_code == 200
        assert [p['title'] for p in body(page)['results']] == ['Blue Mug']

    def test_options_passes_through_to_the_view(self, catalogue, drf_requests, mug):
        catalogue.warm(PRODUCTS_URL)

        with catalogue.assert_num_queries(0):
            response = catalogue.client.options(PRODUCTS_URL, HTTP_ACCEPT=JSON)

        assert response.status_code == 200
        metadata = response.json()
        assert 'results' not in metadata
        assert metadata['renders'] == [JSON, 'text/html']
        assert drf_requests == ['GET', 'OPTIONS']

    @pytest.mark.parametrize('method', ['head', 'options', 'post', 'put', 'patch', 'delete'])
    def test_only_gets_are_looked_up(self, rf, db, method):
        request = getattr(rf, method)(PRODUCTS_URL, HTTP_ACCEPT=JSON)
        passed_on = []
        middleware = CatalogueCacheMiddleware(lambda request: passed_on.append(request) or 'from the view')

        assert middleware(request) == 'from the view'
        assert passed_on == [request]
        assert not hasattr(request, 'catalogue_version')


@pytest.mark.django_db
class TestCachedCounts:
    """Listings count their rows once per catalogue version and query (whatever the page or other parameters)."""
    UNCACHED_PAGE_QUERIES = 4   # version, count, page, images
    COUNTED_PAGE_QUERIES = 3    # the same, the count taken from the cache

    @pytest.fixture
    def mugs_on_two_pages(self, mugs):
        return baker.make(Product, unit_price=Decimal('10.00'), inventory=1, collection=mugs, _quantity=PAGE_SIZE + 3)

    def test_other_pages_of_a_listing_reuse_its_count(self, catalogue, mugs_on_two_pages):
        with catalogue.assert_num_queries(self.UNCACHED_PAGE_QUERIES):
            first = catalogue.read(PRODUCTS_URL)
        with catalogue.assert_num_queries(self.COUNTED_PAGE_QUERIES):
            second = catalogue.read(f'{PRODUCTS_URL}?page=2')
        with catalogue.assert_num_queries(self.COUNTED_PAGE_QUERIES):
            other_size = catalogue.read(f'{PRODUCTS_URL}?page_size=5&nonsense=1')

        assert first['count'] == second['count'] == other_size['count'] == PAGE_SIZE + 3
        assert len(second['results']) == 3

    def test_filters_and_searches_are_counted_separately(self, catalogue, mugs_on_two_pages, tea):
        assert catalogue.read(PRODUCTS_URL)['count'] == PAGE_SIZE + 4
        assert catalogue.read(f'{PRODUCTS_URL}?collection_id={tea.collection_id}')['count'] == 1
        assert catalogue.read(f'{PRODUCTS_URL}?search=Green')['count'] == 1
        assert catalogue.read(f'{PRODUCTS_URL}?unit_price__lt=5')['count'] == 1

    def test_a_committed_write_is_counted(self, catalogue, committed, mugs_on_two_pages, teas):
        assert catalogue.read(f'{PRODUCTS_URL}?page=2')['count'] == PAGE_SIZE + 3

        with committed():
            baker.make(Product, unit_price=Decimal('10.00'), inventory=1, collection=teas)

        assert catalogue.read(f'{PRODUCTS_URL}?page=2')['count'] == PAGE_SIZE + 4


@pytest.mark.django_db
class TestErrorsAreNotCached:
    """Most writes below deliberately bump no version: a cached error would still be served."""

    def test_a_404_detail_that_then_gets_created_is_200(self, catalogue, mugs):
        pk = 424242
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = catalogue.get(product_url(pk))
            assert response.status_code == 404
            assert len(queries) > CACHED_READ_QUERIES
        version = catalogue_version()

        baker.make(Product, pk=pk, title='Late Mug', unit_price=Decimal('10.00'), inventory=1, collection=mugs)

        assert catalogue_version() == version
        assert catalogue.read(product_url(pk))['title'] == 'Late Mug'

    def test_a_page_out_of_range_that_then_gets_filled_is_200(self, catalogue, committed, mugs):
        # The row count of a listing is cached under the version too, so this write is committed.
        products = baker.make(Product, unit_price=Decimal('10.00'), inventory=1, collection=mugs, _quantity=PAGE_SIZE)
        url = f'{PRODUCTS_URL}?page=2'
        assert catalogue.get(url).status_code == 404
        assert catalogue.get(url).status_code == 404

        with committed():
            extra = baker.make(Product, title='zzz last', unit_price=Decimal('10.00'), inventory=1, collection=mugs)

        page = catalogue.read(url)
        assert page['count'] == len(products) + 1
        assert [p['id'] for p in page['results']] == [extra.pk]

    @pytest.fixture
    def cache_writes(self, monkeypatch):
        spy = CacheWriteSpy(cache)
        monkeypatch.setattr('store.caching.cache', spy)
        return spy.keys_set

    def test_a_200_is_cached(self, catalogue, cache_writes, mug):
        assert catalogue.get(PRODUCTS_URL).status_code == 200
        assert len(cache_writes) == 1

    @pytest.mark.parametrize('url', [f'{PRODUCTS_URL}?unit_price__gt=abc', f'{PRODUCTS_URL}?collection_id=abc',
                                     f'{PRODUCTS_URL}424242/', f'{COLLECTIONS_URL}424242/'])
    def test_errors_are_not_written_to_the_cache(self, catalogue, cache_writes, mug, url):
        responses = [catalogue.get(url), catalogue.get(url)]

        assert [response.status_code for response in responses] in ([400, 400], [404, 404])
        assert cache_writes == []


# ---------------------------------------------------------------------------- product writes (staff API)

@pytest.mark.django_db
class TestProductWrites:
    def test_patch_price(self, catalogue, committed, api_client, staff, mug, tea):
        filtered = f'{PRODUCTS_URL}?collection_id={mug.collection_id}'
        for url in (PRODUCTS_URL, product_url(mug.pk), filtered):
            catalogue.warm(url)

        with committed():
            response = api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json')
        assert response.status_code == 200

        for product in (results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk], catalogue.read(product_url(mug.pk)),
                        results_by_id(catalogue.read(filtered))[mug.pk]):
            assert (product['unit_price'], product['price_with_tax']) == (Decimal('12.50'), Decimal('13.75'))
        assert results_by_id(catalogue.read(PRODUCTS_URL))[tea.pk]['unit_price'] == Decimal('4.00')

    def test_patch_title_reorders_the_list(self, catalogue, committed, api_client, staff, mug, tea):
        assert [p['title'] for p in catalogue.warm(PRODUCTS_URL)['results']] == ['Blue Mug', 'Green Tea']
        catalogue.warm(product_url(mug.pk))

        with committed():
            response = api_client.patch(product_url(mug.pk), {'title': 'Yellow Mug'}, format='json')
        assert response.status_code == 200

        assert [p['title'] for p in catalogue.read(PRODUCTS_URL)['results']] == ['Green Tea', 'Yellow Mug']
        assert catalogue.read(product_url(mug.pk))['title'] == 'Yellow Mug'

    def test_put(self, catalogue, committed, api_client, staff, mug, teas):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        payload = {'title': 'Red Mug', 'slug': 'red-mug', 'description': 'Redder', 'inventory': 7,
                   'unit_price': '20.00', 'collection': teas.pk}

        with committed():
            response = api_client.put(product_url(mug.pk), payload, format='json')
        assert response.status_code == 200

        expected = {'id': mug.pk, 'title': 'Red Mug', 'slug': 'red-mug', 'description': 'Redder', 'inventory': 7,
                    'unit_price': Decimal('20.00'), 'price_with_tax': Decimal('22.00'), 'collection': teas.pk,
                    'images': []}
        assert catalogue.read(product_url(mug.pk)) == expected
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk] == expected

    def test_create_grows_the_list_and_the_collection(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.warm(PRODUCTS_URL)['count'] == 1
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1}
        assert catalogue.warm(collection_url(mug.collection_id))['products_count'] == 1

        with committed():
            response = api_client.post(PRODUCTS_URL, {
                'title': 'Black Mug', 'slug': 'black-mug', 'inventory': 3, 'unit_price': '9.00',
                'collection': mug.collection_id}, format='json')
        assert response.status_code == 201

        page = catalogue.read(PRODUCTS_URL)
        assert page['count'] == 2
        assert [p['title'] for p in page['results']] == ['Black Mug', 'Blue Mug']
        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 2}
        assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 2

    def test_delete_shrinks_the_list_and_the_collection(self, catalogue, committed, api_client, staff, mug, tea):
        assert catalogue.warm(PRODUCTS_URL)['count'] == 2
        catalogue.warm(product_url(mug.pk))
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1, 'Teas': 1}

        with committed():
            assert api_client.delete(product_url(mug.pk)).status_code == 204

        page = catalogue.read(PRODUCTS_URL)
        assert (page['count'], [p['id'] for p in page['results']]) == (1, [tea.pk])
        assert catalogue.get(product_url(mug.pk)).status_code == 404
        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 0, 'Teas': 1}

    def test_moving_a_product_to_another_collection(self, catalogue, committed, api_client, staff, mug, teas):
        urls = [COLLECTIONS_URL, collection_url(mug.collection_id), collection_url(teas.pk), product_url(mug.pk),
                f'{PRODUCTS_URL}?collection_id={mug.collection_id}', f'{PRODUCTS_URL}?collection_id={teas.pk}']
        for url in urls:
            catalogue.warm(url)

        with committed():
            response = api_client.patch(product_url(mug.pk), {'collection': teas.pk}, format='json')
        assert response.status_code == 200

        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 0, 'Teas': 1}
        assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 0
        assert catalogue.read(collection_url(teas.pk))['products_count'] == 1
        assert catalogue.read(product_url(mug.pk))['collection'] == teas.pk
        assert catalogue.read(f'{PRODUCTS_URL}?collection_id={mug.collection_id}')['count'] == 0
        assert [p['id'] for p in catalogue.read(f'{PRODUCTS_URL}?collection_id={teas.pk}')['results']] == [mug.pk]

    def test_image_upload_and_delete(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.warm(product_url(mug.pk))['images'] == []
        assert results_by_id(catalogue.warm(PRODUCTS_URL))[mug.pk]['images'] == []

        with committed():
            response = api_client.post(f'{product_url(mug.pk)}images/', {'image': png_file()}, format='multipart')
        assert response.status_code == 201
        image = response.json()

        assert catalogue.read(product_url(mug.pk))['images'] == [image]
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['images'] == [image]
        catalogue.warm(product_url(mug.pk))

        with committed():
            assert api_client.delete(f'{product_url(mug.pk)}images/{image["id"]}/').status_code == 204

        assert catalogue.read(product_url(mug.pk))['images'] == []
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['images'] == []
        assert not ProductImage.objects.exists()


# ---------------------------------------------------------------------------------------- collections

@pytest.mark.django_db
class TestCollectionWrites:
    def test_create(self, catalogue, committed, api_client, staff, mug):
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1}

        with committed():
            response = api_client.post(COLLECTIONS_URL, {'title': 'Bowls'}, format='json')
        assert response.status_code == 201

        assert catalogue.read(COLLECTIONS_URL) == [
            {'id': response.json()['id'], 'title': 'Bowls', 'products_count': 0},
            {'id': mug.collection_id, 'title': 'Mugs', 'products_count': 1},
        ]

    def test_rename(self, catalogue, committed, api_client, staff, mug, tea):
        catalogue.warm(COLLECTIONS_URL)
        catalogue.warm(collection_url(mug.collection_id))

        with committed():
            response = api_client.patch(collection_url(mug.collection_id), {'title': 'Zen Mugs'}, format='json')
        assert response.status_code == 200

        assert [c['title'] for c in catalogue.read(COLLECTIONS_URL)] == ['Teas', 'Zen Mugs']
        assert catalogue.read(collection_url(mug.collection_id)) == {
            'id': mug.collection_id, 'title': 'Zen Mugs', 'products_count': 1}

    def test_delete(self, catalogue, committed, api_client, staff, tea):
        empty = baker.make(Collection, title='Empty')
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Empty': 0, 'Teas': 1}
        catalogue.warm(collection_url(empty.pk))

        with committed():
            assert api_client.delete(collection_url(empty.pk)).status_code == 204

        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Teas': 1}
        assert catalogue.get(collection_url(empty.pk)).status_code == 404


# ---------------------------------------------------------------------------------------- admin, ORM

@pytest.mark.django_db
class TestAdminAndOrmWrites:
    def test_admin_changelist_list_editable_price(self, catalogue, committed, admin_client, mug, tea):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        on_page = list(Product.objects.order_by('title', 'pk'))
        data = {'form-TOTAL_FORMS': str(len(on_page)), 'form-INITIAL_FORMS': str(len(on_page)),
                'form-MIN_NUM_FORMS': '0', 'form-MAX_NUM_FORMS': '1000', '_save': 'Save'}
        for index, product in enumerate(on_page):
            price = '11.25' if product == mug else str(product.unit_price)
            data.update({f'form-{index}-id': str(product.pk), f'form-{index}-unit_price': price})

        with committed():
            response = admin_client.post('/admin/store/product/', data)
        assert response.status_code == 302

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('11.25')
        listed = results_by_id(catalogue.read(PRODUCTS_URL))
        assert (listed[mug.pk]['unit_price'], listed[tea.pk]['unit_price']) == (Decimal('11.25'), Decimal('4.00'))

    def test_orm_save(self, catalogue, committed, mug):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))

        with committed():
            mug.unit_price = Decimal('15.00')
            mug.save()

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('15.00')
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('15.00')

    def test_admin_clear_inventory_action(self, catalogue, committed, admin_client, mug, tea):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        catalogue.warm(product_url(tea.pk))

        with committed():
            response = admin_client.post('/admin/store/product/',
                                         {'action': 'clear_inventory', '_selected_action': [mug.pk]})
        assert response.status_code == 302

        assert catalogue.read(product_url(mug.pk))['inventory'] == 0
        assert catalogue.read(product_url(tea.pk))['inventory'] == 30
        listed = results_by_id(catalogue.read(PRODUCTS_URL))
        assert (listed[mug.pk]['inventory'], listed[tea.pk]['inventory']) == (0, 30)


# -------------------------------------------------------------------------------- inventory via orders

@pytest.mark.django_db
@pytest.mark.usefixtures('no_confirmation_emails')
class TestInventoryThroughOrders:
    @pytest.fixture
    def place_order(self, api_client, authenticate, committed, mug):
        """A customer orders 3 mugs (through the API: cart, item, order) and gets the order's id."""
        def do_place_order():
            authenticate()
            cart_id = api_client.post(CARTS_URL).json()['id']
            assert api_client.post(f'{CARTS_URL}{cart_id}/items/', {'product_id': mug.pk, 'quantity': 3},
                                   format='json').status_code == 201
            with committed():
                response = api_client.post(ORDERS_URL, {'cart_id': cart_id}, format='json')
            assert response.status_code == 201, response.content
            return response.json()['id']
        return do_place_order

    def assert_inventory(self, catalogue, product, inventory):
        assert catalogue.read(product_url(product.pk))['inventory'] == inventory
        assert results_by_id(catalogue.read(PRODUCTS_URL))[product.pk]['inventory'] == inventory

    def test_placing_an_order(self, catalogue, place_order, mug):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))

        place_order()

        self.assert_inventory(catalogue, mug, 17)

    def test_cancelling_an_order(self, catalogue, committed, api_client, place_order, mug):
        order_id = place_order()
        catalogue.warm(PRODUCTS_URL)
        assert catalogue.warm(product_url(mug.pk))['inventory'] == 17

        with committed():
            response = api_client.post(f'{ORDERS_URL}{order_id}/cancel/')
        assert response.status_code == 200, response.content

        self.assert_inventory(catalogue, mug, 20)

    def test_staff_deleting_an_order(self, catalogue, committed, api_client, authenticate, place_order, mug):
        order_id = place_order()
        catalogue.warm(PRODUCTS_URL)
        assert catalogue.warm(product_url(mug.pk))['inventory'] == 17
        authenticate(is_staff=True)

        with committed():
            assert api_client.delete(f'{ORDERS_URL}{order_id}/').status_code == 204

        assert not Order.objects.exists()
        self.assert_inventory(catalogue, mug, 20)


# ---------------------------------------------------------------------------------------------- seed_db

@pytest.mark.django_db
def test_seed_db_on_an_empty_database(catalogue, committed):
    assert catalogue.warm(PRODUCTS_URL)['count'] == 0
    assert catalogue.warm(COLLECTIONS_URL) == []

    with committed():
        call_command('seed_db', stdout=io.StringIO(), stderr=io.StringIO())

    assert Product.objects.exists()
    assert catalogue.read(PRODUCTS_URL)['count'] == Product.objects.count()
    collections = catalogue.read(COLLECTIONS_URL)
    assert counts_by_title(collections) == {
        collection.title: collection.products.count() for collection in Collection.objects.all()}
    assert sum(counts_by_title(collections).values()) == Product.objects.count()


# ----------------------------------------------------------------------------------------- real commits

@pytest.mark.django_db(transaction=True)
def test_real_commits_bump_the_version_end_to_end(catalogue, api_client, staff):
    mug = baker.make(Product, title='Blue Mug', unit_price=Decimal('10.00'), inventory=20,
                     collection=baker.make(Collection, title='Mugs'))
    catalogue.warm(PRODUCTS_URL)
    catalogue.warm(product_url(mug.pk))
    catalogue.warm(COLLECTIONS_URL)

    assert api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json').status_code == 200
    assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('12.50')
    assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('12.50')
    catalogue.warm(product_url(mug.pk))

    response = api_client.post(COLLECTIONS_URL, {'title': 'Bowls'}, format='json')
    assert response.status_code == 201
    assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Bowls': 0, 'Mugs': 1}

    assert api_client.delete(product_url(mug.pk)).status_code == 204
    assert catalogue.get(product_url(mug.pk)).status_code == 404
    assert catalogue.read(PRODUCTS_URL)['count'] == 0
    assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Bowls': 0, 'Mugs': 0}


# ----------------------------------------------------------------------------------------- Redis down

@pytest.fixture
def redis_down(settings):
    """The cache is a Redis server that does not answer; errors are ignored (DJANGO_REDIS_IGNORE_EXCEPTIONS)."""
    settings.CACHES = DOWN_REDIS_CACHES
    from django_redis.cache import RedisCache

    # Django resets its cache handler when CACHES changes: the shared `cache` proxy now uses the dead server.
    assert isinstance(caches['default'], RedisCache)
    assert cache._server == DOWN_REDIS_CACHES['default']['LOCATION']
    cache.set('probe', 'value')
    assert cache.get('probe') is None


@pytest.mark.django_db
@pytest.mark.usefixtures('redis_down', 'no_confirmation_emails')
class TestRedisDown:
    def test_the_catalogue_is_served_from_the_database(self, catalogue, mug, tea):
        for _ in range(2):
            page = catalogue.read(PRODUCTS_URL)
            assert (page['count'], [p['title'] for p in page['results']]) == (2, ['Blue Mug', 'Green Tea'])
            detail = catalogue.read(product_url(mug.pk))
            assert (detail['title'], detail['unit_price'], detail['inventory']) == ('Blue Mug', Decimal('10.00'), 20)
            assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 1, 'Teas': 1}
            assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 1

    def test_a_price_change_is_visible_at_once(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('10.00')

        with committed():
            response = api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json')
        assert response.status_code == 200

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('12.50')
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('12.50')

    def test_cart_item_and_order(self, catalogue, committed, api_client, authenticate, mug):
        authenticate()
        response = api_client.post(CARTS_URL)
        assert response.status_code == 201
        cart_id = response.json()['id']
        response = api_client.post(f'{CARTS_URL}{cart_id}/items/', {'product_id': mug.pk, 'quantity': 3},
                                   format='json')
        assert response.status_code == 201
        cart = api_client.get(f'{CARTS_URL}{cart_id}/').json()
        assert ([(item['product']['id'], item['quantity']) for item in cart['items']],
                Decimal(str(cart['total_price']))) == ([(mug.pk, 3)], Decimal('30.00'))

        with committed():
            response = api_client.post(ORDERS_URL, {'cart_id': cart_id}, format='json')

        assert response.status_code == 201, response.content
        assert [(item['product']['id'], item['quantity']) for item in response.json()['items']] == [(mug.pk, 3)]
        assert not Cart.objects.filter(pk=cart_id).exists()
        assert catalogue.read(product_url(mug.pk))['inventory'] == 17

    def test_health_reports_the_cache_unavailable(self, client):
        response = client.get('/healthz/')

        assert response.status_code == 200
        assert response.json() == {'status': 'degraded', 'database': 'ok', 'cache': 'unavailable'}
