"""The A/B of two checkouts (--versus DIR): A is the project in DIR, B the one measured by this run.

Each side is built and measured in-process by this bench/run.py in a process of its own (--build-only
--app-dir), so that Django there imports that side's project; then both are served side by side with
the floor and driven in rotating rounds, and the table goes to bench/results/ab-<products>.md (.json
beside it).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import loadgen
from bench.report import fmt, log, summary
from bench.servers import HOST, Server, app_commit, floor_server, free_port, machine_description, server_environment
from bench.workload import CONCURRENCY, busting, endpoint_rows, floor_flow, unique_suffix, write_flow

RUN = Path(__file__).resolve().with_name('run.py')


def versus(args, out):
    """A/B: the project in --versus DIR (A) and this one (B), side by side, each on its own fresh database."""
    products = args.products[0]
    rounds, seconds = args.rounds or 3, args.round_seconds or 2.0
    sides = {'A': Path(args.versus).resolve(), 'B': args.app_dir}
    reports = {}
    for side, app_dir in sides.items():
        json_path = out / f'.versus-{side}.json'
        command = [sys.executable, str(RUN), '--products', str(products), '--build-only', '--no-profile',
                   '--app-dir', str(app_dir), '--json-out', str(json_path), '--out', str(out)]
        subprocess.run(command, check=True)
        reports[side] = json.loads(json_path.read_text())
        json_path.unlink()
    tmp = Path(tempfile.mkdtemp(prefix='storefront-bench-ab-'))
    servers = {}
    try:
        for side, app_dir in sides.items():
            env = server_environment(reports[side]['database_url'], Path(reports[side]['temp_dir']))
            servers[side] = Server(f'app-{side}', 'storefront.wsgi', free_port(), env, tmp, app_dir)
        servers['floor'] = floor_server(free_port(), os.environ, tmp, reports['B']['dataset']['floor_bytes'])
        for side, server in servers.items():
            server.wait_ready('/' if side == 'floor' else '/healthz/')
        rows = measure_sides(servers, reports, products, rounds, seconds)
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
             *table(rows, reports)]
    text = '\n'.join(lines)
    (out / f'ab-{products}.md').write_text(text + '\n')
    (out / f'ab-{products}.json').write_text(json.dumps(
        {'A': a_commit, 'B': b_commit, 'rows': rows, 'machine': machine_description(args.app_dir)}, indent=1) + '\n')
    print('\n' + text)


def measure_sides(servers, reports, products, rounds, seconds):
    """Every endpoint row and both write flows, on A, B and the floor in turn, each round starting elsewhere."""
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
    return rows


def table(rows, reports):
    """The A/B table: rates, B / A, each side's ratio to the floor, and the in-process numbers of both."""
    lines = ['| endpoint | A req/s | B req/s | B / A | A ÷ floor | B ÷ floor | queries A → B | in-process ms A → B |',
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
    return lines
