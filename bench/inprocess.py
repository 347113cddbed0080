"""Django in this process: set up on the benchmark's database, and the shop's WSGI application called directly.

What is measured here, without the network: the SQL queries of each endpoint (CaptureQueriesContext),
its service time, where that time goes (pyinstrument), and the same for the write flow and for order
placement, and for opening a payment and handling a Stripe webhook. Django and the project are imported inside the functions, after setup_django: importing
this module needs neither.
"""
import json
import os
import random
import secrets
import statistics
import sys
import time
from io import BytesIO

from bench.servers import HOST


def setup_django(env, app_dir):
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(app_dir))
    # Celery's app puts the working directory first on sys.path when Django sets up: make that the
    # project measured too, or an A/B's in-process numbers would all be this checkout's. The bench
    # modules stay this checkout's: the bench package is imported already, from ROOT.
    os.chdir(app_dir)
    import django
    django.setup()


def prepare_mysql(reset):
    """A fresh MySQL/MariaDB database: refuse to touch one that has tables, unless --reset."""
    from django.db import connection
    name = connection.settings_dict['NAME']
    tables = connection.introspection.table_names()
    if tables and not reset:
        sys.exit(f'The database {name} has {len(tables)} tables: pass --reset to drop and recreate it.')
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE `{name}`')
            cursor.execute(f'CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')
        connection.close()


class InProcess:
    """Calls the project's WSGI application directly, as gunicorn would, without the network."""

    def __init__(self, host_header):
        from django.core.wsgi import get_wsgi_application
        self.app = get_wsgi_application()
        self.host_header = host_header

    def call(self, method, path, body=b'', headers=None):
        path_info, _, query = path.partition('?')
        environ = {
            'REQUEST_METHOD': method, 'PATH_INFO': path_info, 'QUERY_STRING': query,
            'SERVER_NAME': HOST, 'SERVER_PORT': self.host_header.rsplit(':', 1)[1], 'SERVER_PROTOCOL': 'HTTP/1.1',
            'HTTP_HOST': self.host_header, 'HTTP_ACCEPT': 'application/json', 'REMOTE_ADDR': HOST,
            'wsgi.input': BytesIO(body), 'wsgi.url_scheme': 'http', 'wsgi.errors': sys.stderr,
            'wsgi.multithread': False, 'wsgi.multiprocess': True, 'wsgi.run_once': False, 'wsgi.version': (1, 0),
        }
        if body:
            environ['CONTENT_TYPE'] = 'application/json'
            environ['CONTENT_LENGTH'] = str(len(body))
        for name, value in (headers or {}).items():
            environ['HTTP_' + name.upper().replace('-', '_')] = value
        status = []
        chunks = self.app(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            content = b''.join(chunks)
        finally:
            if hasattr(chunks, 'close'):
                chunks.close()
        return int(status[0].split()[0]), content

    def measure(self, method, path_of, repeats, expect=200, body=b'', headers=None, prime=False):
        """(queries of one call, median ms per call, response bytes) for `path_of(n)`.

        With `prime`, one call first, uncounted (it fills the cache for a warm-cache measurement).
        """
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext
        if prime:
            self.call(method, path_of(0), body, headers)
        reset_queries()  # each request resets the log too: the capture must start from an empty one
        with CaptureQueriesContext(connection) as captured:
            status, content = self.call(method, path_of(0), body, headers)
        queries = len(captured.captured_queries)  # read now: a later request resets the log it reads
        if status != expect:
            raise RuntimeError(f'{method} {path_of(0)} answered {status}: {content[:300]!r}')
        times = []
        for n in range(1, repeats + 1):
            t0 = time.perf_counter()
            self.call(method, path_of(n), body, headers)
            times.append(time.perf_counter() - t0)
        return queries, statistics.median(times) * 1000, len(content)


PROFILE_CATEGORIES = [
    # (category, substrings of a frame's file path). A frame that matches sets the category of itself and
    # everything it calls, until a frame deeper down matches another one; other frames (django.utils,
    # django.conf, the standard library...) count for the category of their caller.
    ('SQL: ORM + driver', ['/django/db/', 'sqlite3', 'MySQLdb']),
    ('JSON rendering', ['/rest_framework/renderers.py', '/json/', '/rest_framework/utils/encoders.py']),
    ('serialization', ['/rest_framework/serializers.py', '/rest_framework/fields.py', '/rest_framework/relations.py',
                       '/store/serializers.py', '/django/db/models/fields/files.py', '/django/core/files/',
                       '/rest_framework/utils/serializer_helpers.py', '/rest_framework/utils/field_mapping.py']),
    ('filters + pagination', ['/django_filters/', '/rest_framework/filters.py', '/rest_framework/pagination.py',
                              '/store/filters.py', '/store/pagination.py', '/django/core/paginator.py']),
    ('response cache', ['/store/caching.py', '/django/core/cache/']),
    ('DRF view: auth, permissions, negotiation', ['/rest_framework/', '/rest_framework_simplejwt/', '/store/views.py',
                                                  '/store/permissions.py', '/core/views.py']),
    ('URL routing', ['/django/urls/']),
    ('middleware + Django request/response', ['/django/core/handlers/', '/django/middleware/', '/django/contrib/',
                                              '/django/http/', '/django/utils/deprecation.py', '/django/dispatch/',
                                              '/corsheaders/', '/whitenoise/', '/django/core/signals.py']),
]
PROFILE_OTHER = 'other (harness, interpreter)'


def categorize(path):
    for category, needles in PROFILE_CATEGORIES:
        if any(needle in path for needle in needles):
            return category
    return None


def profile_breakdown(inproc, method, path_of, repeats, body=b'', headers=None):
    """The share of each category in the sampled time (pyinstrument; the innermost categorized frame wins).

    The profiler slows Python code down more than C code (SQLite, JSON), so the shares lean a little
    towards Python: the report applies them to the unprofiled in-process time per request.
    """
    from pyinstrument import Profiler
    inproc.call(method, path_of(0), body, headers)
    profiler = Profiler(interval=0.0005, use_timing_thread=True)
    t0 = time.perf_counter()
    profiler.start()
    for n in range(1, repeats + 1):
        inproc.call(method, path_of(n), body, headers)
    profiler.stop()
    wall = time.perf_counter() - t0
    totals = {}

    def walk(frame, inherited):
        category = categorize(frame.file_path or '') or inherited
        self_time = frame.time - sum(child.time for child in frame.children)
        totals[category] = totals.get(category, 0.0) + self_time
        for child in frame.children:
            walk(child, category)

    root = profiler.last_session.root_frame()
    if root is not None:
        walk(root, PROFILE_OTHER)
    sampled = sum(totals.values()) or 1.0
    return {
        'ms_per_request_profiled': round(wall / repeats * 1000, 3),
        'shares': {k: round(v / sampled, 4) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])},
    }


