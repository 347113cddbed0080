"""Rates on the store's anonymous writes (REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], THROTTLE_* variables)."""
from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import AnonRateThrottle


class SharedCountersMixin:
    """A throttle counting in the `throttle` cache, which every process of the deployment shares
    (settings.CACHES); DRF's default cache is the per-process catalogue cache on the embedded default."""
    cache = ConnectionProxy(caches, 'throttle')


class AnonWriteRateThrottle(SharedCountersMixin, AnonRateThrottle):
    """Anonymous reviews, carts and cart-item changes, per client address (THROTTLE_ANON_WRITE_RATE).

    One scope for them all: generous for a shopper, but a script cannot flood reviews or carts. Logged-in
    callers are not counted here.
    """
    scope = 'anon_write'


class AnonWritesThrottledMixin:
    """A view whose anonymous writes are throttled; reads never are (the schema documents 429 on writes only)."""

    def get_throttles(self):
        if self.request.method in SAFE_METHODS:
            return []
        return [AnonWriteRateThrottle()]
