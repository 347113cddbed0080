"""The test suite: hermetic (no .env, no debug toolbar), fast hashing, mail kept in memory.

DATABASE_URL and REDIS_URL still come from the real environment (read by common.py), so CI runs the
same suite on MariaDB and Redis.
"""
import atexit
import shutil
import tempfile
from urllib.parse import urlsplit, urlunsplit

from .common import *
from .common import CACHES, CONTENT_SECURITY_POLICY, MEDIA_ORIGIN, REDIS_URL, STORAGES, env

DEBUG = False
SECRET_KEY = 'test-only-secret-key-long-enough-for-hs256-signing'
ALLOWED_HOSTS = ['testserver', 'localhost', '127.0.0.1']

PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']
EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'
MEDIA_ROOT = tempfile.mkdtemp(prefix='storefront-test-media-')
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)  # uploads and seeded images go with the process
# There, whatever the environment names: the S3 tests start their own server (store/tests/test_media_s3.py).
STORAGES = {**STORAGES, 'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'}}
if MEDIA_ORIGIN:
    CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'].remove(MEDIA_ORIGIN)

if REDIS_URL:
    # Each pytest-xdist worker gets its own Redis database, so clearing the cache in one worker's test
    # cannot disturb another's.
    worker_number = int(env.str('PYTEST_XDIST_WORKER', default='gw0').removeprefix('gw'))
    CACHES = {'default': {**CACHES['default'],
                          'LOCATION': urlunsplit(urlsplit(REDIS_URL)._replace(path=f'/{1 + worker_number}'))}}
    CACHES['throttle'] = {**CACHES['default'], 'KEY_PREFIX': 'throttle'}
else:
    # Per process, as the tests run in one (tests/test_shared_throttles.py runs the files of prod).
    CACHES = {**CACHES, 'throttle': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
                                     'LOCATION': 'storefront-throttle'}}

# Serve static files from the apps (no collectstatic before tests), as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
