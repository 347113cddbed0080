import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client(django_capture_on_commit_callbacks):
    """The API client, with each request's on-commit callbacks run when it ends, as a real commit runs them
    (the test's transaction never commits): account e-mails are queued after the commit."""
    class CommittingClient(APIClient):
        def generic(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return super().generic(*args, **kwargs)
    return CommittingClient()
