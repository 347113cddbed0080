"""Settings shared by every environment, and the one place that reads the process environment.

Every variable the environments share is read here, once, with django-environ (`env`). `dev.py`,
`test.py` and `prod.py` import everything from this module and override only what differs. Where
their fallbacks differ, the value read here is None (or an empty list) and each module completes it:
dev with a development default, prod by refusing to start without it (`require`), test with a value
of its own. A variable only one environment uses (prod's HTTPS knobs, pytest-xdist's worker id) is
read there, with the same `env`. No variable is read twice, and apps never read `os.environ`.
"""
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import environ
from celery.schedules import crontab
from corsheaders.defaults import default_headers
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class Env(environ.Env):
    """django-environ's reader (typed values, `.env` files), with two rules of this project.

    An empty variable counts as unset: `CORS_ALLOWED_ORIGINS=` in a .env or compose file keeps the
    default. Values are taken literally: django-environ would read `$NAME` as "the value of NAME",
    but a generated SECRET_KEY or a password can start with `$`.
    """

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        value = self.ENVIRON.get(var)
        if not value:
            if default is self.NOTSET:
                raise ImproperlyConfigured(f'The environment variable {var} is required with these settings.')
            return self.parse_value(default, cast) if parse_default and default is not None else default
        if cast is None and default is not self.NOTSET and default is not None:
            cast = type(default)  # as django-environ does: env('PORT', default=25) is an int
        return self.parse_value(value, cast)

    def list(self, var, default=environ.Env.NOTSET):
        """Comma-separated values, without the spaces around them or empty ones: 'a, b,' is ['a', 'b']."""
        return [item for item in super().list(var, cast=str.strip, default=default) if item]


env = Env()


def require(**values):
    """Refuse to start without these values (prod.py), each read above from the variable of its name."""
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ImproperlyConfigured(' '.join(
            f'The environment variable {name} is required with these settings.' for name in missing))


# Completed by each environment: dev falls back to development values, prod requires them, test has its own.
SECRET_KEY = env.str('SECRET_KEY', default=None)
ALLOWED_HOSTS = env.list('ALLOWED_HOSTS', default=[])

INSTALLED_APPS = [
    # First: its templates override the admin's, DRF's, drf-spectacular's and the debug toolbar's.
    'core',
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'corsheaders',
    'rest_framework',
    'django_filters',
    'djoser',
    # Refresh tokens are recorded, and blacklisted on rotation and on logout.
    'rest_framework_simplejwt.token_blacklist',
    # Locks out the admin login (and the API's) per username and client address after repeated failures.
    'axes',
    'csp',
    'drf_spectacular',
    'drf_spectacular_sidecar',
    'store',
    'tags',
    'likes',
    'store_custom',
]

# dev puts it outside the debug toolbar, whose scripts carry the page's nonce.
CONTENT_SECURITY_POLICY_MIDDLEWARE = 'core.middleware.ContentSecurityPolicyMiddleware'
MIDDLEWARE = [
    'corsheaders.middleware.CorsMiddleware',
    # Before anything reads a body: one over MAX_REQUEST_BODY_BYTES is a 413 (with the CORS headers).
    'core.middleware.RequestBodyLimitMiddleware',
    'django.middleware.security.SecurityMiddleware',
    'whitenoise.middleware.WhiteNoiseMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
    # Cached catalogue pages are answered here, before the session, CSRF, auth and DRF machinery.
    'store.caching.CatalogueCacheMiddleware',
    CONTENT_SECURITY_POLICY_MIDDLEWARE,
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    'axes.middleware.AxesMiddleware',
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, address) pair before the password is checked.
    'axes.backends.AxesStandaloneBackend',
    'django.contrib.auth.backends.ModelBackend',
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

# prod requires DATABASE_URL; dev and test default to the SQLite file db.sqlite3 in the project folder.
# Parsed by dj-database-url: django-environ's db_url keeps a percent-encoded socket path (mysql://u@%2Frun%2F...)
# as the host and passes MySQL's ?ssl-ca= to the driver unconverted.
DATABASE_URL = env.str('DATABASE_URL', default=None)
# A read replica of it: the public catalogue's reads go there (store/replica.py says when).
DATABASE_REPLICA_URL = env.str('DATABASE_REPLICA_URL', default=None)
# After a write, the writer reads from the primary this long (read-your-writes).
DATABASE_REPLICA_PIN_SECONDS = env.int('DATABASE_REPLICA_PIN_SECONDS', default=5)


