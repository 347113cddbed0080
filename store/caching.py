"""The public catalogue (products, collections) served from the cache, and never stale.

Every cached response is filed under the current catalogue version, a number kept in the database
(`CatalogueVersion`), so all processes agree on it whatever the cache backend. Any write that changes
what the catalogue shows bumps the version once it commits; from then on every request misses the
old entries, which simply expire. A reader that raced a write can only have filed its page under the
old version, which nobody asks for any more.

Prices also change with no write, when a promotion's window starts or ends. The version's row keeps
when that next happens (`next_change_at`); the first read after it moves the version on, as a write
would, and sends `products_changed` for the products of the promotions concerned.
"""
import hashlib
import re
import time
from functools import lru_cache
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.http import HttpResponse
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import NotAcceptable
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .models import CatalogueVersion, Product, Promotion
from .signals import announce_products_changed

CACHE_TIMEOUT = 10 * 60
# The cached catalogue: the routes (by URL name) whose JSON is filed under the catalogue version.
CACHED_ROUTE_NAMES = frozenset({'products-list', 'products-detail', 'collection-list', 'collection-detail'})
# Where a request keeps the version it reads (the middleware's lookup serves the view and its pagination).
VERSION_ATTRIBUTE = 'catalogue_version'
# The version, and whether its next promotion boundary has come ({now}: a timestamp literal).
VERSION_SQL = (f'SELECT {connection.ops.quote_name("value")}, '
               f"CASE WHEN {connection.ops.quote_name('next_change_at')} <= '{{now}}' THEN 1 ELSE 0 END "
               f'FROM {connection.ops.quote_name(CatalogueVersion._meta.db_table)} WHERE id = 1')


def catalogue_version():
    """The current version, moved on first if a promotion's window started or ended since the last change."""
    # Read on every cached request: plain SQL costs a fraction of building the ORM query, and without
    # parameters it skips the drivers' placeholder rewriting (a tenth of a cache hit). The literal is the
    # clock's, never input.
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL.format(now=connection.ops.adapt_datetimefield_value(now)))
        row = cursor.fetchone()
    if row is None:
        return 0
    value, boundary_passed = row
    return pass_promotion_boundaries(now=now) if boundary_passed else value


def bump_catalogue_version():
    if not CatalogueVersion.objects.filter(pk=1).update(value=F('value') + 1):
        # First write ever (or the row was flushed): start from a number no earlier version used.
        CatalogueVersion.objects.get_or_create(pk=1, defaults={'value': time.time_ns()})


def invalidate_catalogue():
    """Make cached catalogue pages obsolete once the current transaction commits."""
    transaction.on_commit(bump_catalogue_version)


def next_promotion_boundary(now):
    """The next start or end of a promotion's window after `now`, or None."""
    boundaries = Promotion.objects.aggregate(
        start=Min('starts_at', filter=Q(starts_at__gt=now)), end=Min('ends_at', filter=Q(ends_at__gt=now)))
    return min((moment for moment in boundaries.values() if moment is not None), default=None)


@transaction.atomic
def pass_promotion_boundaries(*, now, rescheduled=False):
    """Move the version on past the promotion boundaries that `now` has reached, and keep the next one.

    `rescheduled`: promotions were written (and committed), so the next boundary may have moved: always
    move on. The row's lock, taken before promotions are read, orders concurrent callers: the last to
    write `next_change_at` read every promotion committed before it. Returns the new version.
    """
    version, _ = CatalogueVersion.objects.select_for_update().get_or_create(pk=1, defaults={'value': time.time_ns()})
    passed = version.next_change_at
    if passed is not None and passed > now:
        passed = None
    if passed is None and not rescheduled:
        return version.value  # a concurrent caller got here first
    version.value += 1
    version.next_change_at = next_promotion_boundary(now)
    version.save(update_fields=['value', 'next_change_at'])
    if passed is not None:
        reached = Q(promotions__starts_at__range=(passed, now)) | Q(promotions__ends_at__range=(passed, now))
        announce_products_changed(Product.objects.filter(reached).values_list('pk', flat=True).distinct())
    return version.value


def promotions_changed():
    """After a write to promotions (or to which products they apply to) commits: the prices it changed
    show at once, and the next window boundary is recomputed."""
    transaction.on_commit(lambda: pass_promotion_boundaries(now=timezone.now(), rescheduled=True))


def version_for(request):
    """The catalogue version this request reads, looked up once per request (Django's or DRF's)."""
    version = getattr(request, VERSION_ATTRIBUTE, None)
    if version is None:
        version = catalogue_version()
        setattr(request, VERSION_ATTRIBUTE, version)
    return version


@lru_cache(maxsize=4)  # once per URLconf
def cached_route_patterns(resolver):
    """(full-path regex, view class) of each cached route, from the URLconf (format-suffix variants left out)."""
    def walk(patterns, prefix):
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.removeprefix('^')
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, regex)
            elif pattern.name in CACHED_ROUTE_NAMES and '(?P<format>' not in regex:
                yield re.compile(regex), pattern.callback.cls
    return tuple(walk(resolver.url_patterns, resolver.pattern.regex.pattern))


