"""A small closed-loop HTTP load generator: N threads, each with its own connection, over raw sockets.

It speaks just enough HTTP/1.1 for the benchmark (Content-Length bodies, or a body that ends when the
server closes) and keeps the connection open when the server allows it. gunicorn's sync workers close
the connection after every response, so against them every request pays for a TCP connect: the same
for the shop and for the floor. Threads block in socket calls with the GIL released; the Python work
per request is a few tens of microseconds, which `Result.client_cpu` lets the report state.
"""
import socket
import threading
import time

RECV_BYTES = 256 * 1024


class HTTPError(Exception):
    pass


class Client:
    """One connection to host:port, reopened whenever the server closed it."""

    def __init__(self, host, port, timeout=30):
        self.host, self.port, self.timeout = host, port, timeout
        self.host_header = f'{host}:{port}'.encode()
        self.sock = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method, path, body=b'', headers=()):
        """Send one request; returns (status, {lower-case header: value}, body bytes)."""
        head = [f'{method} {path} HTTP/1.1'.encode(), b'Host: ' + self.host_header, b'Accept: application/json']
        head.extend(f'{name}: {value}'.encode() for name, value in headers)
        if body or method in ('POST', 'PUT', 'PATCH'):
            head.append(b'Content-Type: application/json')
            head.append(f'Content-Length: {len(body)}'.encode())
        raw = b'\r\n'.join(head) + b'\r\n\r\n' + body
        for attempt in (1, 2):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(raw)
                return self._read_response()
            except (ConnectionError, HTTPError):
                self.close()
                # A kept-alive connection the server had already closed: retry once on a new one.
                if not reused or attempt == 2:
                    raise

    def _read_response(self):
        sock = self.sock
        buf = b''
        while True:
            end = buf.find(b'\r\n\r\n')
            if end >= 0:
                break
            chunk = sock.recv(RECV_BYTES)
            if not chunk:
                raise HTTPError('connection closed before the response headers')
            buf += chunk
        lines = buf[:end].decode('latin-1').split('\r\n')
        status = int(lines[0].split(' ', 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        body = buf[end + 4:]
        length = headers.get('content-length')
        if length is not None:
            length = int(length)
            while len(body) < length:
                chunk = sock.recv(RECV_BYTES)
                if not chunk:
                    raise HTTPError('connection closed inside the body')
                body += chunk
            if headers.get('connection', '').lower() == 'close':
                self.close()
        else:
            if headers.get('transfer-encoding', '').lower() == 'chunked':
                raise HTTPError('chunked responses are not supported')
            while True:
                chunk = sock.recv(RECV_BYTES)
                if not chunk:
                    break
                body += chunk
            self.close()
        return status, headers, body


class Result:
    def __init__(self):
        self.ok = 0
        self.errors = 0
        self.latencies = []   # seconds, successful operations only
        self.elapsed = 0.0
        self.client_cpu = 0.0  # CPU seconds this process used meanwhile (the generator's own cost)
        self.first_error = None

    def merge(self, other):
        self.ok += other.ok
        self.errors += other.errors
        self.latencies.extend(other.latencies)
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu
        self.first_error = self.first_error or other.first_error
        return self

    @property
    def rate(self):
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p):
        if not self.latencies:
            return float('nan')
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


def run(host, port, operation, concurrency, duration=None, total=None):
    """Call `operation(client, n)` from `concurrency` threads for `duration` seconds (or `total` calls).

    `operation` performs one or more requests and returns True when they all succeeded; `n` is a
    number unique within this run (for cache-busting parameters). Returns a Result.
    """
    result = Result()
    lock = threading.Lock()
    counter = iter(range(10 ** 12))
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker():
        client = Client(host, port)
        ok = errors = 0
        latencies = []
        first_error = None
        start_gate.wait()
        clock = time.perf_counter
        while True:
            with lock:
                n = next(counter)
            if total is not None and n >= total:
                break
            started = clock()
            if duration is not None and started >= deadline[0]:
                break
            try:
                success = operation(client, n)
            except Exception as error:  # a refused or reset connection counts as a failed operation
                success = False
                first_error = first_error or repr(error)
                client.close()
            if success:
                ok += 1
                latencies.append(clock() - started)
            else:
                errors += 1
        client.close()
        with lock:
            result.ok += ok
            result.errors += errors
            result.latencies.extend(latencies)
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    deadline[0] = t0 + (duration or 0)
    start_gate.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - t0
    result.client_cpu = time.process_time() - cpu0
    return result


def alternate(host, ports, operations, concurrency, rounds, seconds):
    """Two servers driven in turn, `rounds` rounds of `seconds` each (the first one first in even rounds),
    so that both meet the same machine: a merged Result for each, in the order of `ports`."""
    merged = [Result(), Result()]
    for r in range(rounds):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            merged[i].merge(run(host, ports[i], operations[i], concurrency, duration=seconds))
    return merged


def get(path, expect=200):
    """An operation: GET `path` (a string, or a function of n giving the path)."""
    make_path = path if callable(path) else (lambda n: path)

    def operation(client, n):
        status, _, _ = client.request('GET', make_path(n))
        if status != expect:
            raise HTTPError(f'GET {make_path(n)} answered {status}')
        return True
    return operation