def database(url):
    settings = dj_database_url.parse(url, conn_max_age=env.int('DB_CONN_MAX_AGE', default=60), conn_health_checks=True)
    if settings['ENGINE'] == 'django.db.backends.sqlite3':
        settings.setdefault('OPTIONS', {}).update({
            # Readers never wait for the writer, and a commit costs no fsync of the whole file.
            'init_command': 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;',
            # Writers queue at BEGIN instead of failing with "database is locked" on lock upgrade.
            'transaction_mode': 'IMMEDIATE',
            'timeout': 20,
        })
    if settings['ENGINE'] == 'django.db.backends.mysql':
        settings.setdefault('OPTIONS', {}).update({
            'charset': 'utf8mb4',
            'init_command': "SET sql_mode='STRICT_TRANS_TABLES'",
        })
        settings['TEST'] = {'CHARSET': 'utf8mb4', 'COLLATION': 'utf8mb4_unicode_ci'}
    return settings


DATABASES = {'default': database(DATABASE_URL or f'sqlite:///{BASE_DIR / "db.sqlite3"}')}
if DATABASE_REPLICA_URL:
    DATABASES['replica'] = database(DATABASE_REPLICA_URL)
    if DATABASES['replica']['ENGINE'] != 'django.db.backends.sqlite3':
        # A replica that does not answer is given up on in 2 s (then the primary serves: store/replica.py).
        DATABASES['replica'].setdefault('OPTIONS', {})['connect_timeout'] = 2
    # No ping before each request's first query: a failed replica read is served again from the primary
    # (store/replica.py), and the ping would cost every catalogue read a round trip.
    DATABASES['replica']['CONN_HEALTH_CHECKS'] = False
    # Tests read the replica's copy of the test database (Django sets its NAME to the primary's).
    DATABASES['replica']['TEST'] = {'MIRROR': 'default'}
    DATABASE_ROUTERS = ['store.replica.ReplicaRouter']
    # Around the cached pages' middleware: it sees every write (to pin its writer) and every catalogue read.
    MIDDLEWARE.insert(MIDDLEWARE.index('store.caching.CatalogueCacheMiddleware'), 'store.replica.ReplicaRoutingMiddleware')

# Redis (shared by every worker) when REDIS_URL is set, else a per-process memory cache.
REDIS_URL = env.str('REDIS_URL', default=None)
if REDIS_URL:
    CACHES = {'default': {
        'BACKEND': 'django_redis.cache.RedisCache',
        'LOCATION': REDIS_URL,
        'TIMEOUT': 10 * 60,
        'OPTIONS': {
            'CLIENT_CLASS': 'django_redis.client.DefaultClient',
            # A Redis outage must cost milliseconds, not requests: fail fast and fall back to the database.
            'SOCKET_CONNECT_TIMEOUT': 0.5,
            'SOCKET_TIMEOUT': 0.5,
        },
    }}
else:
    CACHES = {'default': {
        'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
        'LOCATION': 'storefront',
        'TIMEOUT': 10 * 60,
    }}
