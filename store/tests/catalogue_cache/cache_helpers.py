"""URLs, readers and the JSON catalogue client shared by the catalogue cache tests."""
import json
from decimal import Decimal

from rest_framework.test import APIClient

PRODUCTS_URL = '/store/products/'
COLLECTIONS_URL = '/store/collections/'
CARTS_URL = '/store/carts/'
ORDERS_URL = '/store/orders/'

# A page served from the cache costs the catalogue version's lookup, nothing else.
CACHED_READ_QUERIES = 1
JSON = 'application/json'


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
