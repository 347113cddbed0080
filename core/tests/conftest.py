import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def in_process_tasks(eager_tasks):
    """Account e-mails are Celery tasks: run them in-process, so their mail reaches the outbox with REDIS_URL too."""


@pytest.fixture
def api_client(django_capture_on_commit_callbacks):
    """The API client, with each request's on-commit callbacks run when it ends, as a real commit runs them
    (the test's transaction never commits): account e-mails are queued after the commit."""
    class CommittingClient(APIClient):
        def generic(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return super().generic(*args, **kwargs)
    return CommittingClient()


@pytest.fixture
def small_throttle_rates(monkeypatch):
    """Every account throttle at 3 a minute: the 4th request is refused. DRF reads the rates into the
    throttle classes at import time, so the classes are patched, not the settings."""
    from core import throttles

    for throttle_class in vars(throttles).values():
        if isinstance(throttle_class, type) and getattr(throttle_class, 'scope', None):
            monkeypatch.setattr(throttle_class, 'THROTTLE_RATES', {throttle_class.scope: '3/min'})