# Throttle counters must be seen by every process of the deployment, or each worker allows the full
# rate: Redis when there is one, else files that all local processes share.
CACHES['throttle'] = ({**CACHES['default'], 'KEY_PREFIX': 'throttle'} if REDIS_URL else {
    'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache',
    'LOCATION': env.str('THROTTLE_CACHE_DIR', default=str(Path(tempfile.gettempdir()) / 'storefront-throttle')),
    'OPTIONS': {'MAX_ENTRIES': 10_000},
})
# A cache outage degrades to "no cache" (logged), never to errors.
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Celery: Redis is the broker (and result store) when configured; otherwise tasks run in-process.
# In-process tasks still open a (memory) broker connection; naming a host keeps kombu from warning.
CELERY_BROKER_URL = REDIS_URL or 'memory://localhost/'
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing gives up quickly when the broker is down; callers log it and carry on.
CELERY_TASK_PUBLISH_RETRY_POLICY = {'max_retries': 1, 'interval_start': 0, 'interval_step': 0.2, 'interval_max': 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {'socket_connect_timeout': 1, 'socket_timeout': 5}
# Besides each app's tasks module (autodiscovered): the payments' periodic tasks.
CELERY_IMPORTS = ['store.payments.tasks']
CELERY_BEAT_SCHEDULE = {
    'purge-stale-carts': {
        'task': 'store.tasks.purge_stale_carts',
        'schedule': crontab(hour=3, minute=30),
    },
    # Rotation blacklists a refresh token at every refresh: rows past their expiry protect nothing.
    'flush-expired-tokens': {
        'task': 'core.tasks.flush_expired_tokens',
        'schedule': crontab(hour=4, minute=0),
    },
    'expire-unpaid-orders': {
        'task': 'store.payments.tasks.expire_unpaid_orders',
        'schedule': timedelta(minutes=1),
    },
    'watch-promotion-windows': {
        'task': 'store.tasks.watch_promotion_windows',
        'schedule': timedelta(minutes=1),
    },
    'reconcile-payments': {
        'task': 'store.payments.tasks.reconcile_payments',
        'schedule': timedelta(minutes=5),
    },
}
STALE_CART_DAYS = 90

# Money and payments (store.payments; docs/payments.md). Amounts are fixed on the order when it is placed.
CURRENCY = env.str('CURRENCY', default='USD').upper()
TAX_RATE = Decimal(env.str('TAX_RATE', default='0.1'))  # the course's rate
STRIPE_SECRET_KEY = env.str('STRIPE_SECRET_KEY', default='')
STRIPE_WEBHOOK_SECRET = env.str('STRIPE_WEBHOOK_SECRET', default='')
STRIPE_API_BASE = env.str('STRIPE_API_BASE', default='')  # a local Stripe-compatible server; '' is Stripe's
# Manual (bank transfer, cash on delivery: staff mark orders paid) unless Stripe is configured.
PAYMENT_PROVIDER = 'stripe' if STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET else 'manual'
# Unpaid orders are cancelled (their stock returned) this many minutes after placement; 0: never.
PAYMENT_TIMEOUT_MINUTES = env.int('PAYMENT_TIMEOUT', default=30 if PAYMENT_PROVIDER == 'stripe' else 0)
PAYMENT_TIMEOUT = timedelta(minutes=PAYMENT_TIMEOUT_MINUTES) if PAYMENT_TIMEOUT_MINUTES > 0 else None
# Payments still open after this long are looked up at the provider, in case a webhook was missed.
PAYMENT_RECONCILE_AFTER = timedelta(minutes=env.int('PAYMENT_RECONCILE_AFTER', default=10))

# dev falls back to the course's client app.
CORS_ALLOWED_ORIGINS = env.list('CORS_ALLOWED_ORIGINS', default=[])
# A browser SPA may send Idempotency-Key on checkout and read whether the answer was a replay.
CORS_ALLOW_HEADERS = (*default_headers, 'idempotency-key')
CORS_EXPOSE_HEADERS = ['Idempotent-Replayed']

# HTML pages run only this site's scripts and styles, and the inline ones the page marks with its nonce
# (django-csp; core.middleware.ContentSecurityPolicyMiddleware). Style attributes stay allowed: DRF's
# browsable API places a few buttons with them, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    'DIRECTIVES': {
        'default-src': [csp.SELF],
        'script-src': [csp.SELF, csp.NONCE],
        'style-src': [csp.SELF, csp.NONCE],
        'style-src-attr': [csp.UNSAFE_INLINE],
        'img-src': [csp.SELF, 'data:'],
        'object-src': [csp.NONE],
        'base-uri': [csp.SELF],
        'form-action': [csp.SELF],
        'frame-ancestors': [csp.NONE],
    },
}

# A CSRF refusal on the API is JSON like its other errors (core.views.csrf_failure).
CSRF_FAILURE_VIEW = 'core.views.csrf_failure'

