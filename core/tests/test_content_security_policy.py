"""HTML pages send a Content-Security-Policy (django-csp) that they satisfy: only this site's scripts and
styles, and inline ones only with the response's nonce. Chromium checks the pages really run under it
(tests/test_browser_e2e.py, and tests/test_dev_server.py with the debug toolbar)."""
import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

HTML_PAGES = ['/', '/admin/login/', '/store/products/', '/api/schema/', '/api/docs/', '/api/redoc/']


def directives(response):
    policy = response['Content-Security-Policy']
    return {name: values for name, *values in (part.split() for part in policy.split(';'))}


def nonce_of(response):
    sources = [source for source in directives(response)['script-src'] if source.startswith("'nonce-")]
    return sources[0].removeprefix("'nonce-").removesuffix("'") if sources else None


@pytest.mark.parametrize('url', HTML_PAGES)
def test_html_pages_send_a_policy_that_runs_only_this_sites_scripts(client, url):
    response = client.get(url, HTTP_ACCEPT='text/html')

    assert response.status_code == 200
    policy = directives(response)
    assert policy['default-src'] == ["'self'"]
    assert policy['script-src'][0] == "'self'" and "'unsafe-inline'" not in policy['script-src']
    assert "'unsafe-eval'" not in response['Content-Security-Policy']
    assert policy['object-src'] == ["'none'"]
    assert policy['frame-ancestors'] == ["'none'"]
    assert policy['form-action'] == ["'self'"]


@pytest.mark.parametrize('url', HTML_PAGES)
def test_every_inline_script_and_style_carries_the_responses_nonce(client, url):
    response = client.get(url, HTTP_ACCEPT='text/html')
    html = response.content.decode()
    nonce = nonce_of(response)

    # A JSON data block (DRF's CSRF settings) is not run, so it needs no nonce.
    inline_scripts = [tag for tag in re.findall(r'<script\b[^>]*>', html)
                      if 'src=' not in tag and 'type="application/json"' not in tag]
    inline_styles = re.findall(r'<style\b[^>]*>', html)
    if url == '/api/redoc/':  # its bundle writes <style> elements itself: its policy allows inline styles
        inline_styles = []
    for tag in inline_scripts + inline_styles:
        assert nonce is not None and f'nonce="{nonce}"' in tag, tag


def test_each_response_has_a_new_nonce(client):
    first, second = (nonce_of(client.get('/api/docs/')) for _ in range(2))

    assert first and second and first != second


def test_swagger_ui_runs_its_start_up_script_from_this_site(client):
    page = client.get('/api/docs/').content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?script=[^"]*)"', page).group(1)

    script = client.get(script_url)

    assert script.status_code == 200
    assert script['Content-Type'].startswith('application/javascript')
    assert 'SwaggerUIBundle' in script.content.decode()


def test_redoc_may_style_itself_inline_and_load_images_only_from_this_site(client):
    # Its bundle always asks a CDN for the Redocly logo: the policy keeps the browser from sending that.
    policy = directives(client.get('/api/redoc/'))

    assert policy['style-src'] == ["'self'", "'unsafe-inline'"]
    assert policy['worker-src'] == ["'self'", 'blob:']
    assert policy['img-src'] == ["'self'", 'data:']


@pytest.mark.parametrize('url', ['/store/products/', '/store/collections/', '/healthz/', '/api/schema/?format=json'])
def test_json_responses_go_without_the_header(client, url):
    response = client.get(url, HTTP_ACCEPT='application/json')

    assert response.status_code == 200
    assert 'Content-Security-Policy' not in response


def test_the_browsable_api_gets_the_policy_on_an_error_page_too(client):
    response = client.get('/store/products/999999/', HTTP_ACCEPT='text/html')

    assert response.status_code == 404
    assert directives(response)['script-src'] == ["'self'"]


def test_the_policy_middleware_comes_after_the_catalogue_cache():
    # Cached catalogue answers are JSON: they return before the policy middleware is reached.
    middleware = settings.MIDDLEWARE
    assert middleware.index('core.middleware.ContentSecurityPolicyMiddleware') > middleware.index(
        'store.caching.CatalogueCacheMiddleware')
