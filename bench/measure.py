"""Measuring one scale: run_scale, with what it measures over HTTP (orders, memory, the generator's cost).

run_scale builds the database, takes the in-process numbers (bench/inprocess.py), then serves the
shop and the floor under gunicorn and drives them in alternating rounds (Rounds), so that machine
drift hits both alike; last, one worker's memory. It returns the report bench/report.py formats.
Stripe is a localstripe server started here: opening a payment includes one real HTTP call to it.
"""
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import loadgen
from bench.inprocess import (
    InProcess,
    access_token,
    flow_in_process,
    orders_in_process,
    payments_in_process,
    prepare_mysql,
    profile_breakdown,
    setup_django,
)
from bench.replica import measure_replica
from bench.report import log, summary
from bench.servers import (
    HOST,
    CpuMeter,
    LocalStripe,
    Server,
    floor_server,
    free_port,
    machine_description,
    rss_kib,
    server_environment,
)
from bench.workload import (
    CONCURRENCY,
    SEARCH_WORD,
    WEBHOOK_PATH,
    busting,
    endpoint_rows,
    floor_flow,
    succeeded_event,
    unique_suffix,
    write_flow,
)


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
    stripe = LocalStripe(tmp)
    try:
        return measure_scale(args, quick, rounds, seconds, repeats, memory_marks, mysql, tmp, database_url,
                             (app_port, floor_port, memory_port), stripe)
    finally:
        stripe.stop()


def measure_scale(args, quick, rounds, seconds, repeats, memory_marks, mysql, tmp, database_url, ports, stripe):
    app_port, floor_port, memory_port = ports
    env = server_environment(database_url, tmp, stripe.url)
    setup_django(env, args.app_dir)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # Payments came with issue 15: an older checkout measured (--app-dir, --versus) has none. The A/B
    # (--build-only) compares the endpoint rows only.
    with_payments = hasattr(settings, 'PAYMENT_PROVIDER') and not args.build_only

    report = {'products': args.products, 'database': connection.vendor, 'quick': quick,
              'concurrency': CONCURRENCY, 'rounds': rounds, 'round_seconds': seconds,
              'machine': machine_description(args.app_dir)}
    log(f'== {args.products} products on {connection.vendor} (temp dir {tmp})')

    if mysql:
        prepare_mysql(args.reset)
    t0 = time.perf_counter()
    call_command('migrate', verbosity=0)
    report['migrate_seconds'] = round(time.perf_counter() - t0, 1)
    from bench import dataset
    order_carts = (200 if quick else 8000) if mysql else 0
    payments = (300 if quick else 3000) if with_payments else 0  # per measurement: each request uses one up
    t0 = time.perf_counter()
    info = dataset.build(args.products, buyers=8, buyer_carts=order_carts, payment_orders=payments,
                         webhook_payments=payments)
    report['build_seconds'] = round(time.perf_counter() - t0, 1)
    report['dataset'] = {k: v for k, v in info.items()
                         if k not in ('buyer_carts', 'payment_orders', 'webhook_payments')}
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
    if with_payments:
        report['payment_queries'] = payments_in_process(inproc, info, env['STRIPE_WEBHOOK_SECRET'])
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
    app = Server('app', 'storefront.wsgi', app_port, env, tmp, args.app_dir)
    floor = floor_server(floor_port, env, tmp, floor_bytes)
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
        if args.replica_url:
            report['replica'] = measure_replica(args.replica_url, env, tmp, args.app_dir, results, app, rounds,
                                                seconds, suffix)

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
        if with_payments:
            report['payments'] = measure_payments(rounder, info, app, floor_get, env['STRIPE_WEBHOOK_SECRET'])
        for name, row in report.get('payments', {}).items():
            log(f'   {name}: {row["app"]["rate"]} req/s, floor {row["floor"]["rate"]}, ratio {row["ratio"]}, '
                f'errors {row["app"]["errors"]} {row["app"]["first_error"] or ""}')
        report['cpu_seconds'] = {k: round(v, 1) for k, v in meter.totals.items()}
    finally:
        for server in servers:
            server.stop()

    if not args.skip_memory:
        report['memory'] = measure_memory(env, tmp, args.app_dir, memory_port, memory_marks, suffix)
        log(f'   worker RSS (KiB) after n requests: {report["memory"]["rss_kib"]}')
    report['generator'] = generator_capacity(report)
    if mysql:
        report['database_url'] = 'mysql://…'
    if not (args.keep or args.keep_db):
        report.pop('temp_dir')
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def measure_orders(rounder, info, app, floor_get):
    """Order placement at concurrency 4: each order is a prepared cart (3 lines) of one of 8 buyers."""
    tokens = [access_token(user_id) for user_id in info['buyer_user_ids']]
    carts = info['buyer_carts']

    def request(client, index):
        payload = json.dumps({'cart_id': carts[index]}).encode()
        headers = [('Authorization', f'JWT {tokens[index % len(tokens)]}'), ('Idempotency-Key', f'bench-{index}')]
        return client.request('POST', '/store/orders/', payload, headers)

    app_result, floor_result, used = consume(rounder, app, floor_get, request, 201, len(carts))
    return {'concurrency': 4, 'lines_per_order': 3, 'app': summary(app_result), 'floor': summary(floor_result),
            'carts_prepared': len(carts), 'carts_used': used,
            'ratio': round(app_result.rate / floor_result.rate, 3) if floor_result.rate else None}


