# Load the Celery app with Django, so that @shared_task binds to it.
from .celery import celery

__all__ = ('celery',)