# Request bodies: one limit for all of a body, files included (core.middleware.RequestBodyLimitMiddleware).
MAX_REQUEST_BODY_BYTES = env.int('MAX_REQUEST_BODY_BYTES', default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# E-mail: SMTP configured from the environment. Unset EMAIL_BACKEND: dev prints to the console, prod
# sends through SMTP, test keeps mail in memory.
EMAIL_BACKEND = env.str('EMAIL_BACKEND', default=None)
EMAIL_HOST = env.str('EMAIL_HOST', default='localhost')
EMAIL_PORT = env.int('EMAIL_PORT', default=25)
EMAIL_HOST_USER = env.str('EMAIL_HOST_USER', default='')
EMAIL_HOST_PASSWORD = env.str('EMAIL_HOST_PASSWORD', default='')
EMAIL_USE_TLS = env.bool('EMAIL_USE_TLS', default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str('DEFAULT_FROM_EMAIL', default='Storefront <noreply@storefront.local>')
ADMINS = [('Storefront admin', address) for address in env.list('ADMIN_EMAILS', default=[])]
# Used in e-mailed links (password reset, activation) when there is no request to read them from.
DOMAIN = env.str('DOMAIN', default='localhost:8000')
SITE_NAME = env.str('SITE_NAME', default='Storefront')

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
MEDIA_ROOT = Path(env.str('MEDIA_ROOT', default=BASE_DIR / 'media'))
# Uploaded images are best served by the web server in front (nginx); a small deployment without one
# can let Django serve them.
SERVE_MEDIA = env.bool('SERVE_MEDIA', default=False)
# Product images with more pixels (width x height) are refused: a small file can decode to gigabytes.
MAX_IMAGE_PIXELS = env.int('MAX_IMAGE_PIXELS', default=25_000_000)


def s3_media_storage(*, bucket, access_key, secret_key, endpoint_url=None, region=None, base_url=None):
    """The STORAGES entry that keeps product images in an S3-compatible bucket (django-storages).

    `base_url` (MEDIA_BASE_URL: a CDN, or the bucket's public address) replaces the bucket's own
    address in image URLs; without it they are the endpoint's object URLs.
    """
    options = {
        'bucket_name': bucket, 'access_key': access_key, 'secret_key': secret_key,
        'endpoint_url': endpoint_url, 'region_name': region,
        # Product images are public (the bucket's policy lets anyone read them): unsigned URLs are the
        # same on every render and every node, so cached catalogue pages never hold expired signatures.
        'querystring_auth': False,
        # A taken name gets a suffix, as on the filesystem: two uploads of photo.jpg must not share one
        # object, which deleting either image would remove.
        'file_overwrite': False,
    }
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ('http', 'https') or not parts.netloc or parts.query or parts.fragment:
            raise ImproperlyConfigured(
                f'MEDIA_BASE_URL must be an http(s) address such as https://cdn.example.com/media/, not {base_url!r}.')
        options.update(custom_domain=parts.netloc + parts.path.rstrip('/'), url_protocol=f'{parts.scheme}:')
    return {'BACKEND': 'storages.backends.s3.S3Storage', 'OPTIONS': options}


# Product images go to an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME names one, so that every web
# node reads and writes the same files; else to MEDIA_ROOT on this machine. prod refuses a partial set.
MEDIA_S3 = {name: env.str(name, default=None) for name in (
    'AWS_STORAGE_BUCKET_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_S3_ENDPOINT_URL',
    'AWS_S3_REGION_NAME', 'MEDIA_BASE_URL')}
STORAGES = {
    'default': s3_media_storage(
        bucket=MEDIA_S3['AWS_STORAGE_BUCKET_NAME'], access_key=MEDIA_S3['AWS_ACCESS_KEY_ID'],
        secret_key=MEDIA_S3['AWS_SECRET_ACCESS_KEY'], endpoint_url=MEDIA_S3['AWS_S3_ENDPOINT_URL'],
        region=MEDIA_S3['AWS_S3_REGION_NAME'], base_url=MEDIA_S3['MEDIA_BASE_URL'],
    ) if MEDIA_S3['AWS_STORAGE_BUCKET_NAME'] else {'BACKEND': 'django.core.files.storage.FileSystemStorage'},
    'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'},
}
# Where image URLs point, from which the admin's thumbnails load: the base URL, else the endpoint (boto
# addresses a bucket by path there), else the bucket's AWS host. None: this site's /media/.
MEDIA_ORIGIN = None
if MEDIA_S3['AWS_STORAGE_BUCKET_NAME']:
    media_address = urlsplit(MEDIA_S3['MEDIA_BASE_URL'] or MEDIA_S3['AWS_S3_ENDPOINT_URL']
                             or f"https://{MEDIA_S3['AWS_STORAGE_BUCKET_NAME']}.s3.amazonaws.com")
    MEDIA_ORIGIN = f'{media_address.scheme}://{media_address.netloc}'
    CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'].append(MEDIA_ORIGIN)

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
    # The account rates (core/throttles.py) count every caller by client address, token or not, and some the
    # account or address named too.
    'DEFAULT_THROTTLE_RATES': {
        # Anonymous reviews, carts and cart-item changes per client address (store/throttles.py); reads are free.
        'anon_write': env.str('THROTTLE_ANON_WRITE_RATE', default='300/min'),
        'login': env.str('THROTTLE_LOGIN_RATE', default='30/min'),
        'login_account': env.str('THROTTLE_LOGIN_ACCOUNT_RATE', default='10/min'),
        'registration': env.str('THROTTLE_REGISTRATION_RATE', default='30/min'),
        'account_email': env.str('THROTTLE_ACCOUNT_EMAIL_RATE', default='20/hour'),
        'account_email_address': env.str('THROTTLE_ACCOUNT_EMAIL_ADDRESS_RATE', default='5/hour'),
        'password_check': env.str('THROTTLE_PASSWORD_CHECK_RATE', default='10/hour'),
    },
    # Clients are identified by REMOTE_ADDR unless this many trusted proxies append to X-Forwarded-For.
    'NUM_PROXIES': env.int('NUM_PROXIES', default=0),
    'DEFAULT_SCHEMA_CLASS': 'core.schema.StorefrontAutoSchema',
    # The store's business errors (store.exceptions) become 400/404/422 responses here, in one place.
    'EXCEPTION_HANDLER': 'store.exception_handler.exception_handler',
    # DRF's JSON parser, with JSON nested too deeply for Python a 400 instead of a RecursionError.
    'DEFAULT_PARSER_CLASSES': [
        'core.parsers.JSONParser',
        'rest_framework.parsers.FormParser',
        'rest_framework.parsers.MultiPartParser',
    ],
}

