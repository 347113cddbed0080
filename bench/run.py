#!/usr/bin/env python
"""The storefront benchmark, in one command: build a database, serve it with gunicorn, measure, report.

    pipenv run python bench/run.py --products 1000 100000   # both scales + the 100k-vs-1k comparison
    pipenv run python bench/run.py --products 1000 --quick  # the CI smoke: a few seconds per endpoint
    pipenv run python bench/run.py --products 1000 --database-url mysql://user:pw@127.0.0.1:3306/bench --reset
    pipenv run python bench/run.py --products 1000 --versus /tmp/before --app-dir /tmp/after  # A/B of two checkouts

For each scale it
  1. builds a fresh database (SQLite file in a temp dir by default) with bulk inserts: N products over
     10 collections, 3 image rows each, 2,000 customers, 5,000 orders, a cart with 5 lines;
  2. counts the SQL queries of every endpoint and times it in-process (Django's WSGI handler called
     directly, CaptureQueriesContext), and profiles where the time goes (pyinstrument);
  3. starts the shop under gunicorn (gunicorn.conf.py, 2 sync workers, prod settings, DEBUG off) and,
     beside it, the floor (bench/floor.py: bare Django, one view returning bytes the size of the
     product list's page 1) under the same config on another port;
  4. drives each endpoint at concurrency 8 from this process (bench/loadgen.py), alternating the shop
     and the floor in short rounds so machine drift hits both alike: req/s, p50, p99, ratio to floor;
  5. a write flow (create a cart + add 3 items) at concurrency 1 and 4, against 4 floor requests;
  6. with a MySQL/MariaDB --database-url: order placement at concurrency 4 (tokens and carts ready);
  7. the memory of one gunicorn worker (1-worker server) after 1,000 and 20,000 product-list requests.
It prints a markdown report and writes it, with the raw numbers as JSON, to bench/results/.
docs/performance.md explains the method and the numbers. Missed targets never fail the run; failed
requests (more than 1 % of an endpoint's) make it exit non-zero.
"""
import argparse
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The project measured: this checkout, or another one (--app-dir), e.g. an older commit to compare with.
APP_DIR = ROOT

from bench import loadgen

HOST = '127.0.0.1'
CONCURRENCY = 8
SEARCH_WORD = 'classic'

# Ratio-to-floor targets (None: reported, no target). Keys are row names.
TARGETS = {
    'product list page 1 (uncached)': 0.15,
    'product list page 1 (warm cache)': 0.5,
    'product detail (warm cache)': 0.5,
    'collections (warm cache)': 0.5,
    'cart with 5 lines': 0.2,
}
FLOW_TARGET = 0.14
SCALE_ROWS = ['product list page 1 (uncached)', 'deep page (uncached)', 'collection filter (uncached)',
              'order by price (uncached)', 'search (uncached)']
SCALE_LIMIT, SCALE_EXPLAIN = 2.0, 5.0
MEMORY_LIMIT = 0.10


# ---------------------------------------------------------------------------------------------------
# Processes and the machine

def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return 0.0


def machine_busy_seconds():
    with open('/proc/stat') as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf('SC_CLK_TCK')


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError(f'no VmRSS for {pid}')


def machine_description():
    cpu = 'unknown'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as f:
        mem_kib = int(f.readline().split()[1])
    import django
    import gunicorn
    import rest_framework
    return {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'nproc': os.cpu_count(),
        'cpu': cpu,
        'memory_gib': round(mem_kib / 1024 / 1024, 1),
        'kernel': platform.release(),
        'python': platform.python_version(),
        'django': django.get_version(),
        'drf': rest_framework.VERSION,
        'gunicorn': gunicorn.__version__,
        'loadavg_at_start': os.getloadavg()[0],
        'commit': app_commit(APP_DIR),
    }


