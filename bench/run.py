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
     on any database, at concurrency 4: opening an order's payment (a PaymentIntent created at a
     localstripe server started here) and signed Stripe webhooks (payment_intent.succeeded) paying
     prepared open payments, each against the floor;
  7. the memory of one gunicorn worker (1-worker server) after 1,000 and 20,000 product-list requests.
It prints a markdown report and writes it, with the raw numbers as JSON, to bench/results/.
docs/performance.md explains the method and the numbers. Missed targets never fail the run; failed
requests (more than 1 % of an endpoint's) make it exit non-zero.

This file is the command line; the rest of bench/: dataset.py (the data), inprocess.py (Django in this
process: query counts, timings, profile), servers.py (gunicorn processes, CPU and memory readings),
loadgen.py and workload.py (the load and what it requests), floor.py, measure.py (one scale),
scales.py (two scales compared), versus.py (the A/B), report.py (the markdown, the failure check).
"""
import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

# The bench package from this checkout, whichever one is measured: imported here, before Django setup
# puts the measured checkout (--app-dir, maybe with a bench/ of its own) first on sys.path, so that
# bench.dataset, imported only then, is this checkout's too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import run_scale
from bench.report import failures, label, log, markdown
from bench.scales import compare, interleave_scales
from bench.servers import ROOT
from bench.versus import versus


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--products', type=int, nargs='+', default=[1000],
                        help='catalogue size(s); several run one after the other and are compared')
    parser.add_argument('--quick', action='store_true', help='a smoke run: under 2 minutes at 1,000 products')
    parser.add_argument('--database-url', help='mysql://… to run on MySQL/MariaDB (adds order placement); '
                                               'default: a SQLite file in a temp dir')
    parser.add_argument('--replica-url', help='with --database-url: a replica of that database (mysql://…, same '
                        'database name); the catalogue is also measured with DATABASE_REPLICA_URL set')
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
    return parser.parse_args()


def main():
    args = parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.json_out:
        args.json_out = str(Path(args.json_out).resolve())  # setup_django changes the working directory
    # The project measured: this checkout, or another one, e.g. an older commit to compare with.
    args.app_dir = Path(args.app_dir).resolve() if args.app_dir else ROOT
    if args.versus:
        versus(args, out)
    elif len(args.products) > 1:
        several_scales(args, out)
    else:
        args.products = args.products[0]
        one_scale(args, out)


def several_scales(args, out):
    """Each scale in a run.py process of its own (each configures Django for its own database), then compared."""
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
        for option in ('database_url', 'replica_url', 'rounds', 'round_seconds'):
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
        side_by_side = interleave_scales(reports, reports[0]['rounds'], reports[0]['round_seconds'],
                                         args.app_dir)
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


def one_scale(args, out):
    """One scale in this process: <products>-<database>.md and .json (or, --build-only, the JSON for a parent)."""
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


if __name__ == '__main__':
    main()
