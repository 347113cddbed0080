"""Real servers the project-wide tests start in a subprocess: a free port, and a server that answers."""
import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(command, *, env, url, log_path, name, ready_path='/healthz/'):
    """Start `command` in the project folder; yield once `url` + `ready_path` answers (any HTTP status);
    stop it afterwards."""
    with open(log_path, 'w') as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f'{url}{ready_path}', timeout=5)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f'{name} did not start:\n{log_path.read_text()}') from None
                time.sleep(0.25)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
