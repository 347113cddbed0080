"""A read replica (store/replica.py): the public catalogue reads it, everything else the primary; it is only
read when it has applied the catalogue version the request reads from the primary, never by a caller who
just wrote, and when it is down the primary serves and /healthz/ says so.

These tests need a real replica of the test database: DATABASE_URL a MariaDB primary with binary logging
and DATABASE_REPLICA_URL a replica of it (`.ci/replica` starts such a pair and runs them).
"""
import socket
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from rest_framework.test import APIClient

from store import replica
from store.models import Collection, Product, Review

pytestmark = [
    pytest.mark.skipif('replica' not in settings.DATABASES,
                       reason='needs DATABASE_REPLICA_URL: a MariaDB replica of the test database (.ci/replica)'),
    pytest.mark.django_db(transaction=True, databases=['default', 'replica']),
]


def caught_up():
    """Wait until the replica has applied everything the primary has committed."""
    with connections['default'].cursor() as cursor:
        cursor.execute('SELECT @@gtid_binlog_pos')
        position = cursor.fetchone()[0]
    with connections['replica'].cursor() as cursor:
        cursor.execute('SELECT MASTER_GTID_WAIT(%s, 30)', [position])
        assert cursor.fetchone()[0] == 0, 'the replica did not catch up in 30 s'


@contextmanager
def replication_paused():
    """The replica stops applying the primary's writes (it lags), until the block ends and it catches up."""
    with connections['replica'].cursor() as cursor:
        cursor.execute('STOP SLAVE SQL_THREAD')
    try:
        yield
    finally:
        with connections['replica'].cursor() as cursor:
            cursor.execute('START SLAVE SQL_THREAD')
        caught_up()


@contextmanager
def queries_of(alias):
    with CaptureQueriesContext(connections[alias]) as captured:
        yield captured


def tables_read(captured):
    return {table for query in captured.captured_queries
            for table in ('store_product', 'store_collection', 'store_review', 'store_catalogueversion')
            if f'`{table}`' in query['sql']}


@pytest.fixture
def product():
    made = baker.make(Product, collection=baker.make(Collection, title='Teas'), title='Green tea', unit_price=10)
    caught_up()
    return made


def reviews_url(product):
    return f'/store/products/{product.id}/reviews/'


def test_catalogue_reads_come_from_the_replica_and_the_version_from_the_primary(api_client, product):
    baker.make(Review, product=product, name='Ann')
    caught_up()
    with queries_of('replica') as on_replica, queries_of('default') as on_primary:
        listed = api_client.get('/store/products/')
        detail = api_client.get(f'/store/products/{product.id}/')
        collections = api_client.get('/store/collections/')
        reviews = api_client.get(reviews_url(product))
    assert [response.status_code for response in (listed, detail, collections, reviews)] == [200] * 4
    assert [row['title'] for row in listed.json()['results']] == ['Green tea']
    assert detail.json()['unit_price'] == 10
    assert [row['title'] for row in collections.json()] == ['Teas']
    assert [row['name'] for row in reviews.json()] == ['Ann']
    assert {'store_product', 'store_collection', 'store_review'} <= tables_read(on_replica)
    assert tables_read(on_primary) == {'store_catalogueversion'}


def test_carts_orders_and_accounts_read_the_primary(api_client, product, django_user_model):
    with queries_of('replica') as on_replica:
        cart = api_client.post('/store/carts/', {}, format='json')
        added = api_client.post(f'/store/carts/{cart.json()["id"]}/items/',
                                {'product_id': product.id, 'quantity': 2}, format='json')
        read = api_client.get(f'/store/carts/{cart.json()["id"]}/')
        api_client.force_authenticate(baker.make(django_user_model))
        orders = api_client.get('/store/orders/')
    assert [cart.status_code, added.status_code, read.status_code, orders.status_code] == [201, 201, 200, 200]
    assert read.json()['total_price'] == 20
    assert on_replica.captured_queries == []