SPECTACULAR_SETTINGS = {
    'TITLE': 'Storefront API',
    'DESCRIPTION': (
        'The storefront: a product catalogue with collections, reviews and images; anonymous carts; '
        'customers and orders. Log in at /auth/jwt/create/ and send `Authorization: JWT <access token>` '
        '(or `Bearer`).'
    ),
    'VERSION': '1.0.0',
    'SERVE_INCLUDE_SCHEMA': False,
    # Separate request and response components: read-only fields (ids, computed prices) are not inputs.
    'COMPONENT_SPLIT_REQUEST': True,
    # Swagger UI and ReDoc assets are served from this site, not a CDN.
    'SWAGGER_UI_DIST': 'SIDECAR',
    'SWAGGER_UI_FAVICON_HREF': 'SIDECAR',
    'REDOC_DIST': 'SIDECAR',
}

SIMPLE_JWT = {
    'AUTH_HEADER_TYPES': ('JWT', 'Bearer'),
    'ACCESS_TOKEN_LIFETIME': timedelta(minutes=env.int('JWT_ACCESS_TOKEN_MINUTES', default=24 * 60)),
    'REFRESH_TOKEN_LIFETIME': timedelta(minutes=env.int('JWT_REFRESH_TOKEN_MINUTES', default=7 * 24 * 60)),
    # A refresh answers a new refresh token too; the one used is blacklisted (token_blacklist).
    'ROTATE_REFRESH_TOKENS': True,
    'BLACKLIST_AFTER_ROTATION': True,
    # Each token carries a hash of the password hash it was issued under: a password change or reset
    # makes every earlier token (access tokens included) fail on the next request.
    'CHECK_REVOKE_TOKEN': True,
    'REVOKE_TOKEN_CLAIM': 'hash_password',
}

