"""Production: DEBUG off, HTTPS everywhere, hashed static files, and no start without the real secrets."""
from .common import *
from .common import (
    BASE_DIR,
    LOG_LEVEL,
    STORAGES,
    database_config,
    env,
    env_bool,
    env_list,
    env_required,
    logging_config,
)

DEBUG = False
SECRET_KEY = env_required('SECRET_KEY')
env_required('ALLOWED_HOSTS')
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS')
DATABASES = {'default': database_config(env_required('DATABASE_URL'))}
CSRF_TRUSTED_ORIGINS = env_list('CSRF_TRUSTED_ORIGINS')

# WhiteNoise serves collected static files under content-hashed names, cached forever by browsers.
STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': 'whitenoise.storage.CompressedManifestStaticFilesStorage'}}

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
SECURE_SSL_REDIRECT = env_bool('SECURE_SSL_REDIRECT', True)
SECURE_HSTS_SECONDS = int(env('SECURE_HSTS_SECONDS', 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

LOGGING = logging_config(LOG_LEVEL, env('LOG_FILE', BASE_DIR / 'general.log'))
