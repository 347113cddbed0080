"""The cache key is normalised: known query parameters only, sorted, and the rendering rather than the
Accept header as sent, so the catalogue cache cannot be flooded with new entries."""
import pytest
from django.core.cache import cache

from .cache_helpers import CACHED_READ_QUERIES, PRODUCTS_URL, product_url


def entries():
    """How many entries the default cache holds: Redis (each test worker has a database of its own, the
    throttle counters under their own prefix) or the local-memory cache."""
    return len(cache.keys('*')) if hasattr(cache, 'keys') else len(cache._cache)


@pytest.mark.django_db
class TestCatalogueCacheKeys:
    def test_the_catalogue_cache_is_not_flooded_by_unknown_query_parameters(self, catalogue, mug):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        filed = entries()

        for n in range(20):
            with catalogue.assert_num_queries(CACHED_READ_QUERIES):
                assert catalogue.get(f'{PRODUCTS_URL}?junk={n}').status_code == 200
            with catalogue.assert_num_queries(CACHED_READ_QUERIES):
                assert catalogue.get(f'{product_url(mug.pk)}?_={n}').status_code == 200

        assert entries() == filed

    def test_a_request_with_unknown_parameters_files_no_entry(self, catalogue, mug):
        assert catalogue.get(f'{PRODUCTS_URL}?junk=1').status_code == 200
        assert catalogue.get(f'{PRODUCTS_URL}?junk=2').status_code == 200

        assert entries() <= 1  # at most the row count, never a page
        first = catalogue.get(PRODUCTS_URL)  # still a miss: it renders, and files the canonical page
        assert first.status_code == 200
        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            assert catalogue.get(f'{PRODUCTS_URL}?junk=3').content == first.content

    def test_parameter_order_shares_one_entry(self, catalogue, mug):
        first = catalogue.get(f'{PRODUCTS_URL}?page_size=5&ordering=unit_price')
        filed = entries()

        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            again = catalogue.get(f'{PRODUCTS_URL}?ordering=unit_price&page_size=5')

        assert again.content == first.content
        assert entries() == filed

    @pytest.mark.parametrize('accept', ['*/*', 'application/json', 'application/json, text/plain;q=0.5',
                                        'application/*', 'text/plain, */*;q=0.1'])
    def test_accept_headers_that_mean_json_share_one_entry(self, catalogue, mug, accept):
        page = catalogue.warm(PRODUCTS_URL)
        filed = entries()

        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            response = catalogue.client.get(PRODUCTS_URL, HTTP_ACCEPT=accept)

        assert response.status_code == 200
        assert response.json()['count'] == page['count']
        assert entries() == filed

    def test_an_indented_rendering_is_its_own_entry(self, catalogue, mug):
        compact = catalogue.warm(PRODUCTS_URL)

        indented = catalogue.client.get(PRODUCTS_URL, HTTP_ACCEPT='application/json; indent=4')
        with catalogue.assert_num_queries(CACHED_READ_QUERIES):
            again = catalogue.client.get(PRODUCTS_URL, HTTP_ACCEPT='application/json; indent=4')

        assert indented.content.startswith(b'{\n    "count"')
        assert again.content == indented.content
        assert again.json()['count'] == compact['count']