# django-axes: after AXES_FAILURE_LIMIT failed logins for one username from one address, that pair (only)
# is refused until AXES_COOLOFF_MINUTES have passed; staff elsewhere can still log in.
AXES_FAILURE_LIMIT = env.int('AXES_FAILURE_LIMIT', default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int('AXES_COOLOFF_MINUTES', default=30))
AXES_LOCKOUT_PARAMETERS = [['username', 'ip_address']]
AXES_RESET_ON_SUCCESS = True
# No start-up banner in every process's log (and after the test summary).
AXES_VERBOSE = False
# The client address as DRF's throttles see it: REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies.
AXES_CLIENT_IP_CALLABLE = 'core.throttles.client_address'

DJOSER = {
    # JWT only: no authtoken table to clean up on logout or account deletion.
    'TOKEN_MODEL': None,
    'SERIALIZERS': {
        'user_create': 'core.serializers.UserCreateSerializer',
        'user': 'core.serializers.UserSerializer',
        'current_user': 'core.serializers.UserSerializer',
        'activation': 'core.serializers.ActivationSerializer',
        'password_reset_confirm': 'core.serializers.PasswordResetConfirmSerializer',
        'username_reset_confirm': 'core.serializers.UsernameResetConfirmSerializer',
    },
    # The SPA's pages that complete a password reset / an account activation with the e-mailed uid and token.
    'PASSWORD_RESET_CONFIRM_URL': 'password-reset/{uid}/{token}',
    'USERNAME_RESET_CONFIRM_URL': 'username-reset/{uid}/{token}',
    'ACTIVATION_URL': 'activate/{uid}/{token}',
    # Verify the e-mail address (activation link) before the first login.
    'SEND_ACTIVATION_EMAIL': env.bool('SEND_ACTIVATION_EMAIL', default=False),
    # Sent by a Celery task after the commit (core.emails, core.tasks): an SMTP outage never fails a request.
    'EMAIL': {
        'activation': 'core.emails.ActivationEmail',
        'confirmation': 'core.emails.ConfirmationEmail',
        'password_reset': 'core.emails.PasswordResetEmail',
        'password_changed_confirmation': 'core.emails.PasswordChangedConfirmationEmail',
        'username_changed_confirmation': 'core.emails.UsernameChangedConfirmationEmail',
        'username_reset': 'core.emails.UsernameResetEmail',
    },
}


def logging_config(level, log_file=None):
    """Console logging, plus a rotating file (as the course's general.log) when `log_file` is given.

    Every record is printed once: Django's own console handler on the `django` logger is replaced
    (its records reach the root's handlers); errors are still mailed to ADMINS when DEBUG is off.
    """
    handlers = {
        'console': {'class': 'logging.StreamHandler', 'formatter': 'verbose'},
        'mail_admins': {'class': 'django.utils.log.AdminEmailHandler', 'level': 'ERROR',
                        'filters': ['require_debug_false']},
    }
    if log_file:
        handlers['file'] = {
            'class': 'logging.handlers.RotatingFileHandler', 'filename': str(log_file),
            'maxBytes': 10 * 1024 * 1024, 'backupCount': 5, 'formatter': 'verbose',
        }
    return {
        'version': 1,
        'disable_existing_loggers': False,
        'filters': {'require_debug_false': {'()': 'django.utils.log.RequireDebugFalse'}},
        'formatters': {
            'verbose': {'format': '{asctime} ({levelname}) - {name} - {message}', 'style': '{'},
        },
        'handlers': handlers,
        'root': {'handlers': [name for name in handlers if name != 'mail_admins'], 'level': level},
        'loggers': {
            'django': {'handlers': ['mail_admins'], 'level': level, 'propagate': True},
            # The Stripe SDK logs every request at INFO; its errors reach the payment services' own logs.
            'stripe': {'level': 'WARNING'},
        },
    }


LOG_LEVEL = env.str('DJANGO_LOG_LEVEL', default='INFO').upper()
# A rotating log file besides the console when LOG_FILE is set (prod defaults to general.log).
LOG_FILE = env.str('LOG_FILE', default=None)
LOGGING = logging_config(LOG_LEVEL, LOG_FILE)
