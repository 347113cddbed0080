"""The report: progress lines, a run's results as markdown, and the checks that make a run fail.

Missed targets are marked FAIL in the tables but never fail the run; failed requests do (failures()).
"""
from bench.inprocess import PROFILE_CATEGORIES, PROFILE_OTHER
from bench.workload import CONCURRENCY

# Ratio-to-floor targets (None: reported, no target). Keys are row names.
TARGETS = {
    'product list page 1 (uncached)': 0.15,
    'product list page 1 (warm cache)': 0.5,
    'product detail (warm cache)': 0.5,
    'collections (warm cache)': 0.5,
    'cart with 5 lines': 0.2,
}
FLOW_TARGET = 0.14
PAYMENT_ROWS = {
    'intent': 'open a payment: POST /store/orders/{id}/payment/ (Stripe)',
    'webhook': 'Stripe webhook: POST /store/payments/stripe/webhook/, payment_intent.succeeded',
}
PAYMENTS_NOTE = (
    'Payments run with the Stripe provider against a localstripe server the benchmark starts (STRIPE_API_BASE): '
    'opening a payment creates a PaymentIntent there, so its time includes one HTTP round trip to localstripe, '
    'which shares the CPUs; each request opens another prepared unpaid order '
    '({intent[used]} of {intent[prepared]} used, {intent[applied]} payments opened). Each webhook is a distinct payment_intent.succeeded event, '
    'signed with the server\'s STRIPE_WEBHOOK_SECRET (HMAC-SHA256 of "t.body"), for another prepared open payment, '
    'which it marks paid; without Redis, Celery runs the payment-received e-mail in the request, to a dummy '
    'backend ({webhook[used]} of {webhook[prepared]} used, {webhook[applied]} orders paid).')
MEMORY_LIMIT = 0.10


def log(message):
    print(message, flush=True)


def summary(result):
    """A loadgen.Result as the report keeps it (the JSON's 'app', 'floor', 'A', 'B'... entries)."""
    return {
        'rate': round(result.rate, 1),
        'p50_ms': round(result.percentile(50) * 1000, 2),
        'p99_ms': round(result.percentile(99) * 1000, 2),
        'ok': result.ok,
        'errors': result.errors,
        'first_error': result.first_error,
        'client_cpu_us_per_op': round(result.client_cpu / result.ok * 1e6) if result.ok else None,
    }


def verdict(ok):
    return 'PASS' if ok else 'FAIL'


def fmt(value, digits=1):
    if value is None:
        return '–'
    return f'{value:,.{digits}f}'


# "No slower": the rate with the read replica at least this share of the rate without (rounds vary by a few %).
REPLICA_LIMIT = 0.95


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
        for name, row in report.get('payments', {}).items():
            errors = f' ({row["app"]["errors"]} errors)' if row['app']['errors'] else ''
            out.append(f"| {PAYMENT_ROWS[name]}, c=4 (req/s) | {fmt(row['app']['rate'])}{errors} | "
                       f"{fmt(row['app']['p50_ms'], 2)} | {fmt(row['app']['p99_ms'], 2)} | "
                       f"{report['payment_queries'][name]} | – | {fmt(row['floor']['rate'])} (c=4) | "
                       f"{fmt(row['ratio'], 3)} | |")
        out.append('')
        q = report['order_queries_by_lines']
        out.append(f"Placing an order (in-process count): {q['1']} queries for 1 line, {q['5']} for 5, {q['50']} for 50 "
                   f"({verdict(q['1'] == q['50'])}: same for 1 and 50 lines).")
        if report.get('payments'):
            out.append(PAYMENTS_NOTE.format(intent=report['payments']['intent'], webhook=report['payments']['webhook']))
        memory = report.get('memory')
        marks = list(memory['rss_kib']) if memory else []
        if memory:
            out.append(f"Worker memory (1-worker server, {memory['path']}): RSS {memory['rss_kib'][marks[0]] / 1024:.1f} MiB "
                       f"after {int(marks[0]):,} requests, {memory['rss_kib'][marks[-1]] / 1024:.1f} MiB after "
                       f"{int(marks[-1]):,}: growth {memory['growth'] * 100:+.1f} % "
                       f"(target ≤ {MEMORY_LIMIT * 100:.0f} %: {verdict(memory['growth'] <= MEMORY_LIMIT)}).")
        if report.get('replica'):
            out.extend(replica_table(report['replica']))
            out.append('')
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


def label(report):
    return f"{report['products']}-{report['database']}{'-quick' if report['quick'] else ''}"


def failures(report):
    """Measurements where the shop failed more than 1 % of its operations (or never succeeded)."""
    rows = {**report.get('endpoints', {}), **{f'write flow c={c}': f for c, f in report.get('write_flow', {}).items()}}
    if 'orders' in report:
        rows['orders'] = report['orders']
    rows.update({f'payments: {name}': row for name, row in report.get('payments', {}).items()})
    broken = [f"payments: {name}: {row['app']['ok']} answered, {row['applied']} applied in the database"
              for name, row in report.get('payments', {}).items() if row['applied'] < row['app']['ok']]
    for name, row in rows.items():
        ok, errors = row['app']['ok'], row['app']['errors']
        if ok == 0 or errors > 0.01 * (ok + errors):
            broken.append(f"{name}: {errors} errors, {ok} ok ({row['app']['first_error']})")
    if report.get('memory', {}).get('errors'):
        broken.append(f"memory check: {report['memory']['errors']} errors")
    return broken


def replica_table(results):
    """The catalogue with the read replica beside it without (bench/replica.py)."""
    out = ['', f'Read replica (DATABASE_REPLICA_URL, a MariaDB replica on its own server on this machine): two shops '
           f'on the same data, one also reading the replica, in alternating rounds at concurrency {CONCURRENCY}.', '',
           '| endpoint | req/s without | req/s with the replica | × | p50 ms without | p50 ms with | '
           f'target (≥ {REPLICA_LIMIT}×) |',
           '|---|---:|---:|---:|---:|---:|---|']
    for name, row in results.items():
        a, b = row['without'], row['with']
        x = b['rate'] / a['rate'] if a['rate'] else 0
        out.append(f"| {name} | {fmt(a['rate'])} | {fmt(b['rate'])} | {x:.2f} | {fmt(a['p50_ms'], 2)} | "
                   f"{fmt(b['p50_ms'], 2)} | {verdict(x >= REPLICA_LIMIT)} |")
    return out
