"""Local development: DEBUG on, the debug toolbar and Silk, and a `.env` file read into the environment."""
from pathlib import Path

from dotenv import load_dotenv

# Before the shared settings module is imported (it reads the environment once), so .env values count.
load_dotenv(Path(__file__).resolve().parent.parent.parent / '.env')

from .common import *
from .common import INSTALLED_APPS, MIDDLEWARE, env, env_list

DEBUG = True
SECRET_KEY = env('SECRET_KEY', 'django-insecure-dev-only-key-never-used-in-production')
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]'])

INSTALLED_APPS = [*INSTALLED_APPS, 'debug_toolbar', 'silk']
MIDDLEWARE = ['debug_toolbar.middleware.DebugToolbarMiddleware', *MIDDLEWARE, 'silk.middleware.SilkyMiddleware']
INTERNAL_IPS = ['127.0.0.1']
# The toolbar starts as a small handle (core/templates/debug_toolbar/base.html keeps the page clear of it).
DEBUG_TOOLBAR_CONFIG = {'SHOW_COLLAPSED': True}
# Silk shows every request, headers and bodies included: staff only, even in development.
SILKY_AUTHENTICATION = True
SILKY_AUTHORISATION = True
LOGIN_URL = 'admin:login'  # where Silk sends a visitor who is not logged in

EMAIL_BACKEND = env('EMAIL_BACKEND', 'django.core.mail.backends.console.EmailBackend')
# The course's client app (http://localhost:8001) calls the API from another origin.
CORS_ALLOWED_ORIGINS = env_list('CORS_ALLOWED_ORIGINS', ['http://localhost:8001', 'http://127.0.0.1:8001'])
