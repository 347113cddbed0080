"""The compiled read representations (store.rendering) render exactly what DRF renders from the declared fields."""
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from store.models import Cart, CartItem, Collection, Product, ProductImage
from store import selectors
from store.rendering import media_url_maker, representation_of
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

    def test_the_detail_rows_render_as_the_declared_fields(self):
        cart = baker.make(Cart)
        for price, quantity in ((Decimal('8.99'), 2), (Decimal('1000.10'), 7), (Decimal('9999.99'), 32767)):
            baker.make(CartItem, cart=cart, quantity=quantity, product=baker.make(Product, unit_price=price, inventory=5))
        generic = generic_representation(CartSerializer(Cart.objects.prefetch_related('items__product').get(pk=cart.pk)))

        rendered = CartSerializer(selectors.cart_with_lines(cart.pk)).data

        assert rendered == generic
        assert [item['total_price'] for item in rendered['items']] == [Decimal('17.98'), Decimal('7000.70'),
                                                                        Decimal('327669672.33')]
        assert list(rendered) == ['id', 'items', 'total_price']
        assert list(rendered['items'][0]) == ['id', 'product', 'quantity', 'total_price']

    def test_the_detail_rows_of_an_empty_cart(self):
        cart = baker.make(Cart)

        rendered = CartSerializer(selectors.cart_with_lines(cart.pk)).data

        assert rendered == generic_representation(CartSerializer(cart))
        assert rendered == {'id': str(cart.pk), 'items': [], 'total_price': Decimal('0.00')}

    @pytest.mark.parametrize('cart_id', ['not-a-uuid', '00000000-0000-0000-0000-000000000000'])
    def test_no_such_cart_has_no_rows(self, cart_id):
        assert selectors.cart_with_lines(cart_id) is None


@pytest.mark.django_db
class TestProductPageRepresentation:
    """A page's images read by the view (selectors.product_images) render as the related manager's do."""

    def test_matches_the_declared_fields(self, request_context):
        products = [baker.make(Product, unit_price=price, inventory=2, collection=baker.make(Collection))
                    for price in (Decimal('1.00'), Decimal('0.05'), Decimal('2.05'))]
        for product, names in zip(products, (['a.png', 'b c.png'], [], ['ü.jpg'])):
            for name in names:
                baker.make(ProductImage, product=product, image=f'store/images/{name}')
        page = Product.objects.order_by('id')
        context = {**request_context, 'images': selectors.product_images(product.id for product in page)}

        rendered = ProductSerializer(page, many=True, context=context).data

        assert rendered == [generic_representation(ProductSerializer(product, context=request_context))
                            for product in page.prefetch_related('images')]
        assert [product['price_with_tax'] for product in rendered] == [Decimal('1.10'), Decimal('0.06'), Decimal('2.26')]
        assert list(rendered[0]) == ProductSerializer.Meta.fields


class DeclaredSerializer(serializers.ModelSerializer):
    """Fields whose representation is not the database value, next to ones that are."""
    big = serializers.IntegerField(source='inventory')
    as_text = serializers.DecimalField(source='unit_price', max_digits=6, decimal_places=2, coerce_to_string=True)
    more_places = serializers.DecimalField(source='unit_price', max_digits=8, decimal_places=3)
    normalized = serializers.DecimalField(source='unit_price', max_digits=6, decimal_places=2, normalize_output=True)
    shout = serializers.SerializerMethodField()
    collection_title = serializers.CharField(source='collection.title')

    class Meta:
        model = Product
        fields = ['id', 'big', 'as_text', 'more_places', 'normalized', 'last_update', 'shout', 'collection_title']

    def get_shout(self, product):
        return product.title.upper()


@pytest.mark.django_db
class TestConversions:
    def test_values_not_in_their_representation_s_type_are_converted_by_their_field(self):
        product = baker.make(Product, title='mug', unit_price=Decimal('10.50'), inventory=3,
                             collection=baker.make(Collection, title='Kitchen'))
        product = Product.objects.select_related('collection').get(pk=product.pk)

        rendered = representation_of(DeclaredSerializer).render_objects([product])[0]

        assert rendered == generic_representation(DeclaredSerializer(product))
        assert rendered['as_text'] == '10.50'
        assert rendered['more_places'] == Decimal('10.500')
        assert rendered['normalized'] == Decimal('10.5')
        assert rendered['shout'] == 'MUG'
        assert rendered['collection_title'] == 'Kitchen'
        assert isinstance(rendered['last_update'], str)

    def test_the_columns_are_the_declared_model_fields(self):
        assert representation_of(CartSerializer).columns() == (
            'id', 'items__id', 'items__product__id', 'items__product__title', 'items__product__unit_price',
            'items__quantity')
        assert representation_of(ProductSerializer).columns() == (
            'id', 'title', 'description', 'slug', 'inventory', 'unit_price', 'collection', 'images__id',
            'images__image')
