"""The cached catalogue (store/caching.py) is never served stale: the tests of its cache, in files by behaviour.

Every test warms the cache with a JSON GET, proves that the identical second GET is served from the
cache (one query: the catalogue version's lookup), makes a change, and reads the new value. Their
fixtures (conftest.py) and helpers (cache_helpers.py) serve these files only: `mug` and `tea` here are
not the order tests' `mug` and `tea` of store/tests/conftest.py.
"""
