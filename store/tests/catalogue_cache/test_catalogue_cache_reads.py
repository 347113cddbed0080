"""What the catalogue cache serves: a cached page keeps its status, type and body, each query string and
filter is its own entry, the browsable API bypasses it; listings count their rows once per version; errors
are never cached."""
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from store.caching import catalogue_version
from store.models import Product

from .cache_helpers import CACHED_READ_QUERIES, COLLECTIONS_URL, JSON, PRODUCTS_URL, body, collection_url, product_url

PAGE_SIZE = 10


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
