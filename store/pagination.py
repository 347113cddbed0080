import hashlib
from functools import partial

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from .caching import CACHE_TIMEOUT


class CachedCountPaginator(Paginator):
    """A paginator whose row count comes from the cache when `count_key` names an entry."""

    def __init__(self, *args, count_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        if self.count_key is None:
            return super().count
        count = cache.get(self.count_key)
        if count is None:
            count = super().count
            cache.set(self.count_key, count, CACHE_TIMEOUT)
        return count


class DefaultPagination(PageNumberPagination):
    """Page numbers; on the cached catalogue the count is cached too, under the catalogue version.

    Every page of a listing, and every request the response cache misses, would otherwise count the
    same rows again: a full scan for a search at 100,000 products.
    """
    page_size = 10
    page_size_query_param = 'page_size'
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        version = getattr(view, 'catalogue_version', None)
        count_key = None
        if version is not None:
            # The query's SQL is the key: whatever filtered it (filters, search, tags), same rows, same count.
            digest = hashlib.sha256(repr(queryset.query.sql_with_params()).encode()).hexdigest()
            count_key = f'store:catalogue:{version}:count:{digest}'
        self.django_paginator_class = partial(CachedCountPaginator, count_key=count_key)
        return super().paginate_queryset(queryset, request, view)
