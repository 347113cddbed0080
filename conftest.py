import pytest
from model_bakery import baker
from rest_framework.test import APIClient


def pytest_report_header(config):
    from django.conf import settings
    database = settings.DATABASES['default']
    return [f"database: {database['ENGINE']} {database.get('HOST') or database['NAME']}",
            f"cache: {settings.CACHES['default']['BACKEND']}"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with empty caches (cached catalogue pages, throttle counters)."""
    from django.core.cache import caches
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def authenticate(api_client, django_user_model):
    """Log the API client in as a new saved user and return that user."""
    def do_authenticate(is_staff=False, **fields):
        user = baker.make(django_user_model, is_staff=is_staff, **fields)
        api_client.force_authenticate(user=user)
        return user
    return do_authenticate


@pytest.fixture
def make_customer(django_user_model):
    """Create a user and return the Customer that the user's post_save signal gave them.

    (baker.make(Customer) cannot be used: it saves a second Customer for the same user.)
    """
    from store.models import Customer

    def do_make_customer(**user_fields):
        return Customer.objects.get(user=baker.make(django_user_model, **user_fields))
    return do_make_customer


@pytest.fixture
def eager_tasks():
    """Run queued Celery tasks in-process, as without REDIS_URL, even when the environment sets REDIS_URL
    (then the tasks would go to the broker, and their mail never reach the test's outbox)."""
    from storefront.celery import celery
    was_eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = True
    yield
    celery.conf.task_always_eager = was_eager
