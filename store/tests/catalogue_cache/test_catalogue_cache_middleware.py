"""The catalogue cache middleware (store.caching.CatalogueCacheMiddleware): anonymous JSON GETs of cached
product and collection pages are answered before sessions, auth and DRF, with the headers of the miss that
filled the cache."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from store.caching import CatalogueCacheMiddleware
from store.models import Review

from ..test_reviews import REVIEW_LIST_MAX_QUERIES
from .cache_helpers import CACHED_READ_QUERIES, COLLECTIONS_URL, JSON, PRODUCTS_URL, body, collection_url, product_url


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
        # Rendered from the rows (HTML is never cached; the middleware no longer reads the version for it).
        table = 'store_product' if route.startswith('product') else 'store_collection'
        assert any(f'FROM "{table}"' in query['sql'] or f'FROM `{table}`' in query['sql'] for query in queries)
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
