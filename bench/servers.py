"""The servers the benchmark starts, and the machine they run on: gunicorn processes, their CPU and memory.

The shop is served from the checkout measured (`app_dir`: this one, or another one given by --app-dir
or --versus); the floor (bench/floor.py) always from this one, ROOT, since it belongs to the benchmark.
Stripe is a localstripe server (the project's dev dependency) the benchmark starts beside them.
"""
import datetime
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import loadgen

HOST = '127.0.0.1'
# This checkout: the one the benchmark's own code (and the floor) comes from.
ROOT = Path(__file__).resolve().parent.parent


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


def machine_description(app_dir):
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
        'commit': app_commit(app_dir),
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


def server_environment(database_url, tmp, stripe_url=None):
    """The shop's environment; with `stripe_url` (a localstripe), Stripe takes the payments."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('REDIS_URL', 'DJANGO_SETTINGS_MODULE', 'PORT') and not k.startswith(('STRIPE_', 'PAYMENT_'))}
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
        'THROTTLE_ANON_WRITE_RATE': '1000000/min',  # the write flow's carts are anonymous
        'WEB_CONCURRENCY': '2',
    })
    if stripe_url:
        env.update({'STRIPE_SECRET_KEY': 'sk_test_bench', 'STRIPE_WEBHOOK_SECRET': 'whsec_' + secrets.token_hex(24),
                    'STRIPE_API_BASE': stripe_url})
    return env


class LocalStripe:
    """A localstripe server (a Stripe-compatible API, in memory) on a free port: `url`; stopped with stop()."""

    def __init__(self, tmp):
        self.port = free_port()
        self.url = f'http://{HOST}:{self.port}'
        self.log = open(tmp / 'localstripe.log', 'w')
        executable = Path(sys.executable).parent / 'localstripe'
        if not executable.exists():
            raise RuntimeError(f'{executable} is missing: install the dev packages (pipenv sync --dev)')
        self.proc = subprocess.Popen([str(executable), '--port', str(self.port), '--from-scratch'],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f'localstripe did not start; see {self.log.name}')
                time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Server:
    """A gunicorn master started with the config of `app_dir`, in `app_dir`; stopped with SIGTERM."""

    def __init__(self, name, app, port, env, tmp, app_dir, workers=2):
        self.name, self.port = name, port
        self.log = open(tmp / f'{name}.log', 'w')
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


def floor_server(port, env, tmp, body_bytes):
    """The floor (bench/floor.py), from this checkout, answering `body_bytes` bytes.

    floor.py configures Django in code, so the settings module goes; the rest of `env` and
    gunicorn.conf.py apply as to the shop.
    """
    floor_env = {k: v for k, v in env.items() if k != 'DJANGO_SETTINGS_MODULE'}
    floor_env['FLOOR_BODY_BYTES'] = str(body_bytes)
    return Server('floor', 'bench.floor:application', port, floor_env, tmp, ROOT)


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
