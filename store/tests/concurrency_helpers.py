"""Real concurrency for the race tests: each worker runs in a thread of its own, so on its own database
connection, against committed data (the tests use `transaction=True`).

On MariaDB and PostgreSQL the workers start together at a barrier and really race for the row locks.
SQLite cannot write from two connections at once (a write locks the whole database), so there they run one
after another.
"""
import threading

from django.db import connection
from rest_framework.test import APIClient

# How long a worker may wait at the barrier or for its locks before the test calls it a hang.
THREAD_TIMEOUT = 60

SKIP_ON_SQLITE_REASON = ('a race needs concurrent writers; SQLite locks the whole database for each write '
                         '(runs on MariaDB and PostgreSQL in CI: .ci/run)')


def run_workers(workers):
    """Run each worker in a thread of its own and return what each returned, in order.

    A worker that raises (a deadlock, a lock timeout, an IntegrityError...) or hangs fails the test.
    """
    concurrent = connection.vendor != 'sqlite'
    barrier = threading.Barrier(len(workers) if concurrent else 1)
    outcomes = [None] * len(workers)

    def run(index, worker):
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[index] = worker()
        except BaseException as error:  # reported by the assertions below, not lost in the thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, worker), daemon=True)
               for index, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
        if not concurrent:
            thread.join(THREAD_TIMEOUT)
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), 'a worker hung (deadlock?)'
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == [], f'unexpected errors: {errors!r}'
    return outcomes


def api_request(user, method, url, data=None, format='json'):
    """A worker sending one request as `user` (None: anonymous); it returns (status code, JSON body or None).

    A server error comes back as a 500 response: the test client's got_request_exception receiver is
    global, so re-raising would also fail the other requests in flight at that moment.
    """
    def worker():
        client = APIClient(raise_request_exception=False)
        if user is not None:
            client.force_authenticate(user=user)
        response = getattr(client, method)(url, data, format=format)
        if response.status_code >= 500 or not response.content:
            return response.status_code, response.content[:200] or None
        return response.status_code, response.json()
    return worker
