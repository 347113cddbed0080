"""Local development: DEBUG on, the debug toolbar and Silk, and a `.env` file read into the environment.

The toolbar and Silk are development packages (`.pipenv/bin/pipenv sync --dev`); prod and test never
import them.
"""
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# The one step that must come before the import below: common.py reads the environment as it is
# imported, so the .env values join it first (variables already set in the real environment win).
environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / '.env')

from .common import *  # noqa: E402,F403  isort: skip
from .common import (  # noqa: E402  isort: skip
    ALLOWED_HOSTS,
    CONTENT_SECURITY_POLICY,
    CONTENT_SECURITY_POLICY_MIDDLEWARE,
    CORS_ALLOWED_ORIGINS,
    EMAIL_BACKEND,
    INSTALLED_APPS,
    MIDDLEWARE,
    SECRET_KEY,
)

try:
    import silk  # noqa: F401
    from debug_toolbar.settings import PANELS_DEFAULTS
except ImportError as error:
    raise ImproperlyConfigured(f'storefront.settings.dev needs the development packages ({error}): '
                               'run `.pipenv/bin/pipenv sync --dev`.') from None

DEBUG = True
SECRET_KEY = SECRET_KEY or 'django-insecure-dev-only-key-never-used-in-production'
ALLOWED_HOSTS = ALLOWED_HOSTS or ['localhost', '127.0.0.1', '[::1]']

INSTALLED_APPS = [*INSTALLED_APPS, 'debug_toolbar', 'silk']
# The toolbar adds its scripts, with the page's nonce, after the view: the policy's header is written
# outside it, once the nonce is known.
MIDDLEWARE = [
    CONTENT_SECURITY_POLICY_MIDDLEWARE,
    'debug_toolbar.middleware.DebugToolbarMiddleware',
    *(middleware for middleware in MIDDLEWARE if middleware != CONTENT_SECURITY_POLICY_MIDDLEWARE),
    'silk.middleware.SilkyMiddleware',
]
INTERNAL_IPS = ['127.0.0.1']
# The toolbar starts as a small handle (core/templates/debug_toolbar/base.html keeps the page clear of it).
DEBUG_TOOLBAR_CONFIG = {'SHOW_COLLAPSED': True}
# Without the History panel: it re-parses JSON bodies after the view, where deeply nested JSON (the
# API's 400) escaped as a RecursionError. Silk keeps every request's history.
DEBUG_TOOLBAR_PANELS = [panel for panel in PANELS_DEFAULTS if panel != 'debug_toolbar.panels.history.HistoryPanel']
# Silk shows every request, headers and bodies included: staff only, even in development.
SILKY_AUTHENTICATION = True
SILKY_AUTHORISATION = True
LOGIN_URL = 'admin:login'  # where Silk sends a visitor who is not logged in
# Silk's pages are built on inline scripts and styles; they exist only here, for staff.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY, 'EXCLUDE_URL_PREFIXES': ['/silk/']}

EMAIL_BACKEND = EMAIL_BACKEND or 'django.core.mail.backends.console.EmailBackend'
# The course's client app (http://localhost:8001) calls the API from another origin.
CORS_ALLOWED_ORIGINS = CORS_ALLOWED_ORIGINS or ['http://localhost:8001', 'http://127.0.0.1:8001']