def flow_in_process(inproc, products):
    """Queries and in-process ms of one write flow (4 requests)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    times, queries = [], None
    for n in range(10):
        t0 = time.perf_counter()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            status, body = inproc.call('POST', '/store/carts/', b'{}')
            cart = json.loads(body)['id']
            for product_id in random.Random(n).sample(range(1, products + 1), 3):
                status, body = inproc.call('POST', f'/store/carts/{cart}/items/',
                                           json.dumps({'product_id': product_id, 'quantity': 1}).encode())
                assert status == 201, body
        times.append(time.perf_counter() - t0)
        queries = len(captured.captured_queries)
    return queries, statistics.median(times) * 1000


def access_token(user_id):
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken
    return str(AccessToken.for_user(get_user_model().objects.get(pk=user_id)))


def orders_in_process(inproc, info, products):
    """Queries of POST /store/orders/ for carts of 1, 5 and 50 lines (the suite asserts 1 = 50)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from bench import dataset
    rng = random.Random(7)
    token = access_token(info['buyer_user_ids'][0])
    counts = {}
    for lines in (1, 1, 5, 50):  # the first order of the process also creates the catalogue version row
        cart = dataset.new_cart_with_items(products, min(lines, products), rng)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            status, body = inproc.call('POST', '/store/orders/', json.dumps({'cart_id': str(cart.pk)}).encode(),
                                       {'Authorization': f'JWT {token}', 'Idempotency-Key': secrets.token_hex(8)})
        if status != 201:
            raise RuntimeError(f'placing an order answered {status}: {body[:300]!r}')
        counts[str(lines)] = len(captured.captured_queries)
    return counts


def payments_in_process(inproc, info, secret):
    """Queries of opening one order's payment (and one call to localstripe) and of one signed
    payment_intent.succeeded webhook; each uses up the first prepared order or open payment."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from bench.workload import WEBHOOK_PATH, succeeded_event
    order_id, user_id = info['payment_orders'].pop(0)
    body, headers = succeeded_event(info['webhook_payments'].pop(0), info['payment_amount'], secret)
    counts = {}
    for name, method, path, payload, headers, expect in [
            ('intent', 'POST', f'/store/orders/{order_id}/payment/', b'',
             {'Authorization': f'JWT {access_token(user_id)}'}, 201),
            ('webhook', 'POST', WEBHOOK_PATH, body, headers, 200)]:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            status, content = inproc.call(method, path, payload, headers)
        if status != expect:
            raise RuntimeError(f'{method} {path} answered {status}: {content[:300]!r}')
        counts[name] = len(captured.captured_queries)
    return counts