def cached_view_class(path):
    """The view class of a cached catalogue route at this path, else None; detail ids are integers (anything
    else is a 404)."""
    for pattern, view_class in cached_route_patterns(get_resolver()):
        match = pattern.match(path)
        if match:
            return view_class if match.groupdict().get('pk', '0').isdigit() else None
    return None


def is_cached_path(path):
    return cached_view_class(path) is not None


def is_cached_route(request):
    match = request.resolver_match
    return match is not None and match.url_name in CACHED_ROUTE_NAMES


@lru_cache(maxsize=None)
def query_parameters(view_class):
    """The query parameters that can change a cached view's answer (lists and details alike: a detail is
    looked up in the filtered queryset): its filters', search's, ordering's, pagination's and DRF's format.
    Read once, when the other apps have added their filter backends (store.extension_points)."""
    view = view_class()
    names = {api_settings.URL_FORMAT_OVERRIDE}
    for backend in view.filter_backends:
        if issubclass(backend, DjangoFilterBackend):
            names.update(view.filterset_class.base_filters)
        names.update(getattr(backend, attribute) for attribute in ('search_param', 'ordering_param', 'query_param')
                     if hasattr(backend, attribute))
    if view.pagination_class is not None:
        names.update(name for name in (view.pagination_class.page_query_param,
                                       view.pagination_class.page_size_query_param) if name)
    return frozenset(names)


def canonical_query(request, view_class):
    """(the known parameters sorted, as a query string; whether the request had only those)."""
    known = query_parameters(view_class)
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    kept = sorted(pair for pair in pairs if pair[0] in known)
    return urlencode(kept), len(kept) == len(pairs)


def media_key(renderer, media_type):
    """How a JSON response is rendered: 'json', or with the indent a client asked for; None for other formats."""
    if renderer.format != 'json':
        return None
    indent = renderer.get_indent(media_type, {})
    return 'json' if indent is None else f'json; indent={indent}'


# Accept headers that DRF answers with plain JSON whatever the view's renderers (JSON comes first).
PLAIN_JSON_ACCEPTS = frozenset({'', '*/*', 'application/json'})


def negotiated_media_key(request, view_class):
    """media_key() of the response DRF would give this (Django) request, negotiated as the view does."""
    if request.META.get('HTTP_ACCEPT', '') in PLAIN_JSON_ACCEPTS and api_settings.URL_FORMAT_OVERRIDE not in request.GET:
        return 'json'
    renderers = [renderer() for renderer in view_class.renderer_classes]
    try:
        renderer, media_type = view_class.content_negotiation_class().select_renderer(Request(request), renderers)
    except NotAcceptable:
        return None
    return media_key(renderer, media_type)


def catalogue_key(request, version, query, media):
    """The cache key of a catalogue response: the version, the rendering, the host and path, and the
    canonical query (canonical_query). Unknown parameters, the order of parameters and the Accept header's
    spelling file no entries of their own: the cache cannot be flooded with them."""
    digest = hashlib.sha256(f'{media} {request.scheme}://{request.get_host()}{request.path}?{query}'.encode())
    return f'store:catalogue:{version}:{digest.hexdigest()}'


def count_key(request, queryset):
    """The cache key of a cached listing's row count, or None off the cached catalogue.

    The query's SQL is the key: whatever filtered it (filters, search, tags), same rows, same count. Its
    selected rows' ids only, so annotations (sale prices as of now) change nothing.
    """
    if not is_cached_route(request):
        return None
    try:
        sql = queryset.values('pk').query.sql_with_params()
    except EmptyResultSet:
        return None  # a query that can match nothing (a search no product's index entry has): counted for free
    digest = hashlib.sha256(repr(sql).encode()).hexdigest()
    return f'store:catalogue:{version_for(request)}:count:{digest}'


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
        media = media_key(request.accepted_renderer, request.accepted_media_type)
        if media is None:
            return render(request, *args, **kwargs)
        query, canonical = canonical_query(request, type(self))
        key = catalogue_key(request, version_for(request), query, media)
        hit = cache.get(key)
        if hit is not None:
            return cached_response(hit)
        response = render(request, *args, **kwargs)
        # Only a request made of known parameters files its page: its links carry nothing else.
        if response.status_code == 200 and canonical:
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
    bad token gets its 401 as before. On a miss the view renders and files the page under the version
    read here (`version_for`). Placed after the CORS, security and X-Frame-Options middleware, which set
    their headers on these answers as on any other.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view_class = cached_view_class(request.path_info) if (
            request.method == 'GET' and 'HTTP_AUTHORIZATION' not in request.META) else None
        media = negotiated_media_key(request, view_class) if view_class is not None else None
        if media is not None:
            query, _ = canonical_query(request, view_class)
            hit = cache.get(catalogue_key(request, version_for(request), query, media))
            if hit is not None:
                response = cached_response(hit)
                # As on a miss, where the session middleware adds it (the page itself is the same for all).
                patch_vary_headers(response, ['Cookie'])
                return response
        return self.get_response(request)
