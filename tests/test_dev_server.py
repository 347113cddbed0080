"""The development server as `serve` runs it (dev settings: debug toolbar, Silk, console logging),
started in its own process on a scratch SQLite database and driven over HTTP (and in Chromium when
Debian's chromium package is installed)."""
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from .servers import PROJECT_ROOT, free_port, running

CHROMIUM = os.environ.get('CHROMIUM_PATH') or shutil.which('chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope='module')
def dev_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp('dev-server')
    env = {'PATH': os.environ['PATH'], 'HOME': os.environ.get('HOME', str(directory)),
           'DJANGO_SETTINGS_MODULE': 'storefront.settings.dev',
           'DATABASE_URL': f'sqlite:///{directory}/db.sqlite3', 'MEDIA_ROOT': str(directory / 'media')}
    manage = [sys.executable, 'manage.py']
    for command in (['migrate', '--no-input', '-v0'], ['create_demo_staff']):
        subprocess.run([*manage, *command], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=180)
    url = f'http://127.0.0.1:{free_port()}'
    log_path = directory / 'server.log'
    with running([*manage, 'runserver', '--noreload', url.removeprefix('http://')], env=env, url=url,
                 log_path=log_path, name='The development server'):
        yield SimpleNamespace(url=url, log_path=log_path)


def staff_opener(url):
    """An opener whose cookies hold the demo staff's admin session."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    html = opener.open(f'{url}/admin/login/', timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({'csrfmiddlewaretoken': token, 'username': 'admin', 'password': 'admin', 'next': '/admin/'})
    response = opener.open(urllib.request.Request(f'{url}/admin/login/', data=body.encode()), timeout=30)
    assert response.url == f'{url}/admin/'
    return opener


class TestSilk:
    def test_sends_a_visitor_who_is_not_logged_in_to_the_admin_login(self, dev_server):
        opener = urllib.request.build_opener(NoRedirects)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f'{dev_server.url}/silk/', timeout=30)
        assert redirect.value.code == 302
        assert redirect.value.headers['Location'] == '/admin/login/?next=/silk/'

    def test_opens_for_staff(self, dev_server):
        response = staff_opener(dev_server.url).open(f'{dev_server.url}/silk/', timeout=30)
        assert response.status == 200
        assert b'Silk' in response.read()


class TestDebugToolbar:
    def test_starts_collapsed_and_keeps_the_page_clear_of_its_handle(self, dev_server):
        request = urllib.request.Request(f'{dev_server.url}/store/products/', headers={'Accept': 'text/html'})
        html = urllib.request.urlopen(request, timeout=30).read().decode()
        assert 'id="djDebug"' in html
        assert 'data-default-show="false"' in html
        assert '/static/core/debug_toolbar_margin.js' in html


class TestDeeplyNestedJson:
    """Under the dev settings too (the toolbar and Silk read bodies after the view): a 400, not a 500."""

    @pytest.mark.parametrize('path', ['/store/carts/', '/auth/jwt/create/'])
    def test_deeply_nested_json_is_a_400_under_the_dev_settings(self, dev_server, path):
        request = urllib.request.Request(f'{dev_server.url}{path}', data=b'[' * 2000 + b']' * 2000, method='POST',
                                         headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400
        assert json.loads(refused.value.read()) == {'detail': 'JSON parse error - the document is nested too deeply.'}


class TestLogging:
    def test_each_record_is_printed_once(self, dev_server):
        missing = f'/no-such-page-{time.monotonic_ns()}/'
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(f'{dev_server.url}{missing}', timeout=30)
        assert not_found.value.code == 404
        deadline = time.monotonic() + 10
        while f'"GET {missing} HTTP/1.1" 404' not in dev_server.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = dev_server.log_path.read_text()
        assert log.count(f'Not Found: {missing}') == 1
        assert log.count(f'"GET {missing} HTTP/1.1" 404') == 1


def overlapping(box, other):
    return (box['x'] < other['x'] + other['width'] and other['x'] < box['x'] + box['width']
            and box['y'] < other['y'] + other['height'] and other['y'] < box['y'] + box['height'])


HANDLE_BOX = """() => {
    const root = document.getElementById('djDebugRoot');
    const handle = (root.shadowRoot || document).getElementById('djDebugToolbarHandle');
    const box = handle.getBoundingClientRect();
    return {x: box.x, y: box.y, width: box.width, height: box.height};
}"""
CONTROL_BOXES = """selector => [...document.querySelectorAll(selector)]
    .map(element => element.getBoundingClientRect())
    .filter(box => box.width > 0 && box.height > 0)
    .map(box => ({x: box.x, y: box.y, width: box.width, height: box.height}))"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")
@pytest.mark.parametrize('path, controls, screenshot', [
    ('/admin/store/product/', '#changelist-filter, #changelist-filter a, .object-tools a, #toolbar input', 'dev-admin-products'),
    ('/admin/store/order/', '#changelist-filter, #changelist-filter a, .object-tools a, #toolbar input', 'dev-admin-orders'),
    ('/store/products/', '.btn, button, .button-form', 'dev-browsable-products'),
    ('/store/carts/', '.btn, button, .button-form', 'dev-browsable-carts'),
])
def test_the_toolbar_handle_covers_no_filter_or_button_and_the_pages_satisfy_their_policy(dev_server, monkeypatch, path, controls, screenshot):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv('DJANGO_ALLOW_ASYNC_UNSAFE', 'true')
    screenshots = Path(os.environ.get('BROWSER_SCREENSHOTS_DIR') or dev_server.log_path.parent)
    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 800})
        policy_violations = []  # Chromium reports each refusal of the Content-Security-Policy on the console
        page.on('console', lambda message: policy_violations.append(message.text)
                if 'Content Security Policy' in message.text else None)
        page.goto(f'{dev_server.url}/admin/login/?next=/admin/')
        page.fill('#id_username', 'admin')
        page.fill('#id_password', 'admin')
        page.click('input[type=submit]')
        page.wait_for_selector('#site-name')

        page.goto(f'{dev_server.url}{path}')
        page.wait_for_function("document.body.style.marginRight !== ''")
        handle = page.evaluate(HANDLE_BOX)
        boxes = page.evaluate(CONTROL_BOXES, controls)
        for scrolled in (0, 400):  # the handle is fixed; the page moves under it
            page.evaluate(f'window.scrollTo(0, {scrolled})')
            boxes += page.evaluate(CONTROL_BOXES, controls)
        page.screenshot(path=screenshots / f'{screenshot}.png')
        # Open the toolbar and its SQL panel: the panel's content arrives and runs under the page's policy.
        page.click('#djShowToolBarButton')
        page.click('#djdt-SQLPanel a.SQLPanel')
        page.wait_for_selector('#SQLPanel .djdt-scroll > *')
        page.screenshot(path=screenshots / f'{screenshot}-sql-panel.png')
        browser.close()

    assert handle['width'] > 0 and boxes
    assert [box for box in boxes if overlapping(handle, box)] == []
    assert policy_violations == []