def app_commit(app_dir):
    """The measured checkout's commit, '+changes' when its tracked files differ from it."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=app_dir, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=app_dir,
                               capture_output=True, text=True).stdout.strip()
        return commit + (' +changes' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


class Server:
    """A gunicorn master started with our config; stopped with SIGTERM."""

    def __init__(self, name, app, port, env, tmp, workers=2, app_dir=None):
        self.name, self.port = name, port
        self.log = open(tmp / f'{name}.log', 'w')
        app_dir = app_dir or (ROOT if app.startswith('bench.') else APP_DIR)
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', app, '-c', str(Path(app_dir) / 'gunicorn.conf.py'),
             '--bind', f'{HOST}:{port}', '--workers', str(workers), '--access-logfile', '/dev/null',
             '--control-socket', str(tmp / f'{name}.ctl')],
            cwd=app_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name} exited; see {self.log.name}')
            try:
                status, _, _ = loadgen.Client(HOST, self.port, timeout=5).request('GET', path)
                if status == 200 and len(self.workers()) == self.expected_workers():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f'{self.name} did not answer {path} in {timeout}s; see {self.log.name}')

    def expected_workers(self):
        args = self.proc.args
        return int(args[args.index('--workers') + 1])

    def workers(self):
        return children(self.proc.pid)

    def pids(self):
        return [self.proc.pid, *self.workers()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class CpuMeter:
    """CPU seconds used by the generator (this process), each server, and everything else."""

    def __init__(self, servers):
        self.servers = servers
        self.totals = {'generator': 0.0, **{s.name: 0.0 for s in servers}, 'others': 0.0, 'wall': 0.0}

    def snapshot(self):
        return (time.perf_counter(), time.process_time(), machine_busy_seconds(),
                {s.name: sum(cpu_seconds(p) for p in s.pids()) for s in self.servers})

    def measure(self, fn):
        before = self.snapshot()
        result = fn()
        after = self.snapshot()
        ours = after[1] - before[1]
        self.totals['wall'] += after[0] - before[0]
        self.totals['generator'] += ours
        servers = 0.0
        for name in after[3]:
            used = after[3][name] - before[3][name]
            self.totals[name] += used
            servers += used
        self.totals['others'] += max(0.0, (after[2] - before[2]) - ours - servers)
        return result


# ---------------------------------------------------------------------------------------------------
# Django in this process: the database, query counts, in-process timings, the profile

def server_environment(database_url, tmp):
    env = {k: v for k, v in os.environ.items() if k not in ('REDIS_URL', 'DJANGO_SETTINGS_MODULE', 'PORT')}
    env.update({
        'DJANGO_SETTINGS_MODULE': 'storefront.settings.prod',
        'SECRET_KEY': secrets.token_urlsafe(50),
        'ALLOWED_HOSTS': HOST,
        'DATABASE_URL': database_url,
        'SECURE_SSL_REDIRECT': 'false',
        'LOG_FILE': str(tmp / 'general.log'),
        'DJANGO_LOG_LEVEL': 'WARNING',
        'MEDIA_ROOT': str(tmp / 'media'),
        'EMAIL_BACKEND': 'django.core.mail.backends.dummy.EmailBackend',
        'THROTTLE_LOGIN_RATE': '1000000/min',
        'THROTTLE_REGISTRATION_RATE': '1000000/min',
        'WEB_CONCURRENCY': '2',
    })
    return env


def setup_django(env):
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(APP_DIR))
    # Celery's app puts the working directory first on sys.path when Django sets up: make that the
    # project measured too, or an A/B's in-process numbers would all be this checkout's.
    os.chdir(APP_DIR)
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


# ---------------------------------------------------------------------------------------------------
# Measuring over HTTP

class Rounds:
    """Alternates the shop and the floor in short rounds; returns the merged results of each side."""

    def __init__(self, meter, app, floor, rounds, seconds):
        self.meter, self.app, self.floor = meter, app, floor
        self.rounds, self.seconds = rounds, seconds

    def run(self, app_operation, floor_operation, concurrency, app_total=None):
        results = {'app': loadgen.Result(), 'floor': loadgen.Result()}
        sides = [('app', self.app.port, app_operation), ('floor', self.floor.port, floor_operation)]
        for r in range(self.rounds):
            for side, port, operation in (sides if r % 2 == 0 else sides[::-1]):
                total = app_total(r) if (side == 'app' and app_total) else None
                if total == 0:
                    continue
                result = self.meter.measure(
                    lambda: loadgen.run(HOST, port, operation, concurrency, duration=self.seconds, total=total))
                results[side].merge(result)
        return results['app'], results['floor']


def summary(result):
    return {
        'rate': round(result.rate, 1),
        'p50_ms': round(result.percentile(50) * 1000, 2),
        'p99_ms': round(result.percentile(99) * 1000, 2),
        'ok': result.ok,
        'errors': result.errors,
        'first_error': result.first_error,
        'client_cpu_us_per_op': round(result.client_cpu / result.ok * 1e6) if result.ok else None,
    }


def unique_suffix():
    """Cache-busting query parameters unique across the whole run: '_=<token>-<n>'."""
    token = secrets.token_hex(3)
    counter = iter(range(10 ** 12))
    return lambda: f'_={token}-{next(counter)}'


def endpoint_rows(info):
    deep, detail, cart = info['deep_page'], info['detail_id'], info['cart_5_lines']
    cached = [
        ('product list page 1', '/store/products/'),
        ('deep page', f'/store/products/?page={deep}'),
        ('collection filter', '/store/products/?collection_id=3'),
        ('order by price', '/store/products/?ordering=unit_price'),
        ('search', f'/store/products/?search={SEARCH_WORD}'),
        ('product detail', f'/store/products/{detail}/'),
        ('collections', '/store/collections/'),
    ]
    rows = []
    for name, path in cached:
        rows.append((f'{name} (uncached)', path, True))
        rows.append((f'{name} (warm cache)', path, False))
    rows.append(('cart with 5 lines', f'/store/carts/{cart}/', False))
    return rows


def busting(path, suffix):
    sep = '&' if '?' in path else '?'
    return lambda n: f'{path}{sep}{suffix()}'


def write_flow(products):
    """Create a cart, add 3 distinct random products: True when all 4 requests succeed."""
    def operation(client, n):
        status, _, body = client.request('POST', '/store/carts/', b'{}')
        if status != 201:
            raise loadgen.HTTPError(f'POST /store/carts/ answered {status}: {body[:200]!r}')
        cart = json.loads(body)['id']
        for product_id in random.Random(n).sample(range(1, products + 1), 3):
            payload = json.dumps({'product_id': product_id, 'quantity': 1}).encode()
            status, _, body = client.request('POST', f'/store/carts/{cart}/items/', payload)
            if status != 201:
                raise loadgen.HTTPError(f'POST items answered {status}: {body[:200]!r}')
        return True
    return operation


def floor_flow(client, n):
    for _ in range(4):
        status, _, _ = client.request('POST', '/floor/', b'{}')
        if status != 200:
            raise loadgen.HTTPError(f'floor answered {status}')
    return True


# ---------------------------------------------------------------------------------------------------
# One scale

def run_scale(args):
    quick = args.quick
    rounds = args.rounds or (2 if quick else 4)
    seconds = args.round_seconds or (0.6 if quick else 2.5)
    repeats = 5 if quick else 30
    memory_marks = args.memory_requests or ([300, 1000] if quick else [1000, 20000])
    mysql = bool(args.database_url and args.database_url.startswith('mysql'))

    tmp = Path(tempfile.mkdtemp(prefix='storefront-bench-'))
    database_url = args.database_url or f'sqlite:///{tmp}/bench.sqlite3'
    app_port, floor_port, memory_port = free_port(), free_port(), free_port()
    env = server_environment(database_url, tmp)
    setup_django(env)
    from django.core.management import call_command
    from django.db import connection

    report = {'products': args.products, 'database': connection.vendor, 'quick': quick,
              'concurrency': CONCURRENCY, 'rounds': rounds, 'round_seconds': seconds,
              'machine': machine_description()}
    log(f'== {args.products} products on {connection.vendor} (temp dir {tmp})')

    if mysql:
        prepare_mysql(args.reset)
    t0 = time.perf_counter()
    call_command('migrate', verbosity=0)
    report['migrate_seconds'] = round(time.perf_counter() - t0, 1)
    from bench import dataset
    order_carts = (200 if quick else 8000) if mysql else 0
    t0 = time.perf_counter()
    info = dataset.build(args.products, buyers=8, buyer_carts=order_carts)
    report['build_seconds'] = round(time.perf_counter() - t0, 1)
    report['dataset'] = {k: v for k, v in info.items() if k not in ('buyer_carts',)}
    log(f'   migrated in {report["migrate_seconds"]}s, data inserted in {report["build_seconds"]}s')

    # In-process: query counts, service times, profile.
    inproc = InProcess(f'{HOST}:{app_port}')
    suffix = unique_suffix()
    rows = endpoint_rows(info)
    measured = {}
    for name, path, bust in rows:
        path_of = busting(path, suffix) if bust else (lambda n, p=path: p)
        queries, ms, size = inproc.measure('GET', path_of, repeats, prime=not bust)
        measured[name] = {'path': path, 'queries': queries, 'inprocess_ms': round(ms, 3), 'bytes': size}
    flow_queries, flow_ms = flow_in_process(inproc, args.products)
    order_queries = orders_in_process(inproc, info, args.products)
    report['order_queries_by_lines'] = order_queries
    floor_bytes = measured['product list page 1 (uncached)']['bytes']
    log(f'   queries and in-process times measured; page 1 is {floor_bytes} bytes')

    if not quick and not args.no_profile:
        report['profile'] = {}
        for name, method, path_of, body in [
            ('product list page 1 (uncached)', 'GET', busting('/store/products/', suffix), b''),
            ('product list page 1 (warm cache)', 'GET', lambda n: '/store/products/', b''),
            ('product detail (uncached)', 'GET', busting(f'/store/products/{info["detail_id"]}/', suffix), b''),
            ('collections (uncached)', 'GET', busting('/store/collections/', suffix), b''),
            ('cart with 5 lines', 'GET', lambda n: f'/store/carts/{info["cart_5_lines"]}/', b''),
            ('search (uncached)', 'GET', busting(f'/store/products/?search={SEARCH_WORD}', suffix), b''),
            ('deep page (uncached)', 'GET', busting(f'/store/products/?page={info["deep_page"]}', suffix), b''),
        ]:
            report['profile'][name] = profile_breakdown(inproc, method, path_of, 40 if args.products > 10000 else 150)
        log('   profiled')
    connection.close()
    report['endpoints'] = measured
    report['dataset']['floor_bytes'] = floor_bytes
    report['flow_inprocess'] = {'queries': flow_queries, 'ms': round(flow_ms, 3)}
    report['database_url'] = database_url
    report['temp_dir'] = str(tmp)
    if args.build_only:
        return report

    # Over HTTP.
    server_env = {**env, 'FLOOR_BODY_BYTES': str(floor_bytes)}
    floor_env = {k: v for k, v in server_env.items() if k != 'DJANGO_SETTINGS_MODULE'}
    app = Server('app', 'storefront.wsgi', app_port, server_env, tmp)
    floor = Server('floor', 'bench.floor:application', floor_port, floor_env, tmp)
    servers = [app, floor]
    try:
        app.wait_ready('/healthz/')
        floor.wait_ready('/')
        meter = CpuMeter(servers)
        rounder = Rounds(meter, app, floor, rounds, seconds)
        floor_get = loadgen.get('/')
        # Warm-up: both servers' workers load their lazy imports and open their database connections.
        loadgen.run(HOST, app.port, loadgen.get(busting('/store/products/', suffix)), 4, total=100)
        loadgen.run(HOST, floor.port, floor_get, 4, total=200)
        results = {}
        for name, path, bust in rows:
            if bust:
                operation = loadgen.get(busting(path, suffix))
            else:
                operation = loadgen.get(path)
                loadgen.run(HOST, app.port, operation, 2, total=20)  # warm both workers' caches
            app_result, floor_result = rounder.run(operation, floor_get, CONCURRENCY)
            row = {**measured[name], 'app': summary(app_result), 'floor': summary(floor_result)}
            row['ratio'] = round(app_result.rate / floor_result.rate, 3) if floor_result.rate else None
            results[name] = row
            log(f'   {name:40s} {app_result.rate:8.1f} req/s  floor {floor_result.rate:7.1f}  '
                f'ratio {row["ratio"]}  errors {app_result.errors}')
        report['endpoints'] = results  # the in-process numbers, now with the HTTP ones

        flows = {}
        for concurrency in (1, 4):
            app_result, floor_result = rounder.run(write_flow(args.products), floor_flow, concurrency)
            flows[str(concurrency)] = {
                'queries': flow_queries, 'inprocess_ms': round(flow_ms, 3),
                'app': summary(app_result), 'floor': summary(floor_result),
                'ratio': round(app_result.rate / floor_result.rate, 3) if floor_result.rate else None}
            log(f'   write flow c={concurrency}: {app_result.rate:.1f} flows/s, floor {floor_result.rate:.1f}, '
                f'errors {app_result.errors} {app_result.first_error or ""}')
        report['write_flow'] = flows

        if mysql:
            report['orders'] = measure_orders(rounder, info, app, floor_get)
            log(f'   orders: {report["orders"]["app"]["rate"]} orders/s')
        report['cpu_seconds'] = {k: round(v, 1) for k, v in meter.totals.items()}
    finally:
        for server in servers:
            server.stop()

    if not args.skip_memory:
        report['memory'] = measure_memory(server_env, tmp, memory_port, memory_marks, suffix)
        log(f'   worker RSS (KiB) after n requests: {report["memory"]["rss_kib"]}')
    report['generator'] = generator_capacity(report)
    if mysql:
        report['database_url'] = 'mysql://…'
    if not (args.keep or args.keep_db):
        report.pop('temp_dir')
        shutil.rmtree(tmp, ignore_errors=True)
    return report


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


def measure_orders(rounder, info, app, floor_get):
    """Order placement at concurrency 4: each order is a prepared cart (3 lines) of one of 8 buyers."""
    tokens = [access_token(user_id) for user_id in info['buyer_user_ids']]
    carts = info['buyer_carts']
    used = [0]  # carts consumed by earlier rounds

    def operation(client, n):
        index = used[0] + n
        payload = json.dumps({'cart_id': carts[index]}).encode()
        headers = [('Authorization', f'JWT {tokens[index % len(tokens)]}'), ('Idempotency-Key', f'bench-{index}')]
        status, _, body = client.request('POST', '/store/orders/', payload, headers)
        if status != 201:
            raise loadgen.HTTPError(f'POST /store/orders/ answered {status}: {body[:200]!r}')
        return True

    app_result, floor_result = loadgen.Result(), loadgen.Result()
    for r in range(rounder.rounds):
        for side in (('app', 'floor') if r % 2 == 0 else ('floor', 'app')):
            if side == 'floor':
                floor_result.merge(rounder.meter.measure(lambda: loadgen.run(
                    HOST, rounder.floor.port, floor_get, 4, duration=rounder.seconds)))
            elif used[0] < len(carts):
                result = rounder.meter.measure(lambda: loadgen.run(
                    HOST, app.port, operation, 4, duration=rounder.seconds, total=len(carts) - used[0]))
                used[0] += result.ok + result.errors
                app_result.merge(result)
    return {'concurrency': 4, 'lines_per_order': 3, 'app': summary(app_result), 'floor': summary(floor_result),
            'carts_prepared': len(carts), 'carts_used': used[0],
            'ratio': round(app_result.rate / floor_result.rate, 3) if floor_result.rate else None}


def measure_memory(env, tmp, port, marks, suffix):
    """RSS of the only worker of a 1-worker server after `marks` uncached product-list requests."""
    server = Server('memory', 'storefront.wsgi', port, env, tmp, workers=1)
    try:
        server.wait_ready('/healthz/')
        worker = server.workers()[0]
        operation = loadgen.get(busting('/store/products/', suffix))
        done, samples, errors = 0, {}, 0
        t0 = time.perf_counter()
        for mark in marks:
            result = loadgen.run(HOST, port, operation, 2, total=mark - done)
            done, errors = mark, errors + result.errors
            samples[str(mark)] = rss_kib(worker)
        first, last = samples[str(marks[0])], samples[str(marks[-1])]
        return {'path': '/store/products/?_=<unique> (page 1, uncached)', 'rss_kib': samples,
                'growth': round((last - first) / first, 4), 'errors': errors,
                'seconds': round(time.perf_counter() - t0, 1)}
    finally:
        server.stop()


def generator_capacity(report):
    """What the load generator cost: CPU per request and its share of the machine during the run."""
    cpu = report.get('cpu_seconds', {})
    floor_rows = [row['floor'] for row in report.get('endpoints', {}).values()]
    per_request = [f['client_cpu_us_per_op'] for f in floor_rows if f['client_cpu_us_per_op']]
    best_floor = max((f['rate'] for f in floor_rows), default=0)
    wall = cpu.get('wall') or 1
    return {
        'client_cpu_us_per_request': round(statistics.median(per_request)) if per_request else None,
        'floor_best_rate': best_floor,
        'generator_cores_used': round(cpu.get('generator', 0) / wall, 2),
        'app_cores_used': round(cpu.get('app', 0) / wall, 2),
        'floor_cores_used': round(cpu.get('floor', 0) / wall, 2),
        'other_processes_cores_used': round(cpu.get('others', 0) / wall, 2),
    }


# ---------------------------------------------------------------------------------------------------
# The report

def verdict(ok):
    return 'PASS' if ok else 'FAIL'


def fmt(value, digits=1):
    if value is None:
        return '–'
    return f'{value:,.{digits}f}'


def markdown(reports, comparison=None):
    out = []
    machine = reports[0]['machine']
    out.append(f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, Linux "
               f"{machine['kernel']}; Python {machine['python']}, Django {machine['django']}, DRF {machine['drf']}, "
               f"gunicorn {machine['gunicorn']}; {machine['date']}; load average at start {machine['loadavg_at_start']:.2f}.")
    out.append('The load generator, the shop\'s 2 workers and the floor\'s 2 workers share these CPUs.')
    for report in reports:
        out.append('')
        mode = ' (quick)' if report['quick'] else ''
        ds = report['dataset']
        out.append(f"### {report['products']:,} products, {report['database']}{mode}")
        out.append('')
        out.append(f"{ds['collections']} collections, {report['products'] * 3:,} image rows, {ds['customers']:,} customers, "
                   f"{ds['orders']:,} orders ({ds['order_items']:,} lines); migrated in {report['migrate_seconds']} s, "
                   f"data inserted in {report['build_seconds']} s. Concurrency {report['concurrency']}, "
                   f"{report['rounds']} rounds of {report['round_seconds']} s per side.")
        out.append('')
        out.append('| endpoint | req/s | p50 ms | p99 ms | queries | in-process ms | floor req/s | ratio | target |')
        out.append('|---|---:|---:|---:|---:|---:|---:|---:|---|')
        for name, row in report['endpoints'].items():
            target = TARGETS.get(name)
            mark = f'≥ {target} {verdict(row["ratio"] is not None and row["ratio"] >= target)}' if target else ''
            errors = f' ({row["app"]["errors"]} errors)' if row['app']['errors'] else ''
            out.append(f"| {name} | {fmt(row['app']['rate'])}{errors} | {fmt(row['app']['p50_ms'], 2)} | "
                       f"{fmt(row['app']['p99_ms'], 2)} | {row['queries']} | {fmt(row['inprocess_ms'], 2)} | "
                       f"{fmt(row['floor']['rate'])} | {fmt(row['ratio'], 3)} | {mark} |")
        for concurrency, flow in report['write_flow'].items():
            ok = flow['ratio'] is not None and flow['ratio'] >= FLOW_TARGET
            errors = f' ({flow["app"]["errors"]} errors)' if flow['app']['errors'] else ''
            out.append(f"| write flow: cart + 3 items, c={concurrency} (flows/s) | {fmt(flow['app']['rate'])}{errors} | "
                       f"{fmt(flow['app']['p50_ms'], 2)} | {fmt(flow['app']['p99_ms'], 2)} | {flow['queries']} | "
                       f"{fmt(flow['inprocess_ms'], 2)} | {fmt(flow['floor']['rate'])} (4 req) | {fmt(flow['ratio'], 3)} | "
                       f"≥ {FLOW_TARGET} {verdict(ok)} |")
        if 'orders' in report:
            orders = report['orders']
            errors = f' ({orders["app"]["errors"]} errors)' if orders['app']['errors'] else ''
            out.append(f"| place an order (3 lines), c=4 (orders/s) | {fmt(orders['app']['rate'])}{errors} | "
                       f"{fmt(orders['app']['p50_ms'], 2)} | {fmt(orders['app']['p99_ms'], 2)} | "
                       f"{report['order_queries_by_lines']['5']} | – | {fmt(orders['floor']['rate'])} (c=4) | "
                       f"{fmt(orders['ratio'], 3)} | |")
        out.append('')
        q = report['order_queries_by_lines']
        out.append(f"Placing an order (in-process count): {q['1']} queries for 1 line, {q['5']} for 5, {q['50']} for 50 "
                   f"({verdict(q['1'] == q['50'])}: same for 1 and 50 lines).")
        memory = report.get('memory')
        marks = list(memory['rss_kib']) if memory else []
        if memory:
            out.append(f"Worker memory (1-worker server, {memory['path']}): RSS {memory['rss_kib'][marks[0]] / 1024:.1f} MiB "
                       f"after {int(marks[0]):,} requests, {memory['rss_kib'][marks[-1]] / 1024:.1f} MiB after "
                       f"{int(marks[-1]):,}: growth {memory['growth'] * 100:+.1f} % "
                       f"(target ≤ {MEMORY_LIMIT * 100:.0f} %: {verdict(memory['growth'] <= MEMORY_LIMIT)}).")
        gen = report['generator']
        out.append(f"Load generator: {gen['client_cpu_us_per_request']} µs of CPU per floor request; over the run it "
                   f"used {gen['generator_cores_used']} cores, the shop {gen['app_cores_used']}, the floor "
                   f"{gen['floor_cores_used']}, other processes {gen['other_processes_cores_used']} "
                   f"(of {machine['nproc']}). Best floor rate: {fmt(gen['floor_best_rate'])} req/s.")
        if report.get('profile'):
            out.append('')
            out.append('Where the time goes, in-process: the unprofiled ms per request (median, in-process column above) '
                       'split by the shares of pyinstrument samples in each category (the innermost matching frame '
                       'decides; SQL includes building model instances):')
            out.append('')
            categories = [c for c, _ in PROFILE_CATEGORIES] + [PROFILE_OTHER]
            names = list(report['profile'])
            out.append('| ms per request | ' + ' | '.join(names) + ' |')
            out.append('|---|' + '---:|' * len(names))
            totals = {n: report['endpoints'][n]['inprocess_ms'] for n in names}
            out.append('| **total** | ' + ' | '.join(f"**{totals[n]:.2f}**" for n in names) + ' |')
            for category in categories:
                shares = [report['profile'][n]['shares'].get(category) for n in names]
                if any(shares):
                    out.append(f'| {category} | ' + ' | '.join(
                        f'{share * totals[n]:.2f} ({share * 100:.0f} %)' if share else '–'
                        for n, share in zip(names, shares)) + ' |')
    if comparison:
        out.append('')
        out.extend(comparison)
    return '\n'.join(out)


def interleave_scales(reports, rounds, seconds):
    """The scale-sensitive endpoints of two scales served side by side, in alternating rounds.

    Run one after the other, two scales meet different machine conditions (this machine is shared);
    served at the same time and measured round by round in turn, both meet the same. Returns
    {row: {'small': summary, 'large': summary}}.
    """
    small, large = reports[0], reports[-1]
    tmp = Path(tempfile.mkdtemp(prefix='storefront-bench-scales-'))
    servers = []
    try:
        for side, report in (('small', small), ('large', large)):
            env = server_environment(report['database_url'], Path(report['temp_dir']))
            server = Server(f'app-{side}', 'storefront.wsgi', free_port(), env, tmp)
            servers.append(server)
        for server in servers:
            server.wait_ready('/healthz/')
        suffix = unique_suffix()
        for server in servers:
            loadgen.run(HOST, server.port, loadgen.get(busting('/store/products/', suffix)), 4, total=100)
        results = {}
        for name in SCALE_ROWS:
            operations = [loadgen.get(busting(report['endpoints'][name]['path'], suffix)) for report in (small, large)]
            merged = [loadgen.Result(), loadgen.Result()]
            for r in range(rounds):
                for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                    merged[i].merge(loadgen.run(HOST, servers[i].port, operations[i], CONCURRENCY, duration=seconds))
            results[name] = {'small': summary(merged[0]), 'large': summary(merged[1])}
            log(f"   side by side: {name:34s} p50 {results[name]['small']['p50_ms']} ms at {small['products']}, "
                f"{results[name]['large']['p50_ms']} ms at {large['products']}")
        return results
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def compare(small, large, side_by_side=None):
    """Latency at the large scale relative to the small one: side by side over HTTP, and in-process."""
    a_n, b_n = f"{small['products']:,}", f"{large['products']:,}"
    out = [f"### {b_n} vs {a_n} products", '']
    if side_by_side:
        out.append(f'Both scales served at the same time (2 workers each) and driven in alternating rounds at '
                   f'concurrency {CONCURRENCY}, so that both meet the same machine; the in-process columns come from '
                   f'the two runs above (single requests, no queueing).')
        out.append('')
        out.append(f'| endpoint (uncached) | p50 ms at {a_n} | p50 ms at {b_n} | × | req/s at {a_n} | req/s at {b_n} | '
                   f'in-process ms at {a_n} | at {b_n} | × | target (≤ {SCALE_LIMIT}×) |')
        out.append('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|')
    else:
        out.append(f'| endpoint | p50 ms at {a_n} | p50 ms at {b_n} | × | in-process ms at {a_n} | at {b_n} | × | '
                   f'target (≤ {SCALE_LIMIT}×) |')
        out.append('|---|---:|---:|---:|---:|---:|---:|---|')
    for name in SCALE_ROWS:
        a, b = small['endpoints'].get(name), large['endpoints'].get(name)
        if not a or not b:
            continue
        y = b['inprocess_ms'] / a['inprocess_ms']
        if side_by_side:
            pa, pb = side_by_side[name]['small'], side_by_side[name]['large']
        else:
            pa, pb = a['app'], b['app']
        x = pb['p50_ms'] / pa['p50_ms']
        if name.startswith('search'):
            mark = 'reported' + (f' (> {SCALE_EXPLAIN:.0f}×: see the notes)' if max(x, y) > SCALE_EXPLAIN else '')
        else:
            mark = verdict(x <= SCALE_LIMIT)
        cells = [name.replace(' (uncached)', ''), fmt(pa['p50_ms'], 2), fmt(pb['p50_ms'], 2), f'{x:.2f}']
        if side_by_side:
            cells += [fmt(pa['rate']), fmt(pb['rate'])]
        cells += [fmt(a['inprocess_ms'], 2), fmt(b['inprocess_ms'], 2), f'{y:.2f}', mark]
        out.append('| ' + ' | '.join(cells) + ' |')
    others = [n for n in large['endpoints'] if n not in SCALE_ROWS and n in small['endpoints']]
    out.append('')
    out.append('Other endpoints, in-process ms per request at ' + a_n + ' → ' + b_n + ': ' + '; '.join(
        f"{n} {small['endpoints'][n]['inprocess_ms']:.2f} → {large['endpoints'][n]['inprocess_ms']:.2f}" for n in others)
        + '.')
    return out


def versus(args, out):
    """A/B: the project in --versus DIR (A) and this one (B), side by side, each on its own fresh database."""
    products = args.products[0]
    rounds, seconds = args.rounds or 3, args.round_seconds or 2.0
    sides = {'A': Path(args.versus).resolve(), 'B': APP_DIR}
    reports = {}
    for side, app_dir in sides.items():
        json_path = out / f'.versus-{side}.json'
        command = [sys.executable, __file__, '--products', str(products), '--build-only', '--no-profile',
                   '--app-dir', str(app_dir), '--json-out', str(json_path), '--out', str(out)]
        subprocess.run(command, check=True)
        reports[side] = json.loads(json_path.read_text())
        json_path.unlink()
    tmp = Path(tempfile.mkdtemp(prefix='storefront-bench-ab-'))
    servers = {}
    try:
        for side, app_dir in sides.items():
            env = server_environment(reports[side]['database_url'], Path(reports[side]['temp_dir']))
            servers[side] = Server(f'app-{side}', 'storefront.wsgi', free_port(), env, tmp, app_dir=app_dir)
        floor_env = {k: v for k, v in os.environ.items() if k != 'DJANGO_SETTINGS_MODULE'}
        floor_env['FLOOR_BODY_BYTES'] = str(reports['B']['dataset']['floor_bytes'])
        servers['floor'] = Server('floor', 'bench.floor:application', free_port(), floor_env, tmp)
        for side, server in servers.items():
            server.wait_ready('/' if side == 'floor' else '/healthz/')
        suffix = unique_suffix()
        for side in ('A', 'B'):
            loadgen.run(HOST, servers[side].port, loadgen.get(busting('/store/products/', suffix)), 4, total=100)
        order = ['A', 'B', 'floor']

        def measure(operations, concurrency):
            merged = {side: loadgen.Result() for side in order}
            for r in range(rounds):
                for side in order[r % 3:] + order[:r % 3]:
                    merged[side].merge(loadgen.run(HOST, servers[side].port, operations[side], concurrency,
                                                   duration=seconds))
            return {side: summary(result) for side, result in merged.items()}

        rows = {}
        for name, path, bust in endpoint_rows(reports['B']['dataset']):
            operations = {'floor': loadgen.get('/')}
            for side in ('A', 'B'):
                side_path = reports[side]['endpoints'][name]['path']
                operations[side] = loadgen.get(busting(side_path, suffix)) if bust else loadgen.get(side_path)
                if not bust:
                    loadgen.run(HOST, servers[side].port, operations[side], 2, total=20)
            rows[name] = measure(operations, CONCURRENCY)
            log(f"   {name:40s} A {rows[name]['A']['rate']:8.1f}  B {rows[name]['B']['rate']:8.1f}  "
                f"floor {rows[name]['floor']['rate']:8.1f} req/s")
        for concurrency in (1, 4):
            name = f'write flow c={concurrency}'
            rows[name] = measure({'A': write_flow(products), 'B': write_flow(products), 'floor': floor_flow},
                                 concurrency)
            log(f"   {name:40s} A {rows[name]['A']['rate']:8.1f}  B {rows[name]['B']['rate']:8.1f}  "
                f"floor {rows[name]['floor']['rate']:8.1f} flows/s")
    finally:
        for server in servers.values():
            server.stop()
        for report in reports.values():
            shutil.rmtree(report['temp_dir'], ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    a_commit, b_commit = app_commit(sides['A']), app_commit(sides['B'])
    lines = [f'### A/B at {products:,} products: A = {a_commit} ({sides["A"]}), B = {b_commit} ({sides["B"]})', '',
             f'Served side by side (2 workers each, own fresh SQLite database each) with the floor, in alternating '
             f'rounds ({rounds} × {seconds} s per side) at concurrency {CONCURRENCY} (write flows: 1 and 4).', '',
             '| endpoint | A req/s | B req/s | B / A | A ÷ floor | B ÷ floor | queries A → B | in-process ms A → B |',
             '|---|---:|---:|---:|---:|---:|---|---|']
    for name, row in rows.items():
        a, b, f = row['A'], row['B'], row['floor']
        if name.startswith('write flow'):
            queries = f"{reports['A']['flow_inprocess']['queries']} → {reports['B']['flow_inprocess']['queries']}"
            ms = f"{reports['A']['flow_inprocess']['ms']:.2f} → {reports['B']['flow_inprocess']['ms']:.2f}"
        else:
            ea, eb = reports['A']['endpoints'][name], reports['B']['endpoints'][name]
            queries = f"{ea['queries']} → {eb['queries']}"
            ms = f"{ea['inprocess_ms']:.2f} → {eb['inprocess_ms']:.2f}"
        errors = ''.join(f' ({s}: {row[s]["errors"]} errors)' for s in ('A', 'B') if row[s]['errors'])
        lines.append(f"| {name}{errors} | {fmt(a['rate'])} | {fmt(b['rate'])} | "
                     f"{b['rate'] / a['rate'] if a['rate'] else float('nan'):.2f} | "
                     f"{a['rate'] / f['rate']:.3f} | {b['rate'] / f['rate']:.3f} | {queries} | {ms} |")
    text = '\n'.join(lines)
    (out / f'ab-{products}.md').write_text(text + '\n')
    (out / f'ab-{products}.json').write_text(json.dumps(
        {'A': a_commit, 'B': b_commit, 'rows': rows, 'machine': machine_description()}, indent=1) + '\n')
    print('\n' + text)


def log(message):
    print(message, flush=True)


def label(report):
    return f"{report['products']}-{report['database']}{'-quick' if report['quick'] else ''}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--products', type=int, nargs='+', default=[1000],
                        help='catalogue size(s); several run one after the other and are compared')
    parser.add_argument('--quick', action='store_true', help='a smoke run: under 2 minutes at 1,000 products')
    parser.add_argument('--database-url', help='mysql://… to run on MySQL/MariaDB (adds order placement); '
                                               'default: a SQLite file in a temp dir')
    parser.add_argument('--reset', action='store_true', help='drop and recreate the MySQL database if it has tables')
    parser.add_argument('--rounds', type=int, help='rounds per side per endpoint (default 4; quick 2)')
    parser.add_argument('--round-seconds', type=float, help='seconds per round (default 2.5; quick 0.75)')
    parser.add_argument('--memory-requests', type=lambda s: [int(v) for v in s.split(',')],
                        help='worker RSS sample points, e.g. 1000,20000 (default; quick 500,2000)')
    parser.add_argument('--skip-memory', action='store_true', help='skip the worker-memory check')
    parser.add_argument('--no-profile', action='store_true', help='skip the pyinstrument breakdown')
    parser.add_argument('--baseline', help='a results JSON of a smaller scale to compare against')
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results'), help='where results go')
    parser.add_argument('--keep', action='store_true', help='keep the temp dir (database, server logs)')
    parser.add_argument('--json-out', help=argparse.SUPPRESS)
    parser.add_argument('--keep-db', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--build-only', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--app-dir', help='measure the project in this directory (another checkout) instead')
    parser.add_argument('--versus', metavar='DIR',
                        help='A/B: serve the project in DIR (e.g. a worktree of an older commit) beside this one, '
                             'each on its own fresh database, in alternating rounds with the floor')
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.json_out:
        args.json_out = str(Path(args.json_out).resolve())  # setup_django changes the working directory
    global APP_DIR
    if args.app_dir:
        APP_DIR = Path(args.app_dir).resolve()
    if args.versus:
        return versus(args, out)

    if len(args.products) > 1:
        # One process per scale: each configures Django for its own database.
        reports = []
        for products in args.products:
            json_path = out / f'.scale-{products}.json'
            command = [sys.executable, __file__, '--products', str(products), '--json-out', str(json_path),
                       '--out', str(out)]
            if not args.database_url:
                command.append('--keep-db')  # for the side-by-side comparison below
            for flag in ('quick', 'reset', 'no_profile', 'keep', 'skip_memory'):
                if getattr(args, flag):
                    command.append('--' + flag.replace('_', '-'))
            if reports and '--skip-memory' not in command:
                command.append('--skip-memory')  # a per-worker property: measured once, at the first scale
            for option in ('database_url', 'rounds', 'round_seconds'):
                if getattr(args, option) is not None:
                    command += ['--' + option.replace('_', '-'), str(getattr(args, option))]
            if args.memory_requests:
                command += ['--memory-requests', ','.join(map(str, args.memory_requests))]
            done = subprocess.run(command)  # request failures are reported below, from its JSON
            if not json_path.exists():
                sys.exit(f'The {products}-product run failed (exit status {done.returncode}).')
            reports.append(json.loads(json_path.read_text()))
            json_path.unlink()
        reports.sort(key=lambda r: r['products'])
        side_by_side = None
        if not args.database_url:
            log(f"== {reports[0]['products']} and {reports[-1]['products']} products side by side")
            side_by_side = interleave_scales(reports, reports[0]['rounds'], reports[0]['round_seconds'])
            if not args.keep:
                for report in reports:
                    shutil.rmtree(report.pop('temp_dir'), ignore_errors=True)
        comparison = compare(reports[0], reports[-1], side_by_side)
        if side_by_side:
            (out / ('-'.join(str(r['products']) for r in reports) + '-side-by-side.json')).write_text(
                json.dumps(side_by_side, indent=1) + '\n')
        text = markdown(reports, comparison)
        name = '-'.join(str(r['products']) for r in reports) + f"-{reports[0]['database']}"
        (out / f'{name}.md').write_text(text + '\n')
        print('\n' + text)
        print(f'\nWritten to {out / (name + ".md")}')
        broken = [problem for report in reports for problem in failures(report)]
        if broken:
            sys.exit('Requests failed: ' + '; '.join(broken))
        return

    args.products = args.products[0]
    report = run_scale(args)
    if args.build_only:
        Path(args.json_out).write_text(json.dumps(report))
        return
    comparison = None
    if args.baseline:
        comparison = compare(json.loads(Path(args.baseline).read_text()), report)
    (out / f'{label(report)}.json').write_text(json.dumps(report, indent=1) + '\n')
    text = markdown([report], comparison)
    (out / f'{label(report)}.md').write_text(text + '\n')
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report))
    print('\n' + text)
    print(f'\nWritten to {out / (label(report) + ".md")} (raw numbers: .json beside it)')
    broken = failures(report)
    if broken:
        sys.exit('Requests failed (targets never fail the run, errors do): ' + '; '.join(broken))


def failures(report):
    """Measurements where the shop failed more than 1 % of its operations (or never succeeded)."""
    rows = {**report.get('endpoints', {}), **{f'write flow c={c}': f for c, f in report.get('write_flow', {}).items()}}
    if 'orders' in report:
        rows['orders'] = report['orders']
    broken = []
    for name, row in rows.items():
        ok, errors = row['app']['ok'], row['app']['errors']
        if ok == 0 or errors > 0.01 * (ok + errors):
            broken.append(f"{name}: {errors} errors, {ok} ok ({row['app']['first_error']})")
    if report.get('memory', {}).get('errors'):
        broken.append(f"memory check: {report['memory']['errors']} errors")
    return broken


if __name__ == '__main__':
    main()
