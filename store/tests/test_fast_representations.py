"""The hand-written read representations render exactly what the declared serializer fields do."""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from store.models import Cart, CartItem, Collection, Product, ProductImage
from store.serializers import CartSerializer, ProductSerializer


def generic_representation(serializer):
    """What ModelSerializer renders from the declared fields, bypassing the fast path."""
    return serializers.ModelSerializer.to_representation(serializer, serializer.instance)


@pytest.fixture
def request_context():
    return {'request': APIRequestFactory().get('/store/products/', HTTP_HOST='testserver')}


@pytest.mark.django_db
class TestProductRepresentation:
    @pytest.mark.parametrize('unit_price', [Decimal('1.00'), Decimal('19.99'), Decimal('1000.05'), Decimal('9999.99')])
    def test_matches_the_declared_fields(self, request_context, unit_price):
        product = baker.make(Product, unit_price=unit_price, inventory=3, description=None,
                             collection=baker.make(Collection))
        baker.make(ProductImage, product=product, image='store/images/a b.png')
        baker.make(ProductImage, product=product, image='store/images/ü.jpg')
        serializer = ProductSerializer(Product.objects.prefetch_related('images').get(pk=product.pk),
                                       context=request_context)
        assert serializer.data == generic_representation(serializer)
        assert serializer.data['images'][0]['image'] == 'http://testserver/media/store/images/a%20b.png'

    def test_without_a_request_urls_stay_relative(self):
        product = baker.make(Product, unit_price=Decimal('5.00'), inventory=1)
        baker.make(ProductImage, product=product, image='store/images/x.png')
        serializer = ProductSerializer(product)
        assert serializer.data == generic_representation(serializer)
        assert serializer.data['images'][0]['image'] == '/media/store/images/x.png'


@pytest.mark.django_db
class TestCartRepresentation:
    def test_matches_the_declared_fields(self):
        cart = baker.make(Cart)
        for price, quantity in ((Decimal('8.99'), 2), (Decimal('1000.10'), 7), (Decimal('1.00'), 32767)):
            baker.make(CartItem, cart=cart, quantity=quantity, product=baker.make(Product, unit_price=price, inventory=5))
        serializer = CartSerializer(Cart.objects.prefetch_related('items__product').get(pk=cart.pk))
        assert serializer.data == generic_representation(serializer)

    def test_empty_cart(self):
        serializer = CartSerializer(baker.make(Cart))
        assert serializer.data == generic_representation(serializer)
        assert serializer.data['total_price'] == Decimal('0.00')
