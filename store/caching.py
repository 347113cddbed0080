"""The public catalogue (products, collections) served from the cache, and never stale.

Every cached response is filed under the current catalogue version, a number kept in the database
(`CatalogueVersion`), so all processes agree on it whatever the cache backend. Any write that changes
what the catalogue shows bumps the version once it commits; from then on every request misses the
old entries, which simply expire. A reader that raced a write can only have filed its page under the
old version, which nobody asks for any more.
"""
import hashlib
import re
import time

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

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


def catalogue_key(request, version):
    """The cache key of a catalogue response: the version, the Accept header as sent and the full URL.

    Built from the raw request, so the middleware below finds what the views filed; the full URL keeps
    filters, pages and the host in pagination links apart.
    """
    digest = hashlib.sha256(f'{request.META.get("HTTP_ACCEPT", "")} {request.build_absolute_uri()}'.encode())
    return f'store:catalogue:{version}:{digest.hexdigest()}'


def cached_response(hit):
    content, headers = hit
    response = HttpResponse(content, headers=headers)
    response['Content-Length'] = str(len(content))
    return response


class CachedCatalogueMixin:
    """Serve `list` and `retrieve` JSON responses from the cache, filed under the catalogue version.

    Only JSON is cached (the browsable API's HTML differs per user). Hits are normally answered earlier
    still, by CatalogueCacheMiddleware; this serves them for requests it lets through (with credentials).
    """

    def list(self, request, *args, **kwargs):
        return self.cached(request, super().list, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.cached(request, super().retrieve, *args, **kwargs)

    def cached(self, request, render, *args, **kwargs):
        if request.accepted_renderer.format != 'json':
            return render(request, *args, **kwargs)
        version = getattr(request._request, 'catalogue_version', None)
        self.catalogue_version = catalogue_version() if version is None else version  # the pagination's too
        key = catalogue_key(request, self.catalogue_version)
        hit = cache.get(key)
        if hit is not None:
            return cached_response(hit)
        response = render(request, *args, **kwargs)
        if response.status_code == 200:
            def store(rendered):
                # Content-Type, Allow and Vary as the view set them; the middleware adds the rest.
                cache.set(key, (rendered.content, dict(rendered.headers)), CACHE_TIMEOUT)
                # A callback's return value would replace the response (django-redis returns True).
                return None

            response.add_post_render_callback(store)
        return response


class CatalogueCacheMiddleware:
    """Answer GETs of cached catalogue pages before sessions, authentication, CSRF and DRF run.

    A cached page is the same for every caller, but a request with credentials still goes through, so a
    bad token gets its 401 as before. Misses carry the version read here on to the view, which renders
    and files the page under it. Placed after the CORS, security and X-Frame-Options middleware, which
    set their headers on these answers as on any other.
    """
    # The routes of the cached views: product and collection lists and details.
    PATH = re.compile(r'/store/(?:products|collections)/(?:\d+/)?')

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method == 'GET' and self.PATH.fullmatch(request.path_info)
                and 'HTTP_AUTHORIZATION' not in request.META):
            request.catalogue_version = catalogue_version()
            hit = cache.get(catalogue_key(request, request.catalogue_version))
            if hit is not None:
                response = cached_response(hit)
                # As on a miss, where the session middleware adds it (the page itself is the same for all).
                patch_vary_headers(response, ['Cookie'])
                return response
        return self.get_response(request)
