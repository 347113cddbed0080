"""Production: DEBUG off, HTTPS everywhere, hashed static files, and no start without the real secrets."""
from django.core.exceptions import ImproperlyConfigured

from .common import *
from .common import (
    ALLOWED_HOSTS,
    BASE_DIR,
    DATABASE_URL,
    EMAIL_BACKEND,
    LOG_FILE,
    LOG_LEVEL,
    MEDIA_S3,
    SECRET_KEY,
    STORAGES,
    env,
    logging_config,
    require,
)

# Read by common.py like everything else; here they have no fallback.
require(SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS=ALLOWED_HOSTS, DATABASE_URL=DATABASE_URL)
# Half an object store configuration would put images on this node's disk (no bucket) or fail at the
# first upload (no keys): refused at start, with the names that are missing.
if any(MEDIA_S3.values()):
    missing = [name for name in ('AWS_STORAGE_BUCKET_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY')
               if not MEDIA_S3[name]]
    if missing:
        given = ', '.join(name for name, value in MEDIA_S3.items() if value)
        raise ImproperlyConfigured(f'Media on object storage is half configured: {given} set, but not '
                                   f'{", ".join(missing)}.')

DEBUG = False
EMAIL_BACKEND = EMAIL_BACKEND or 'django.core.mail.backends.smtp.EmailBackend'
CSRF_TRUSTED_ORIGINS = env.list('CSRF_TRUSTED_ORIGINS', default=[])

# WhiteNoise serves collected static files under content-hashed names, cached forever by browsers.
STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': 'whitenoise.storage.CompressedManifestStaticFilesStorage'}}

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
SECURE_SSL_REDIRECT = env.bool('SECURE_SSL_REDIRECT', default=True)
SECURE_HSTS_SECONDS = env.int('SECURE_HSTS_SECONDS', default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# The one derived value prod builds again: its log file has a default (the course's general.log).
LOGGING = logging_config(LOG_LEVEL, LOG_FILE or BASE_DIR / 'general.log')
