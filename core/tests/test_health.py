"""/healthz/ for load balancers: 200 while the database answers (the cache is only reported), else 503."""
import pytest
from django.core.cache import cache, caches
from django.db import OperationalError, connections

HEALTH_URL = '/healthz/'

DOWN_REDIS_CACHES = {'default': {
    'BACKEND': 'django_redis.cache.RedisCache',
    'LOCATION': 'redis://127.0.0.1:9/0',  # nothing listens on port 9
    'OPTIONS': {
        'CLIENT_CLASS': 'django_redis.client.DefaultClient',
        'SOCKET_CONNECT_TIMEOUT': 0.5,
        'SOCKET_TIMEOUT': 0.5,
    },
}}


@pytest.fixture
def database_down(monkeypatch):
    """The default connection's cursors fail as an unreachable server's would; undone before the DB teardown."""
    def refuse(*args, **kwargs):
        raise OperationalError(2003, "Can't connect to the database server")
    # On the wrapper's class, so that monkeypatch's undo removes the attribute again.
    monkeypatch.setattr(type(connections['default']), 'cursor', refuse)


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DOWN_REDIS_CACHES
    from django_redis.cache import RedisCache

    assert isinstance(caches['default'], RedisCache)
    assert cache._server == DOWN_REDIS_CACHES['default']['LOCATION']


@pytest.mark.django_db
class TestHealth:
    def test_everything_up(self, client):
        response = client.get(HEALTH_URL)

        assert response.status_code == 200
        assert response['Content-Type'] == 'application/json'
        assert response.json() == {'status': 'ok', 'database': 'ok', 'cache': 'ok'}

    def test_head(self, client):
        response = client.head(HEALTH_URL)

        assert response.status_code == 200
        assert response.content == b''

    @pytest.mark.parametrize('method', ['post', 'put', 'patch', 'delete'])
    def test_other_methods_are_405(self, client, method):
        response = getattr(client, method)(HEALTH_URL)

        assert response.status_code == 405
        assert set(response['Allow'].replace(' ', '').split(',')) == {'GET', 'HEAD'}

    def test_never_cached_by_clients_or_proxies(self, client):
        response = client.get(HEALTH_URL)

        directives = {directive.strip() for directive in response['Cache-Control'].split(',')}
        assert {'no-cache', 'max-age=0'} <= directives

    def test_database_down_is_503(self, client, database_down):
        response = client.get(HEALTH_URL)

        assert response.status_code == 503
        assert response.json() == {'status': 'unavailable', 'database': 'unavailable', 'cache': 'ok'}
        assert 'no-cache' in response['Cache-Control']

    def test_cache_down_is_200_degraded(self, client, cache_down):
        response = client.get(HEALTH_URL)

        assert response.status_code == 200
        assert response.json() == {'status': 'degraded', 'database': 'ok', 'cache': 'unavailable'}

    def test_both_down_is_503(self, client, database_down, cache_down):
        response = client.get(HEALTH_URL)

        assert response.status_code == 503
        assert response.json() == {'status': 'unavailable', 'database': 'unavailable', 'cache': 'unavailable'}

    def test_the_probe_leaves_other_cache_entries_alone(self, client):
        cache.set('unrelated', 'kept')

        assert client.get(HEALTH_URL).status_code == 200
        assert cache.get('unrelated') == 'kept'
