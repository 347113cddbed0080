"""Settings shared by every environment.

This module is the one place that reads the process environment (12-factor): `dev.py`, `test.py`
and `prod.py` only choose defaults and what must be present. Apps never read `os.environ`.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    """The variable's value, or `default` when it is unset or empty."""
    return os.environ.get(name) or default


def env_required(name):
    value = env(name)
    if value is None:
        raise ImproperlyConfigured(f'The environment variable {name} is required with these settings.')
    return value


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in ('1', 'true', 'yes', 'on')


def env_list(name, default=()):
    value = env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(',') if item.strip()]


def database_config(url):
    """Django's DATABASES entry for a DATABASE_URL, with the options each engine needs."""
    config = dj_database_url.parse(url, conn_max_age=int(env('DB_CONN_MAX_AGE', '60')), conn_health_checks=True)
    if config['ENGINE'] == 'django.db.backends.mysql':
        config.setdefault('OPTIONS', {}).update({
            'charset': 'utf8mb4',
            'init_command': "SET sql_mode='STRICT_TRANS_TABLES'",
        })
        config['TEST'] = {'CHARSET': 'utf8mb4', 'COLLATION': 'utf8mb4_unicode_ci'}
    return config


def cache_config(redis_url):
    """Redis (shared by every worker) when REDIS_URL is set, else a per-process memory cache."""
    if redis_url:
        return {
            'BACKEND': 'django_redis.cache.RedisCache',
            'LOCATION': redis_url,
            'TIMEOUT': 10 * 60,
            'OPTIONS': {'CLIENT_CLASS': 'django_redis.client.DefaultClient'},
        }
    return {
        'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
        'LOCATION': 'storefront',
        'TIMEOUT': 10 * 60,
    }


SECRET_KEY = env('SECRET_KEY')
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS')

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'rest_framework',
    'django_filters',
    'djoser',
    'core',
    'store',
    'tags',
    'likes',
    'store_custom',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]

ROOT_URLCONF = 'storefront.urls'

TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
            ],
        },
    },
]

WSGI_APPLICATION = 'storefront.wsgi.application'

DATABASE_URL = env('DATABASE_URL', f'sqlite:///{BASE_DIR / "db.sqlite3"}')
DATABASES = {'default': database_config(DATABASE_URL)}

REDIS_URL = env('REDIS_URL')
CACHES = {'default': cache_config(REDIS_URL)}

AUTH_USER_MODEL = 'core.User'

AUTH_PASSWORD_VALIDATORS = [
    {'NAME': 'django.contrib.auth.password_validation.UserAttributeSimilarityValidator'},
    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},
    {'NAME': 'django.contrib.auth.password_validation.CommonPasswordValidator'},
    {'NAME': 'django.contrib.auth.password_validation.NumericPasswordValidator'},
]

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = True
USE_TZ = True

STATIC_URL = '/static/'
STATIC_ROOT = BASE_DIR / 'static'
MEDIA_URL = '/media/'
MEDIA_ROOT = Path(env('MEDIA_ROOT', BASE_DIR / 'media'))

DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

REST_FRAMEWORK = {
    'COERCE_DECIMAL_TO_STRING': False,
    # JWT for API clients; the session lets staff logged into the admin use the browsable API.
    'DEFAULT_AUTHENTICATION_CLASSES': [
        'rest_framework_simplejwt.authentication.JWTAuthentication',
        'rest_framework.authentication.SessionAuthentication',
    ],
    # No global permission: every view states its own (carts and reviews stay anonymous).
    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.AllowAny'],
    'DEFAULT_THROTTLE_RATES': {
        'login': env('THROTTLE_LOGIN_RATE', '30/min'),
        'registration': env('THROTTLE_REGISTRATION_RATE', '30/min'),
    },
    # Clients are identified by REMOTE_ADDR unless this many trusted proxies append to X-Forwarded-For.
    'NUM_PROXIES': int(env('NUM_PROXIES', '0')),
}

SIMPLE_JWT = {
    'AUTH_HEADER_TYPES': ('JWT', 'Bearer'),
    'ACCESS_TOKEN_LIFETIME': timedelta(minutes=int(env('JWT_ACCESS_TOKEN_MINUTES', 24 * 60))),
    'REFRESH_TOKEN_LIFETIME': timedelta(minutes=int(env('JWT_REFRESH_TOKEN_MINUTES', 7 * 24 * 60))),
}

DJOSER = {
    'SERIALIZERS': {
        'user_create': 'core.serializers.UserCreateSerializer',
        'user': 'core.serializers.UserSerializer',
        'current_user': 'core.serializers.UserSerializer',
    },
    # The SPA's page that completes a password reset with the e-mailed uid and token.
    'PASSWORD_RESET_CONFIRM_URL': 'password-reset/{uid}/{token}',
}

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {
        'verbose': {'format': '{asctime} ({levelname}) - {name} - {message}', 'style': '{'},
    },
    'handlers': {
        'console': {'class': 'logging.StreamHandler', 'formatter': 'verbose'},
    },
    'root': {'handlers': ['console'], 'level': env('DJANGO_LOG_LEVEL', 'INFO')},
}
