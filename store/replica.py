"""The public catalogue read from a read replica (DATABASE_REPLICA_URL); everything else from the primary.

A request reads the replica when all of these hold:
- it is a GET or HEAD of a catalogue route (product and collection lists and details, reviews);
- its caller has not written in the last DATABASE_REPLICA_PIN_SECONDS: a write pins its caller to the
  primary, by its credentials in the shared cache (so every web node knows) and by a cookie (for
  callers without credentials), so that a writer reads its own write;
- the replica has applied the catalogue version the request read from the primary: the version keys the
  cache, and a page rendered from a replica behind it would be filed under a version it does not show;
- the replica answers; if it does not, it is left alone for RETRY_SECONDS and the primary serves (a
  request whose replica reads fail is served again, from the primary).
Reads inside a transaction stay on the primary, beside the transaction's writes.
"""
import contextvars
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from .caching import CACHED_ROUTE_NAMES, version_for
from .models import CatalogueVersion

logger = logging.getLogger(__name__)

REPLICA = 'replica'
CATALOGUE_ROUTES = CACHED_ROUTE_NAMES | {'product-reviews-list', 'product-reviews-detail'}
PIN_COOKIE = 'primary_pin'
RETRY_SECONDS = 5

# The catalogue request being served by this thread, if any.
catalogue_request = contextvars.ContextVar('catalogue_request', default=None)
# Per process: until when (time.monotonic()) the replica is not asked, after it failed to answer.
replica_down_until = 0.0
# Per process: the latest catalogue version the replica was seen to have applied. It only moves forward,
# so a request reading that version (or an earlier one) need not ask the replica again.
replica_applied = None


def replica_configured():
    return REPLICA in settings.DATABASES


def mark_replica_down():
    global replica_down_until
    replica_down_until = time.monotonic() + RETRY_SECONDS
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass  # it was broken already: closing it is what was wanted


def replica_version():
    """The catalogue version the replica has applied (None if it has no version row yet); raises
    DatabaseError when the replica does not answer."""
    return CatalogueVersion.objects.using(REPLICA).filter(pk=1).values_list('value', flat=True).first()


def replica_is_current(version):
    global replica_applied
    if not version or time.monotonic() < replica_down_until:
        return False  # no version yet (no catalogue write since the tables were made), or down
    try:
        if replica_applied is None or version > replica_applied:
            replica_applied = replica_version()
        else:
            connections[REPLICA].ensure_connection()  # known to be current: connected will do
    except DatabaseError:
        logger.warning('The read replica does not answer: the primary serves the catalogue for %s s.', RETRY_SECONDS,
                       exc_info=True)
        mark_replica_down()
        return False
    return replica_applied is not None and replica_applied >= version


def replica_status():
    """'ok' when the replica answers now, else 'down' (for /healthz/)."""
    try:
        replica_version()
    except DatabaseError:
        mark_replica_down()
        return 'down'
    return 'ok'


def pin_key(request):
    """The shared cache's key for the caller's pin, from the credentials it sends (None without any)."""
    credential = request.META.get('HTTP_AUTHORIZATION') or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return 'primary-pin:' + hashlib.sha256(credential.encode()).hexdigest() if credential else None


def is_pinned(request):
    if PIN_COOKIE in request.COOKIES:
        return True
    key = pin_key(request)
    return key is not None and cache.get(key) is not None


def pin(request, response):
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    key = pin_key(request)
    if key is not None:
        cache.set(key, True, seconds)
    response.set_cookie(PIN_COOKIE, '1', max_age=seconds, secure=request.is_secure(), httponly=True, samesite='Lax')


def reads_replica(request):
    """Whether this catalogue request reads the replica; decided at its first read, then kept."""
    decided = getattr(request, 'reads_replica', None)
    if decided is None:
        decided = request.reads_replica = not is_pinned(request) and replica_is_current(version_for(request))
    return decided


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        request = catalogue_request.get()
        if request is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA if reads_replica(request) else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA


class ReplicaRoutingMiddleware:
    """Marks catalogue reads for the router, and pins the caller of every write to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            catalogue_request.set(None)
        if request.method not in ('GET', 'HEAD', 'OPTIONS'):
            pin(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ('GET', 'HEAD') and request.resolver_match.url_name in CATALOGUE_ROUTES:
            request.catalogue_view = (view_func, view_args, view_kwargs)
            catalogue_request.set(request)

    def process_exception(self, request, exception):
        """A catalogue read the replica failed (it died mid-request, or its kept connection did): served
        again from the primary, a GET being safe to repeat."""
        replica = connections[REPLICA]
        # The driver's own error too: closing the cursor of a connection that broke raises one unwrapped.
        if not (isinstance(exception, (DatabaseError, replica.Database.Error)) and replica.errors_occurred
                and getattr(request, 'reads_replica', False)):
            return None
        logger.warning('A read from the replica failed: served from the primary; the replica is left alone '
                       'for %s s.', RETRY_SECONDS, exc_info=exception)
        mark_replica_down()
        request.reads_replica = False
        view_func, view_args, view_kwargs = request.catalogue_view
        return view_func(request, *view_args, **view_kwargs)
