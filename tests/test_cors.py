"""CORS (django-cors-headers): only the listed origins may call the API from a browser."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from model_bakery import baker

from store.models import Product

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRODUCTS_URL = '/store/products/'
CLIENT_ORIGIN = 'http://localhost:8001'
COURSE_CLIENT_ORIGINS = ['http://localhost:8001', 'http://127.0.0.1:8001']


@pytest.fixture(autouse=True)
def allowed_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = COURSE_CLIENT_ORIGINS


def preflight(client, origin, method='POST', headers='authorization, content-type'):
    return client.options(PRODUCTS_URL, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers)


def header_values(response, name):
    return {value.strip().lower() for value in response[name].split(',')}


@pytest.mark.django_db
class TestCors:
    @pytest.mark.parametrize('origin', COURSE_CLIENT_ORIGINS)
    def test_preflight_from_an_allowed_origin(self, client, origin):
        response = preflight(client, origin)

        assert response.status_code == 200
        assert response['Access-Control-Allow-Origin'] == origin
        assert 'post' in header_values(response, 'Access-Control-Allow-Methods')
        assert {'authorization', 'content-type'} <= header_values(response, 'Access-Control-Allow-Headers')

    def test_simple_get_from_an_allowed_origin(self, client):
        baker.make(Product, title='Blue Mug', unit_price=10, inventory=1)

        response = client.get(PRODUCTS_URL, HTTP_ORIGIN=CLIENT_ORIGIN)

        assert response.status_code == 200
        assert response['Access-Control-Allow-Origin'] == CLIENT_ORIGIN
        assert response.json()['count'] == 1

    def test_a_cached_catalogue_page_carries_the_header_too(self, client, django_assert_num_queries):
        client.get(PRODUCTS_URL, HTTP_ORIGIN='http://127.0.0.1:8001')

        with django_assert_num_queries(1):  # the catalogue version: the page itself comes from the cache
            response = client.get(PRODUCTS_URL, HTTP_ORIGIN=CLIENT_ORIGIN)

        assert response['Access-Control-Allow-Origin'] == CLIENT_ORIGIN

    def test_preflight_from_an_unlisted_origin_is_not_allowed(self, client):
        response = preflight(client, 'http://evil.example')

        assert 'Access-Control-Allow-Origin' not in response

    def test_get_from_an_unlisted_origin_has_no_allow_origin(self, client):
        response = client.get(PRODUCTS_URL, HTTP_ORIGIN='http://evil.example')

        assert response.status_code == 200
        assert 'Access-Control-Allow-Origin' not in response

    def test_a_lookalike_origin_is_not_allowed(self, client):
        for origin in ('http://localhost:8002', 'https://localhost:8001', 'http://localhost:8001.evil.example'):
            assert 'Access-Control-Allow-Origin' not in client.get(PRODUCTS_URL, HTTP_ORIGIN=origin)


PRINT_ORIGINS = ('import django; django.setup(); from django.conf import settings; '
                 'print(repr(settings.CORS_ALLOWED_ORIGINS))')


def allowed_origins_with(module, **environment):
    """CORS_ALLOWED_ORIGINS of a settings module imported in a clean process with only this environment.

    An empty CORS_ALLOWED_ORIGINS counts as unset, and load_dotenv never overrides a variable that is
    set, so a developer's .env cannot change the default that is being checked.
    """
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, 'CORS_ALLOWED_ORIGINS': '', **environment}
    result = subprocess.run([sys.executable, '-c', PRINT_ORIGINS], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())


def test_dev_allows_the_course_client_by_default():
    assert set(COURSE_CLIENT_ORIGINS) <= set(allowed_origins_with('storefront.settings.dev'))


def test_dev_origins_come_from_the_environment_when_set():
    origins = allowed_origins_with('storefront.settings.dev',
                                   CORS_ALLOWED_ORIGINS='https://shop.example, https://admin.shop.example')

    assert origins == ['https://shop.example', 'https://admin.shop.example']


@pytest.mark.django_db
class TestIdempotentCheckoutFromABrowser:
    def test_cors_preflight_allows_the_idempotency_key_header(self, client):
        response = client.options('/store/orders/', HTTP_ORIGIN=CLIENT_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD='POST',
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS='authorization, content-type, idempotency-key')

        assert response.status_code == 200
        assert response['Access-Control-Allow-Origin'] == CLIENT_ORIGIN
        assert {'authorization', 'content-type', 'idempotency-key'} <= header_values(
            response, 'Access-Control-Allow-Headers')

    def test_the_idempotent_replayed_header_is_exposed(self, client):
        response = client.get(PRODUCTS_URL, HTTP_ORIGIN=CLIENT_ORIGIN)

        assert header_values(response, 'Access-Control-Expose-Headers') == {'idempotent-replayed'}