def measure_payments(rounder, info, app, floor_get, secret):
    """At concurrency 4: opening the payment of a prepared unpaid order (a PaymentIntent created at
    localstripe), and a signed payment_intent.succeeded webhook settling a prepared open payment."""
    tokens = {user_id: access_token(user_id) for _, user_id in info['payment_orders']}
    orders, intents = info['payment_orders'], info['webhook_payments']

    def open_payment(client, index):
        order_id, user_id = orders[index]
        return client.request('POST', f'/store/orders/{order_id}/payment/', b'',
                              [('Authorization', f'JWT {tokens[user_id]}')])

    def webhook(client, index):
        body, headers = succeeded_event(intents[index], info['payment_amount'], secret)
        return client.request('POST', WEBHOOK_PATH, body, list(headers.items()))

    from store.models import Order, Payment

    def applied(name, used):
        """What the requests left in the database: intents opened, or orders the webhooks marked paid."""
        if name == 'intent':
            return Payment.objects.filter(order_id__in=[order_id for order_id, _ in orders[:used]]).count()
        return Order.objects.filter(payments__provider_id__in=intents[:used], payments__status='succeeded',
                                    payment_status='C').count()

    rows = {}
    for name, request, expect, prepared in [('intent', open_payment, 201, len(orders)),
                                            ('webhook', webhook, 200, len(intents))]:
        app_result, floor_result, used = consume(rounder, app, floor_get, request, expect, prepared)
        rows[name] = {'concurrency': 4, 'app': summary(app_result), 'floor': summary(floor_result),
                      'prepared': prepared, 'used': used, 'applied': applied(name, used),
                      'ratio': round(app_result.rate / floor_result.rate, 3) if floor_result.rate else None}
    return rows


def consume(rounder, app, floor_get, request, expect, prepared):
    """Rounds at concurrency 4 of `request(client, index)`, each index used once (a prepared cart, order or
    payment), against the floor's GET at concurrency 4: (app result, floor result, indexes used)."""
    used = [0]  # indexes consumed by earlier rounds

    def operation(client, n):
        status, _, body = request(client, used[0] + n)
        if status != expect:
            raise loadgen.HTTPError(f'answered {status}, not {expect}: {body[:200]!r}')
        return True

    app_result, floor_result = loadgen.Result(), loadgen.Result()
    for r in range(rounder.rounds):
        for side in (('app', 'floor') if r % 2 == 0 else ('floor', 'app')):
            if side == 'floor':
                floor_result.merge(rounder.meter.measure(lambda: loadgen.run(
                    HOST, rounder.floor.port, floor_get, 4, duration=rounder.seconds)))
            elif used[0] < prepared:
                result = rounder.meter.measure(lambda: loadgen.run(
                    HOST, app.port, operation, 4, duration=rounder.seconds, total=prepared - used[0]))
                used[0] += result.ok + result.errors
                app_result.merge(result)
    return app_result, floor_result, used[0]


def measure_memory(env, tmp, app_dir, port, marks, suffix):
    """RSS of the only worker of a 1-worker server after `marks` uncached product-list requests."""
    server = Server('memory', 'storefront.wsgi', port, env, tmp, app_dir, workers=1)
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
