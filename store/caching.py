"""The public catalogue (products, collections) served from the cache, and never stale.

Every cached response is filed under the current catalogue version, a number kept in the database
(`CatalogueVersion`), so all processes agree on it whatever the cache backend. Any write that changes
what the catalogue shows bumps the version once it commits; from then on every request misses the
old entries, which simply expire. A reader that raced a write can only have filed its page under the
old version, which nobody asks for any more.
"""
import hashlib
import time

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpResponse

from .models import CatalogueVersion

CACHE_TIMEOUT = 10 * 60
VERSION_SQL = (f'SELECT {connection.ops.quote_name("value")} FROM '
               f'{connection.ops.quote_name(CatalogueVersion._meta.db_table)} WHERE id = 1')


def catalogue_version():
    # Read on every cached request: plain SQL costs a fraction of building the ORM query.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return row[0] if row else 0


def bump_catalogue_version():
    if not CatalogueVersion.objects.filter(pk=1).update(value=F('value') + 1):
        # First write ever (or the row was flushed): start from a number no earlier version used.
        CatalogueVersion.objects.get_or_create(pk=1, defaults={'value': time.time_ns()})


def invalidate_catalogue():
    """Make cached catalogue pages obsolete once the current transaction commits."""
    transaction.on_commit(bump_catalogue_version)


class CachedCatalogueMixin:
    """Serve `list` and `retrieve` JSON responses from the cache, filed under the catalogue version.

    Only JSON is cached (the browsable API's HTML differs per user); the key is the full URL, so
    filters, pages and the host in pagination links each get their own entry.
    """

    def list(self, request, *args, **kwargs):
        return self.cached(request, super().list, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.cached(request, super().retrieve, *args, **kwargs)

    def cached(self, request, render, *args, **kwargs):
        if request.accepted_renderer.format != 'json':
            return render(request, *args, **kwargs)
        url_digest = hashlib.sha256(f'{request.accepted_media_type} {request.build_absolute_uri()}'.encode()).hexdigest()
        key = f'store:catalogue:{catalogue_version()}:{url_digest}'
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = render(request, *args, **kwargs)
        if response.status_code == 200:
            def store(rendered):
                cache.set(key, (rendered.content, rendered['Content-Type']), CACHE_TIMEOUT)
                # A callback's return value would replace the response (django-redis returns True).
                return None

            response.add_post_render_callback(store)
        return response
