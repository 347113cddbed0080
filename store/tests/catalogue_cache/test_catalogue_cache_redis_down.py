"""With the cache's Redis server down, the catalogue is served from the database, changes show at once, carts
and orders still work, and /healthz/ reports the cache unavailable."""
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from store.models import Cart

from .cache_helpers import (CARTS_URL, COLLECTIONS_URL, ORDERS_URL, PRODUCTS_URL, collection_url, counts_by_title,
                            product_url, results_by_id)

DOWN_REDIS_CACHES = {'default': {
    'BACKEND': 'django_redis.cache.RedisCache',
    'LOCATION': 'redis://127.0.0.1:9/0',  # nothing listens on port 9
    'OPTIONS': {
        'CLIENT_CLASS': 'django_redis.client.DefaultClient',
        'SOCKET_CONNECT_TIMEOUT': 0.5,
        'SOCKET_TIMEOUT': 0.5,
    },
}}


# ----------------------------------------------------------------------------------------- Redis down

@pytest.fixture
def redis_down(settings):
    """The cache is a Redis server that does not answer; errors are ignored (DJANGO_REDIS_IGNORE_EXCEPTIONS)."""
    settings.CACHES = DOWN_REDIS_CACHES
    from django_redis.cache import RedisCache

    # Django resets its cache handler when CACHES changes: the shared `cache` proxy now uses the dead server.
    assert isinstance(caches['default'], RedisCache)
    assert cache._server == DOWN_REDIS_CACHES['default']['LOCATION']
    cache.set('probe', 'value')
    assert cache.get('probe') is None


@pytest.mark.django_db
@pytest.mark.usefixtures('redis_down', 'no_confirmation_emails')
class TestRedisDown:
    def test_the_catalogue_is_served_from_the_database(self, catalogue, mug, tea):
        for _ in range(2):
            page = catalogue.read(PRODUCTS_URL)
            assert (page['count'], [p['title'] for p in page['results']]) == (2, ['Blue Mug', 'Green Tea'])
            detail = catalogue.read(product_url(mug.pk))
            assert (detail['title'], detail['unit_price'], detail['inventory']) == ('Blue Mug', Decimal('10.00'), 20)
            assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 1, 'Teas': 1}
            assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 1

    def test_a_price_change_is_visible_at_once(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('10.00')

        with committed():
            response = api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json')
        assert response.status_code == 200

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('12.50')
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('12.50')

    def test_cart_item_and_order(self, catalogue, committed, api_client, authenticate, mug):
        authenticate()
        response = api_client.post(CARTS_URL)
        assert response.status_code == 201
        cart_id = response.json()['id']
        response = api_client.post(f'{CARTS_URL}{cart_id}/items/', {'product_id': mug.pk, 'quantity': 3},
                                   format='json')
        assert response.status_code == 201
        cart = api_client.get(f'{CARTS_URL}{cart_id}/').json()
        assert ([(item['product']['id'], item['quantity']) for item in cart['items']],
                Decimal(str(cart['total_price']))) == ([(mug.pk, 3)], Decimal('30.00'))

        with committed():
            response = api_client.post(ORDERS_URL, {'cart_id': cart_id}, format='json')

        assert response.status_code == 201, response.content
        assert [(item['product']['id'], item['quantity']) for item in response.json()['items']] == [(mug.pk, 3)]
        assert not Cart.objects.filter(pk=cart_id).exists()
        assert catalogue.read(product_url(mug.pk))['inventory'] == 17

    @pytest.mark.django_db(databases='__all__')  # with a read replica, its state is reported too
    def test_health_reports_the_cache_unavailable(self, client):
        response = client.get('/healthz/')

        assert response.status_code == 200
        replica = {'replica': 'ok'} if 'replica' in settings.DATABASES else {}
        assert response.json() == {'status': 'degraded', 'database': 'ok', 'cache': 'unavailable', **replica}
