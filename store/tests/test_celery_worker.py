"""A real Celery worker process consumes a real task from the real Redis broker and writes to the real database.

The worker is another process, so it must see this test's committed rows: that needs a server database (the
SQLite test database lives in this process) and REDIS_URL. .ci/run provides both (MariaDB or PostgreSQL,
and Redis).
"""
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from model_bakery import baker

from store.models import Cart, CartItem, Product
from store.tasks import purge_stale_carts
from storefront.celery import celery

PROJECT_ROOT = Path(__file__).resolve().parents[2]
URL_SCHEMES = {'django.db.backends.mysql': 'mysql', 'django.db.backends.postgresql': 'postgres'}

pytestmark = pytest.mark.skipif(
    not (os.environ.get('REDIS_URL') and settings.DATABASES['default']['ENGINE'] in URL_SCHEMES),
    reason='needs REDIS_URL and a MariaDB or PostgreSQL DATABASE_URL: runs in .ci/run')


def worker_database_url():
    """The DATABASE_URL of the test database this process uses (NAME is the test database's name here)."""
    db = connection.settings_dict
    credentials = quote(db['USER'], safe='') + (f":{quote(db['PASSWORD'], safe='')}" if db['PASSWORD'] else '')
    port = f":{db['PORT']}" if db['PORT'] else ''
    return f"{URL_SCHEMES[db['ENGINE']]}://{credentials}@{db['HOST']}{port}/{db['NAME']}"


def make_cart(age):
    cart = baker.make(Cart)
    baker.make(CartItem, cart=cart, product=baker.make(Product, inventory=10), quantity=1)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - age)
    return cart


@pytest.fixture
def not_eager():
    was_eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = False
    yield
    celery.conf.task_always_eager = was_eager


@pytest.fixture
def worker(tmp_path):
    """A `celery worker` process consuming only a queue of its own; yields the queue's name."""
    queue = f'test-purge-{uuid.uuid4().hex}'
    log_path = tmp_path / 'worker.log'
    env = {**os.environ, 'DJANGO_SETTINGS_MODULE': 'storefront.settings.test',
           'DATABASE_URL': worker_database_url(), 'REDIS_URL': os.environ['REDIS_URL']}
    with open(log_path, 'wb') as log:
        process = subprocess.Popen(
            [sys.executable, '-m', 'celery', '-A', 'storefront', 'worker', '--pool=solo', '--concurrency=1',
             '--without-heartbeat', '--without-gossip', '--without-mingle', '-Q', queue, '--loglevel=INFO'],
            env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # Captured output: pytest shows it only when the test fails.
        print(f'--- celery worker log ({log_path}) ---\n{log_path.read_text(errors="replace")}')


@pytest.mark.django_db(transaction=True)
class TestRealWorker:
    def test_the_worker_purges_stale_carts(self, not_eager, worker):
        days = settings.STALE_CART_DAYS
        stale = [make_cart(timedelta(days=days + 1 + n)) for n in range(3)]
        fresh = make_cart(timedelta(days=1))

        result = purge_stale_carts.apply_async(queue=worker)

        assert result.get(timeout=60) == 3
        assert list(Cart.objects.values_list('pk', flat=True)) == [fresh.pk]
        assert not CartItem.objects.filter(cart_id__in=[cart.pk for cart in stale]).exists()
        assert CartItem.objects.filter(cart=fresh).count() == 1
