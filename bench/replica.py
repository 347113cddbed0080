"""The catalogue with a read replica beside it without: --replica-url (MySQL/MariaDB runs only).

Two shops on the same database, one also given DATABASE_REPLICA_URL (a replica of the benchmark's
database, on its own server), driven in alternating rounds so that both meet the same machine. The
replica is first waited for until it has applied everything the data set wrote. Call with Django set
up on the primary (bench/measure.py does).
"""
import time

import dj_database_url

from bench import loadgen
from bench.report import log, summary
from bench.servers import HOST, Server, free_port
from bench.workload import CONCURRENCY, busting

# The catalogue reads the replica serves: uncached (they reach the database) and a warm-cache one.
ROWS = ['product list page 1 (uncached)', 'product detail (uncached)', 'collections (uncached)',
        'product list page 1 (warm cache)']


def mysql_connection(url):
    import MySQLdb
    settings = dj_database_url.parse(url)
    return MySQLdb.connect(host=settings['HOST'], port=int(settings['PORT']), user=settings['USER'],
                           password=settings['PASSWORD'])


def wait_for_replica(primary_url, replica_url, timeout=600):
    """Until the replica has applied every transaction the primary has logged."""
    primary, replica = mysql_connection(primary_url), mysql_connection(replica_url)
    try:
        cursor = primary.cursor()
        cursor.execute('SELECT @@gtid_binlog_pos')
        position = cursor.fetchone()[0]
        t0 = time.perf_counter()
        cursor = replica.cursor()
        cursor.execute('SELECT MASTER_GTID_WAIT(%s, %s)', [position, timeout])
        if cursor.fetchone()[0] != 0:
            raise RuntimeError(f'the replica did not catch up with the primary in {timeout} s')
        return round(time.perf_counter() - t0, 1)
    finally:
        primary.close()
        replica.close()


def measure_replica(replica_url, env, tmp, app_dir, endpoints, without, rounds, seconds, suffix):
    """{row: {'without': summary, 'with': summary}} for ROWS; `without` is the shop already serving."""
    from store.caching import bump_catalogue_version

    # The shop already serving has the catalogue's pages cached by now (an uncached row's cache-busting
    # parameter is ignored on lookup): a new version makes both start from an empty cache.
    bump_catalogue_version()
    waited = wait_for_replica(env['DATABASE_URL'], replica_url)
    log(f'   the replica caught up in {waited} s')
    with_replica = Server('app-replica', 'storefront.wsgi', free_port(), {**env, 'DATABASE_REPLICA_URL': replica_url},
                          tmp, app_dir)
    try:
        with_replica.wait_ready('/healthz/')
        _, _, body = loadgen.Client(HOST, with_replica.port).request('GET', '/healthz/')
        if b'"replica": "ok"' not in body:
            raise RuntimeError(f'the shop with the replica reports {body!r}')
        loadgen.run(HOST, with_replica.port, loadgen.get(busting('/store/products/', suffix)), 4, total=100)
        results = {}
        for name in ROWS:
            path = endpoints[name]['path']
            operation = loadgen.get(busting(path, suffix)) if '(uncached)' in name else loadgen.get(path)
            merged = loadgen.alternate(HOST, [without.port, with_replica.port], [operation, operation], CONCURRENCY,
                                       rounds, seconds)
            results[name] = {'without': summary(merged[0]), 'with': summary(merged[1])}
            log(f"   replica: {name:34s} {results[name]['without']['rate']} req/s without, "
                f"{results[name]['with']['rate']} with")
        return results
    finally:
        with_replica.stop()
