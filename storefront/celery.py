"""The Celery app. Its settings are the CELERY_* names in the Django settings (broker: REDIS_URL).

Without REDIS_URL, tasks run eagerly in the calling process, so the embedded default needs no broker.
"""
import os

from celery import Celery

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'storefront.settings.dev')

celery = Celery('storefront')
celery.config_from_object('django.conf:settings', namespace='CELERY')
celery.autodiscover_tasks()
