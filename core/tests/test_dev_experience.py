"""The first hour's details: favicon, the schema in a browser, operation titles, offline docs pages,
the browsable API's names and filters, in-process tasks without broker warnings, logs printed once."""
import logging
import re

import pytest
from django.conf import settings

from storefront.settings.common import logging_config

BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'


@pytest.fixture
def operations(client):
    paths = client.get('/api/schema/', HTTP_ACCEPT='application/json').json()['paths']
    return {(method.upper(), path): operation for path, methods in paths.items() for method, operation in methods.items()}


@pytest.mark.django_db
class TestFavicon:
    def test_favicon_ico_redirects_to_the_static_icon(self, client):
        response = client.get('/favicon.ico')
        assert response.status_code == 301
        assert response['Location'] == '/static/core/favicon.ico'

    def test_the_icon_is_served_as_an_ico_file(self, client):
        response = client.get('/static/core/favicon.ico')
        assert response.status_code == 200
        assert b''.join(response.streaming_content)[:4] == b'\x00\x00\x01\x00'  # the ICO header

    @pytest.mark.parametrize('url', ['/', '/api/redoc/', '/api/schema/', '/admin/login/'])
    def test_html_pages_link_the_icon(self, client, url):
        response = client.get(url, HTTP_ACCEPT='text/html')
        assert response.status_code == 200
        assert 'href="/static/core/favicon.ico"' in response.content.decode()

    def test_the_browsable_api_links_the_icon(self, api_client):
        response = api_client.get('/store/collections/', HTTP_ACCEPT='text/html')
        assert 'href="/static/core/favicon.ico"' in response.content.decode()


