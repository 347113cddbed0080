"""End to end in a real browser (headless Chromium driven by Playwright) against a live server.

Needs Debian's `chromium` package; without it these tests skip (the README's test command still
passes) and `.ci/run` installs it and runs them. Screenshots of each step go to
$BROWSER_SCREENSHOTS_DIR (the CI log dir in .ci/run), else to the test's temporary directory.
"""
import io
import os
import re
import shutil
import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from PIL import Image

from store.models import Cart, Collection, Order, Product, ProductImage

CHROMIUM = os.environ.get('CHROMIUM_PATH') or shutil.which('chromium')
CLIENT_DIR = Path(__file__).parent / 'browser_client'
# The flags this sandbox needs: no sandbox as root, and no background calls to the closed network.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it and runs these")


@pytest.fixture
def screenshots(tmp_path):
    directory = Path(os.environ.get('BROWSER_SCREENSHOTS_DIR') or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv('DJANGO_ALLOW_ASYNC_UNSAFE', 'true')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # While Playwright's event loop runs, Django keeps the test's database connections apart from the
        # ones outside it, so the test database's teardown would not close them: PostgreSQL then refuses
        # to drop a database with sessions still open.
        connections.close_all()


@pytest.fixture
def policy_violations(page):
    """What the pages' Content-Security-Policy refused: Chromium reports each refusal on the console."""
    violations = []
    page.on('console', lambda message: violations.append(message.text)
            if 'Content Security Policy' in message.text else None)
    return violations


@pytest.fixture
def client_origin():
    """The course's client app stands in: a static page served from another origin."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), partial(SimpleHTTPRequestHandler, directory=str(CLIENT_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_port}'
    server.shutdown()
    server.server_close()


def test_staff_create_a_product_with_an_image_and_see_its_thumbnail(
        live_server, page, screenshots, tmp_path, django_user_model):
    django_user_model.objects.create_user(
        username='staff', email='staff@example.com', password='Staff-pass-42', is_staff=True, is_superuser=True)
    Collection.objects.create(title='Garden')
    image_path = tmp_path / 'lamp.png'
    Image.new('RGB', (64, 64), (30, 200, 170)).save(image_path)

    page.goto(f'{live_server.url}/admin/login/?next=/admin/')
    page.fill('#id_username', 'staff')
    page.fill('#id_password', 'Staff-pass-42')
    page.click('input[type=submit]')
    page.wait_for_selector('#site-name')
    assert 'Admin Dashboard' in page.title()
    page.screenshot(path=screenshots / 'admin-1-dashboard.png', full_page=True)

    page.goto(f'{live_server.url}/admin/store/product/add/')
    page.locator('#id_title').press_sequentially('Browser Garden Lamp')  # typed, so the slug fills itself
    assert page.input_value('#id_slug') == 'browser-garden-lamp'
    page.fill('#id_unit_price', '25.50')
    page.fill('#id_inventory', '7')
    page.click('#id_collection + .select2 .select2-selection')
    page.fill('.select2-search__field', 'Gard')
    page.click('.select2-results__option >> text=Garden')
    page.click('#images-group .add-row a')
    page.set_input_files('input[name="images-0-image"]', str(image_path))
    page.screenshot(path=screenshots / 'admin-2-add-product.png', full_page=True)
    page.click('input[name="_save"]')

    page.wait_for_selector('#result_list')
    thumbnail = page.locator('#result_list img.thumbnail')
    assert thumbnail.count() == 1
    assert '/media/store/images/lamp' in thumbnail.get_attribute('src')
    assert page.evaluate('img => img.naturalWidth', thumbnail.element_handle()) == 64
    page.screenshot(path=screenshots / 'admin-3-changelist-thumbnail.png', full_page=True)

    product = Product.objects.get(slug='browser-garden-lamp')
    assert (product.unit_price, product.inventory, product.collection.title) == (Decimal('25.50'), 7, 'Garden')
    assert ProductImage.objects.filter(product=product).count() == 1


def test_a_client_on_another_origin_registers_logs_in_and_orders(
        live_server, page, screenshots, client_origin, settings):
    settings.CORS_ALLOWED_ORIGINS = [client_origin]
    product = Product.objects.create(
        title='Cross-Origin Mug', slug='cross-origin-mug', unit_price=Decimal('9.99'), inventory=5,
        collection=Collection.objects.create(title='Kitchen'))

    page.goto(f'{client_origin}/index.html?api={live_server.url}&product={product.id}')
    page.wait_for_function("document.getElementById('result').textContent !== 'working…'")
    page.screenshot(path=screenshots / 'client-1-order-placed.png', full_page=True)

    result = page.inner_text('#result')
    placed = re.fullmatch(r'Order #(\d+) placed: 1 line\(s\)\.', result)
    assert placed, result
    assert page.locator('#steps li.ok').count() == 5
    order = Order.objects.get(pk=int(placed.group(1)))
    assert order.customer.user.first_name == 'Bea'
    assert [(item.product_id, item.quantity) for item in order.items.all()] == [(product.id, 2)]
    product.refresh_from_db()
    assert product.inventory == 3


def test_without_cors_the_other_origin_is_refused(live_server, page, client_origin, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    product = Product.objects.create(
        title='Blocked Mug', slug='blocked-mug', unit_price=Decimal('9.99'), inventory=5,
        collection=Collection.objects.create(title='Kitchen'))

    page.goto(f'{client_origin}/index.html?api={live_server.url}&product={product.id}')
    page.wait_for_function("document.getElementById('result').textContent !== 'working…'")

    assert page.inner_text('#result').startswith('Error')
    assert not Order.objects.exists()


def block_other_hosts(page, live_server_url):
    """Abort every request that is not to the server itself; return the list of what was blocked."""
    blocked = []

    def route(route):
        if route.request.url.startswith(live_server_url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    page.route('**/*', route)
    return blocked


def operation_count(client):
    paths = client.get('/api/schema/', HTTP_ACCEPT='application/json').json()['paths']
    return sum(len(methods) for methods in paths.values())


def test_swagger_ui_renders_every_operation_offline(live_server, page, screenshots, client, policy_violations):
    blocked = block_other_hosts(page, live_server.url)

    page.goto(f'{live_server.url}/api/docs/')
    page.wait_for_selector('.opblock-summary')

    assert page.locator('.opblock').count() == operation_count(client)
    assert page.locator('.opblock-summary-description', has_text=re.compile('^Create a cart$')).count() == 1
    page.screenshot(path=screenshots / 'swagger-ui.png')
    assert blocked == []
    assert policy_violations == []


def test_redoc_renders_every_operation_offline(live_server, page, screenshots, client, policy_violations):
    blocked = block_other_hosts(page, live_server.url)

    page.goto(f'{live_server.url}/api/redoc/')
    page.wait_for_selector('[data-section-id*="/operation/"]')

    titles = [title.strip() for title in page.locator('[data-section-id*="/operation/"] h2').all_inner_texts()]
    assert len(titles) == operation_count(client)
    assert titles.count('Create a cart') == 1
    page.screenshot(path=screenshots / 'redoc.png')
    assert blocked == []
    # The one refusal by design: the Redocly logo its bundle asks a CDN for.
    assert [violation for violation in policy_violations if 'cdn.redoc.ly' not in violation] == []


def test_home_page_and_admin_product_list(live_server, page, screenshots, django_user_model, policy_violations):
    django_user_model.objects.create_user(
        username='staff', email='staff@example.com', password='Staff-pass-42', is_staff=True, is_superuser=True)
    product = Product.objects.create(
        title='Teal Lamp', slug='teal-lamp', unit_price=Decimal('19.00'), inventory=4,
        collection=Collection.objects.create(title='Garden'))
    blocked = block_other_hosts(page, live_server.url)

    page.goto(f'{live_server.url}/')
    assert page.title() == 'Storefront'
    assert page.evaluate("document.querySelector('link[rel=icon]').href") == f'{live_server.url}/static/core/favicon.ico'
    page.screenshot(path=screenshots / 'home.png', full_page=True)

    page.goto(f'{live_server.url}/admin/login/?next=/admin/store/product/')
    page.fill('#id_username', 'staff')
    page.fill('#id_password', 'Staff-pass-42')
    page.click('input[type=submit]')
    page.wait_for_selector('#result_list')
    assert page.locator('#result_list tbody tr').count() == 1
    assert product.title in page.inner_text('#result_list')
    page.screenshot(path=screenshots / 'admin-product-list.png', full_page=True)
    assert blocked == []
    assert policy_violations == []


def test_the_browsable_api_runs_its_scripts_under_the_content_security_policy(live_server, page, policy_violations):
    # The OPTIONS button is a form whose method only its script (DRF's ajax-form.js) can turn into OPTIONS:
    # without the script the browser would POST it, and create a cart.
    page.goto(f'{live_server.url}/store/carts/')
    page.click('form.button-form[data-method=OPTIONS] button')
    page.wait_for_selector('.response-info:has-text("HTTP 200 OK")')

    assert '"name": "Cart List"' in page.inner_text('.response-info')
    assert not Cart.objects.exists()
    assert policy_violations == []


def test_staff_dashboard_draws_the_demo_orders_from_this_site_only(
        live_server, page, screenshots, django_user_model, policy_violations):
    call_command('seed_db', stdout=io.StringIO())
    django_user_model.objects.create_user(
        username='staff', email='staff@example.com', password='Staff-pass-42', is_staff=True, is_superuser=True)
    blocked = block_other_hosts(page, live_server.url)

    page.goto(f'{live_server.url}/admin/login/?next=/admin/')
    page.fill('#id_username', 'staff')
    page.fill('#id_password', 'Staff-pass-42')
    page.click('input[type=submit]')
    page.click('#dashboard-link')
    page.wait_for_selector('#chart-orders')

    assert page.url == f'{live_server.url}/admin/dashboard/'
    for chart in ('#chart-orders', '#chart-revenue'):
        assert page.locator(f'{chart} rect').count() >= 30  # a bar per day, days without orders too
        box = page.locator(chart).bounding_box()
        assert box['width'] > 600 and box['height'] > 100  # drawn at the page's width, its stylesheet applied
    window_start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29)
    placed = Order.objects.filter(placed_at__gte=window_start).count()
    assert placed > 0  # the demo orders spread over months: some are in the window
    assert page.inner_text('#figure-orders') == f'{placed:,}'
    for block in ('#top-products', '#low-stock', '#waiting-payment', '#waiting-ship'):
        assert page.locator(f'{block} h2 a').get_attribute('href').startswith('/admin/store/')
    assert page.locator('#top-products tbody tr').count() > 0
    page.screenshot(path=screenshots / 'dashboard.png', full_page=True)
    assert blocked == []
    assert policy_violations == []
