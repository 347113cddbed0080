"""Every store endpoint renders in DRF's browsable API, for anonymous visitors and for staff."""
from decimal import Decimal

import pytest
from model_bakery import baker

from store.models import Cart, CartItem, Collection, Product, ProductImage, Review


@pytest.fixture
def catalogue():
    collection = baker.make(Collection, title='Garden')
    product = baker.make(Product, collection=collection, unit_price=Decimal('12.50'), inventory=9)
    cart = baker.make(Cart)
    return {
        'collection': collection,
        'product': product,
        'review': baker.make(Review, product=product),
        'image': baker.make(ProductImage, product=product, image='store/images/x.png'),
        'cart': cart,
        'cart_item': baker.make(CartItem, cart=cart, product=product, quantity=2),
    }


ENDPOINTS = [
    '/store/',
    '/store/products/',
    '/store/products/{product.id}/',
    '/store/collections/',
    '/store/collections/{collection.id}/',
    '/store/products/{product.id}/reviews/',
    '/store/products/{product.id}/reviews/{review.id}/',
    '/store/products/{product.id}/images/',
    '/store/products/{product.id}/images/{image.id}/',
    '/store/carts/{cart.id}/',
    '/store/carts/{cart.id}/items/',
    '/store/carts/{cart.id}/items/{cart_item.id}/',
]


@pytest.mark.django_db
@pytest.mark.parametrize('as_staff', [False, True], ids=['anonymous', 'staff'])
@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_endpoint_renders_as_html(api_client, authenticate, catalogue, endpoint, as_staff):
    if as_staff:
        authenticate(is_staff=True)

    response = api_client.get(endpoint.format(**catalogue), HTTP_ACCEPT='text/html')

    assert response.status_code == 200
    assert response['Content-Type'].startswith('text/html')
    assert b'<a class="navbar-brand" href="/">Storefront API</a>' in response.content  # the page brand


@pytest.mark.django_db
def test_unknown_api_url_is_a_json_404(client, settings):
    settings.DEBUG = False
    response = client.get('/store/no-such-thing/')
    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


@pytest.mark.django_db
def test_unknown_page_outside_the_api_is_the_html_404(client):
    response = client.get('/no-such-page/')
    assert response.status_code == 404
    assert response['Content-Type'].startswith('text/html')
