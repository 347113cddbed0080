"""The compiled read representations (store.rendering) render exactly what DRF renders from the declared fields."""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from store.models import Cart, CartItem, Collection, Product, ProductImage
from store.rendering import media_url_maker
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


# Names set directly on the model (uploads are normalised): spaces, unicode, characters URLs quote, and dot
# segments, which urljoin resolves in FileSystemStorage.url() and the fast path hands back to it.
IMAGE_NAMES = [
    'store/images/a b.png',
    'store/images/ü.jpg',
    'store/images/日本 語.png',
    'store/images/a?b#c.png',
    'store/images/100%.png',
    '/store/images/leading-slash.png',
    'store/images/./a.png',
    'store/../x.png',
    './x.png',
    'store/images/.hidden.png',
    'store/images/a..b.png',
]


def media_url_for(request):
    return media_url_maker(request, ProductImage._meta.get_field('image').storage)


def storage_url(name):
    """What the image field itself gives (FileSystemStorage.url)."""
    return ProductImage(image=name).image.url


@pytest.mark.django_db
class TestProductImageUrls:
    """rendering.media_url_maker builds FileSystemStorage's URLs without urljoin, made absolute."""

    @pytest.mark.parametrize('name', IMAGE_NAMES)
    def test_the_url_is_the_storage_url_made_absolute(self, request_context, name):
        media_url = media_url_for(request_context['request'])

        assert storage_url(name).startswith('/')
        assert media_url(name) == f'http://testserver{storage_url(name)}'

    @pytest.mark.parametrize('name', IMAGE_NAMES)
    def test_the_product_renders_it_as_the_image_field_does(self, request_context, name):
        product = baker.make(Product, unit_price=Decimal('5.00'), inventory=1)
        image = baker.make(ProductImage, product=product, image=name)
        serializer = ProductSerializer(Product.objects.prefetch_related('images').get(pk=product.pk),
                                       context=request_context)

        assert serializer.data['images'] == [{'id': image.pk, 'image': f'http://testserver{image.image.url}'}]
        assert serializer.data == generic_representation(serializer)

    def test_a_page_of_products_renders_the_same_urls(self, request_context):
        products = baker.make(Product, unit_price=Decimal('5.00'), inventory=1, _quantity=3)
        images = {product.pk: [baker.make(ProductImage, product=product, image=name)
                               for name in IMAGE_NAMES[index::3]] for index, product in enumerate(products)}

        page = ProductSerializer(Product.objects.order_by('id'), many=True, context=request_context).data

        assert {item['id']: item['images'] for item in page} == {
            pk: [{'id': image.pk, 'image': f'http://testserver{image.image.url}'} for image in product_images]
            for pk, product_images in images.items()}

    def test_the_origin_is_the_requests(self, settings):
        settings.ALLOWED_HOSTS = ['shop.example']
        request = APIRequestFactory().get('/store/products/', HTTP_HOST='shop.example', secure=True)
        media_url = media_url_for(request)

        assert media_url('store/images/a b.png') == 'https://shop.example/media/store/images/a%20b.png'
        assert media_url('store/../x.png') == 'https://shop.example/media/x.png'

    @pytest.mark.parametrize('empty', ['', None])
    def test_no_file_gives_none(self, request_context, empty):
        assert media_url_for(request_context['request'])(empty) is None

    def test_an_image_without_a_file_renders_null(self, request_context):
        product = baker.make(Product, unit_price=Decimal('5.00'), inventory=1)
        image = baker.make(ProductImage, product=product, image='')
        serializer = ProductSerializer(Product.objects.prefetch_related('images').get(pk=product.pk),
                                       context=request_context)

        assert serializer.data['images'] == [{'id': image.pk, 'image': None}]
        assert serializer.data == generic_representation(serializer)


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
