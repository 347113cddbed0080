"""The test suite: hermetic (no .env, no debug toolbar), fast hashing, mail kept in memory.

DATABASE_URL and REDIS_URL still come from the real environment, so CI runs the same suite on
MariaDB and Redis.
"""
import tempfile

from .common import *  # noqa: F403

DEBUG = False
SECRET_KEY = 'test-only-secret-key-long-enough-for-hs256-signing'
ALLOWED_HOSTS = ['testserver', 'localhost', '127.0.0.1']

PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']
EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'
MEDIA_ROOT = tempfile.mkdtemp(prefix='storefront-test-media-')