@pytest.mark.django_db
class TestSchemaInABrowser:
    @pytest.mark.parametrize('accept', ['text/html', BROWSER_ACCEPT])
    def test_a_browser_gets_a_page_with_the_schema(self, client, accept):
        response = client.get('/api/schema/', HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response['Content-Type'] == 'text/html; charset=utf-8'
        html = response.content.decode()
        assert 'openapi: 3.0.3' in html
        assert 'href="/api/docs/"' in html and 'href="/api/redoc/"' in html

    def test_the_page_escapes_the_schema(self, client):
        html = client.get('/api/schema/', HTTP_ACCEPT='text/html').content.decode()
        assert '`Authorization: JWT &lt;access token&gt;`' in html

    @pytest.mark.parametrize('accept, content_type', [
        ('*/*', 'application/vnd.oai.openapi; charset=utf-8'),
        ('application/json', 'application/json'),
        ('application/yaml', 'application/yaml; charset=utf-8'),
    ])
    def test_other_clients_still_get_yaml_or_json(self, client, accept, content_type):
        response = client.get('/api/schema/', HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response['Content-Type'] == content_type


@pytest.mark.django_db
class TestOperationTitles:
    def test_every_operation_has_a_title_in_words(self, operations):
        for key, operation in operations.items():
            summary = operation.get('summary', '')
            assert re.fullmatch(r"[A-Z][A-Za-z' :,.-]+", summary), (key, summary)
            assert operation['operationId'] != summary

    @pytest.mark.parametrize('method, path, summary', [
        ('POST', '/store/carts/', 'Create a cart'),
        ('GET', '/store/products/', 'List products'),
        ('GET', '/store/products/{id}/', 'Retrieve a product'),
        ('PATCH', '/store/carts/{cart_pk}/items/{id}/', 'Partially update a cart item'),
        ('DELETE', '/store/collections/{id}/', 'Delete a collection'),
        ('POST', '/store/orders/', 'Create an order'),
        ('POST', '/store/orders/{id}/cancel/', 'Cancel an order'),
        ('GET', '/store/customers/me/', 'Retrieve your customer profile'),
        ('POST', '/auth/users/', 'Create a user'),
        ('DELETE', '/auth/users/me/', 'Delete your account'),
        ('POST', '/auth/jwt/create/', 'Log in: create a JWT access and refresh token'),
        ('POST', '/store/products/{product_pk}/likes/', 'Like the product'),
    ])
    def test_titles_name_the_action_and_the_resource(self, operations, method, path, summary):
        assert operations[(method, path)]['summary'] == summary


@pytest.mark.django_db
class TestDocsPagesAreSelfContained:
    @pytest.mark.parametrize('url', ['/api/docs/', '/api/redoc/', '/api/schema/', '/'])
    def test_no_asset_comes_from_another_host(self, client, url):
        html = client.get(url, HTTP_ACCEPT='text/html').content.decode()
        assert not re.search(r'''(src|href)=["']?(https?:)?//''', html), url
        assert 'googleapis' not in html and 'gstatic' not in html


@pytest.mark.django_db
class TestBrowsableApi:
    def test_the_product_list_is_titled_product_list(self, api_client):
        html = api_client.get('/store/products/', HTTP_ACCEPT='text/html').content.decode()
        assert '<title>Product List – Storefront API</title>' in html
        assert '<h1>Product List</h1>' in html
        assert 'Tagged' not in html

    def test_a_product_is_titled_product_instance(self, api_client):
        from model_bakery import baker

        from store.models import Product
        product = baker.make(Product)
        html = api_client.get(f'/store/products/{product.id}/', HTTP_ACCEPT='text/html').content.decode()
        assert '<h1>Product Instance</h1>' in html

    def test_the_brand_says_storefront(self, api_client):
        html = api_client.get('/store/', HTTP_ACCEPT='text/html').content.decode()
        assert '<a class="navbar-brand" href="/">Storefront API</a>' in html
        assert 'Django REST framework</a>' not in html

    def test_the_filters_dialog_has_the_tag_filter(self, api_client):
        html = api_client.get('/store/products/?tag=Bestseller', HTTP_ACCEPT='text/html').content.decode()
        assert 'id="filtersModal"' in html
        assert re.search(r'<input type="text" class="form-control"[^>]* name="tag" value="Bestseller"', html)
        assert 'Filter by tag' in html

    def test_the_carts_link_explains_carts_and_offers_the_create_form(self, api_client):
        response = api_client.get('/store/carts/', HTTP_ACCEPT='text/html')
        html = response.content.decode()
        assert response.status_code == 405  # carts are never listed
        assert 'POST here (no body needed) to create one' in html
        assert '<form action="/store/carts/" method="POST"' in html

    def test_json_clients_still_get_405_for_the_cart_list(self, api_client):
        response = api_client.get('/store/carts/')
        assert response.status_code == 405
        assert response.json() == {'detail': 'Method "GET" not allowed.'}


@pytest.mark.django_db
class TestInProcessTasks:
    def test_no_broker_warning_when_a_task_runs_in_process(self, caplog, mailoutbox):
        from store.tasks import notify_customers
        assert settings.CELERY_TASK_ALWAYS_EAGER or settings.REDIS_URL

        with caplog.at_level(logging.WARNING):
            notify_customers.delay('Hello')

        assert not [record for record in caplog.records if record.name.startswith('kombu')]
        assert not any('No hostname was supplied' in record.getMessage() for record in caplog.records)

    def test_the_in_process_broker_names_a_host(self):
        if not settings.REDIS_URL:
            assert settings.CELERY_BROKER_URL == 'memory://localhost/'


class TestLogging:
    def test_django_records_reach_the_console_once(self):
        config = logging_config('INFO')
        assert config['root']['handlers'] == ['console']
        assert config['loggers']['django'] == {'handlers': ['mail_admins'], 'level': 'INFO', 'propagate': True}

    def test_errors_are_still_mailed_to_admins_when_debug_is_off(self):
        config = logging_config('INFO', '/tmp/storefront-test.log')
        assert config['handlers']['mail_admins']['filters'] == ['require_debug_false']
        assert config['root']['handlers'] == ['console', 'file']