def test_a_replica_behind_the_catalogue_version_is_not_read(api_client, product, django_user_model):
    staff = APIClient()
    staff.force_authenticate(baker.make(django_user_model, is_staff=True))
    with replication_paused():
        edited = staff.patch(f'/store/products/{product.id}/', {'unit_price': 25}, format='json')
        assert edited.status_code == 200
        with queries_of('replica') as on_replica:
            seen = api_client.get(f'/store/products/{product.id}/')  # another caller: not pinned
        assert seen.json()['unit_price'] == 25
        assert tables_read(on_replica) == {'store_catalogueversion'}  # only asked how far it is


def test_a_writer_reads_its_own_review_while_others_read_the_lagging_replica(api_client, product):
    writer = APIClient()
    with replication_paused():
        posted = writer.post(reviews_url(product), {'name': 'Bob', 'description': 'Great'}, format='json')
        assert posted.status_code == 201
        assert posted.cookies[replica.PIN_COOKIE]['max-age'] == settings.DATABASE_REPLICA_PIN_SECONDS
        assert [row['name'] for row in writer.get(reviews_url(product)).json()] == ['Bob']
        assert api_client.get(reviews_url(product)).json() == []
    assert [row['name'] for row in api_client.get(reviews_url(product)).json()] == ['Bob']


def test_a_writer_with_a_token_stays_pinned_without_the_cookie(product, django_user_model):
    django_user_model.objects.create_user(username='ann', password='pw-1234-secret')
    client = APIClient()
    token = client.post('/auth/jwt/create/', {'username': 'ann', 'password': 'pw-1234-secret'}, format='json')
    client.cookies.clear()
    client.credentials(HTTP_AUTHORIZATION=f'JWT {token.json()["access"]}')
    with replication_paused():
        assert client.post(reviews_url(product), {'name': 'Ann', 'description': 'Fine'}, format='json').status_code == 201
        client.cookies.clear()  # as another web node would see it: only the shared cache knows
        assert [row['name'] for row in client.get(reviews_url(product)).json()] == ['Ann']


def test_reads_inside_a_transaction_stay_on_the_primary(rf, product):
    request = rf.get('/store/products/')
    replica.catalogue_request.set(request)
    try:
        assert router.db_for_read(Product) == 'replica'
        with transaction.atomic():
            assert router.db_for_read(Product) == 'default'
    finally:
        replica.catalogue_request.set(None)


@pytest.fixture
def replica_down(monkeypatch):
    """The replica's address points at a closed port (as if its server died) until the test ends."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        closed_port = probe.getsockname()[1]
    connection = connections['replica']
    connection.close()
    monkeypatch.setitem(connection.settings_dict, 'PORT', str(closed_port))
    monkeypatch.setattr(replica, 'replica_down_until', 0.0)
    yield
    connection.close()


def test_replica_down_the_primary_serves_the_catalogue_and_healthz_reports_it(api_client, product, replica_down):
    listed = api_client.get('/store/products/')
    assert listed.status_code == 200
    assert [row['title'] for row in listed.json()['results']] == ['Green tea']
    health = api_client.get('/healthz/')
    assert health.status_code == 200
    assert health.json() == {'status': 'degraded', 'database': 'ok', 'cache': 'ok', 'replica': 'down'}


def test_a_replica_read_failing_mid_request_is_served_again_from_the_primary(api_client, product, monkeypatch):
    assert api_client.get('/store/products/').status_code == 200  # the replica's connection is open now
    monkeypatch.setattr(replica, 'replica_down_until', 0.0)
    connections['replica'].connection.close()  # broken under Django's feet, as by a restarted server
    with queries_of('default') as on_primary:
        detail = api_client.get(f'/store/products/{product.id}/')
    assert detail.status_code == 200
    assert detail.json()['title'] == 'Green tea'
    assert 'store_product' in tables_read(on_primary)
    assert replica.replica_down_until > time.monotonic()  # and left alone for a while


def test_healthz_reports_a_replica_that_answers(api_client, product):
    health = api_client.get('/healthz/')
    assert health.status_code == 200
    assert health.json() == {'status': 'ok', 'database': 'ok', 'cache': 'ok', 'replica': 'ok'}
