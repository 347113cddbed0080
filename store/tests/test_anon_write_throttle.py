"""Anonymous writes are throttled (issue 14, item 5): reviews, new carts and cart-item changes share one
rate per client address (THROTTLE_ANON_WRITE_RATE, default 300/min); reads and logged-in callers are not
counted."""
import pytest
from model_bakery import baker
from rest_framework import status
from rest_framework.settings import api_settings

from store.models import Cart, CartItem, Review
from store.throttles import AnonWriteRateThrottle

from .factories import make_cart, make_product

SMALL_RATE = 3  # per minute, in these tests


@pytest.fixture(autouse=True)
def small_rate(monkeypatch):
    """DRF reads the rates into the throttle classes at import time: patch the class, not the settings."""
    monkeypatch.setattr(AnonWriteRateThrottle, 'THROTTLE_RATES', {'anon_write': f'{SMALL_RATE}/min'})


@pytest.fixture
def product(db):
    return make_product()


def post_review(client, product):
    return client.post(f'/store/products/{product.pk}/reviews/', {'name': 'Bob', 'description': 'Spam'},
                       format='json')


def assert_throttled(response):
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response.json()['detail'].startswith('Request was throttled. Expected available in ')


def test_the_default_rate_is_generous():
    assert api_settings.DEFAULT_THROTTLE_RATES['anon_write'] == '300/min'


@pytest.mark.django_db
class TestAnonymousWriteThrottle:
    def test_anonymous_review_floods_are_throttled(self, api_client, product):
        answers = [post_review(api_client, product).status_code for _ in range(SMALL_RATE)]

        response = post_review(api_client, product)

        assert answers == [status.HTTP_201_CREATED] * SMALL_RATE
        assert_throttled(response)
        assert Review.objects.count() == SMALL_RATE

    def test_anonymous_cart_floods_are_throttled(self, api_client, db):
        answers = [api_client.post('/store/carts/').status_code for _ in range(SMALL_RATE)]

        response = api_client.post('/store/carts/')

        assert answers == [status.HTTP_201_CREATED] * SMALL_RATE
        assert_throttled(response)
        assert Cart.objects.count() == SMALL_RATE

    def test_cart_item_writes_share_the_rate_with_carts_and_reviews(self, api_client, product):
        cart = make_cart()
        api_client.post('/store/carts/')
        post_review(api_client, product)
        added = api_client.post(f'/store/carts/{cart.pk}/items/', {'product_id': product.pk, 'quantity': 1},
                                format='json')
        item = CartItem.objects.get()

        changed = api_client.patch(f'/store/carts/{cart.pk}/items/{item.pk}/', {'quantity': 2}, format='json')
        removed = api_client.delete(f'/store/carts/{cart.pk}/items/{item.pk}/')

        assert added.status_code == status.HTTP_201_CREATED
        assert_throttled(changed)
        assert_throttled(removed)
        assert CartItem.objects.get().quantity == 1

    def test_reads_are_not_throttled(self, api_client, product):
        cart = make_cart((product, 1))
        for _ in range(SMALL_RATE + 1):
            post_review(api_client, product)

        reads = [api_client.get(url).status_code for url in [
            f'/store/products/{product.pk}/reviews/', f'/store/carts/{cart.pk}/', f'/store/carts/{cart.pk}/items/',
        ] * 2]

        assert reads == [status.HTTP_200_OK] * 6

    def test_the_review_list_stays_a_plain_array(self, api_client, product):
        baker.make(Review, product=product, _quantity=2)

        response = api_client.get(f'/store/products/{product.pk}/reviews/')

        assert response.status_code == status.HTTP_200_OK
        assert isinstance(response.json(), list) and len(response.json()) == 2

    def test_logged_in_writes_are_not_counted(self, api_client, authenticate, product):
        authenticate()

        answers = [post_review(api_client, product).status_code for _ in range(SMALL_RATE + 2)]

        assert answers == [status.HTTP_201_CREATED] * (SMALL_RATE + 2)

    def test_each_client_address_has_its_own_count(self, api_client, product):
        for _ in range(SMALL_RATE + 1):
            post_review(api_client, product)

        response = api_client.post(f'/store/products/{product.pk}/reviews/', {'name': 'Ann', 'description': 'Ok'},
                                   format='json', REMOTE_ADDR='10.0.0.2')

        assert response.status_code == status.HTTP_201_CREATED
