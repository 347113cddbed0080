"""Which requests the catalogue cache serves: decided by URL names, from the URLconf, in store.caching."""
import pytest
from django.urls import get_resolver, reverse

from store.caching import CACHED_ROUTE_NAMES, cached_route_patterns, is_cached_path


def test_the_cached_routes_are_the_product_and_collection_lists_and_details():
    assert len(cached_route_patterns(get_resolver())) == len(CACHED_ROUTE_NAMES) == 4


@pytest.mark.parametrize('name, kwargs', [
    ('products-list', {}), ('products-detail', {'pk': 7}), ('collection-list', {}), ('collection-detail', {'pk': 3}),
])
def test_every_cached_route_is_recognised_by_its_path(name, kwargs):
    assert is_cached_path(reverse(name, kwargs=kwargs))


@pytest.mark.parametrize('path', [
    '/store/products/abc/',             # not an id: the view answers 404
    '/store/products.json',             # format suffixes go through DRF
    '/store/products/1/reviews/',
    '/store/carts/',
    '/store/',
])
def test_other_paths_are_not(path):
    assert not is_cached_path(path)
