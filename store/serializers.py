from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.encoding import filepath_to_uri
from rest_framework import serializers

from . import selectors
from .models import (
    CENT,
    MAX_LINE_QUANTITY,
    Cart,
    CartItem,
    Collection,
    Customer,
    Order,
    OrderItem,
    Product,
    ProductImage,
    Review,
)


class CollectionSerializer(serializers.ModelSerializer):
    products_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = ['id', 'title', 'products_count']

    def create(self, validated_data):
        collection = super().create(validated_data)
        collection.products_count = 0
        return collection


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ['id', 'image']

    def create(self, validated_data):
        return ProductImage.objects.create(product_id=self.context['product_id'], **validated_data)


class ProductListSerializer(serializers.ListSerializer):
    """A page of products, the images of all of them read in one query."""

    def to_representation(self, data):
        products = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        images = self.child.images_for(products)
        media_url = self.child.media_url_maker()
        return [self.child.represent(product, images.get(product.id, ()), media_url) for product in products]


class ProductSerializer(serializers.ModelSerializer):
    price_with_tax = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ['id', 'title', 'description', 'slug', 'inventory',
                  'unit_price', 'price_with_tax', 'collection', 'images']
        list_serializer_class = ProductListSerializer

    def to_representation(self, product):
        return self.represent(product, self.images_for([product]).get(product.id, ()), self.media_url_maker())

    def images_for(self, products):
        """The products' images: read by the view with its page (`images` in the context), else here."""
        images = self.context.get('images')
        return images if images is not None else selectors.product_images(product.id for product in products)

    @staticmethod
    def represent(product, images, media_url):
        # The catalogue's hot path: exactly what the declared fields render (a test compares the two),
        # without DRF's per-field machinery, which cost more than the queries.
        return {
            'id': product.id,
            'title': product.title,
            'description': product.description,
            'slug': product.slug,
            'inventory': product.inventory,
            'unit_price': product.unit_price,
            'price_with_tax': product.price_with_tax,
            'collection': product.collection_id,
            'images': [{'id': image_id, 'image': media_url(name)} for image_id, name in images],
        }

    def media_url_maker(self):
        """A function giving a stored file's URL as DRF's ImageField does: absolute when there is a request."""
        request = self.context.get('request')
        origin = request.build_absolute_uri('/')[:-1] if request is not None else ''
        storage = ProductImage._meta.get_field('image').storage
        base_url = storage.base_url if isinstance(storage, FileSystemStorage) else None

        def media_url(name):
            if not name:
                return None
            path = filepath_to_uri(name).lstrip('/') if base_url is not None else None
            if path is not None and '/.' not in '/' + path and '//' not in path:
                # What FileSystemStorage.url() returns (urljoin), without urljoin's parsing (which
                # only changes names with dot segments or empty ones).
                url = base_url + path
            else:
                url = storage.url(name)
            return origin + url if url.startswith('/') and not url.startswith('//') else url
        return media_url


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ['id', 'date', 'name', 'description']

    def create(self, validated_data):
        return Review.objects.create(product_id=self.context['product_id'], **validated_data)


class SimpleProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ['id', 'title', 'unit_price']


class CartItemSerializer(serializers.ModelSerializer):
    product = SimpleProductSerializer(read_only=True)
    total_price = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)

    class Meta:
        model = CartItem
        fields = ['id', 'product', 'quantity', 'total_price']


class CartSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(read_only=True)
    items = CartItemSerializer(many=True, read_only=True)
    total_price = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)

    class Meta:
        model = Cart
        fields = ['id', 'items', 'total_price']

    def create(self, validated_data):
        cart = Cart.objects.create()  # every field is read-only or has a default
        return selectors.CartLines(cart.id, ())  # a new cart has no lines: nothing to read back

    def to_representation(self, cart):
        # What the declared fields render (a test compares the two), without their per-field cost, from
        # plain rows (selectors.cart_lines): building model instances for the items and products cost more.
        if not isinstance(cart, selectors.CartLines):
            cart = selectors.cart_lines(cart.pk) or selectors.CartLines(cart.pk, ())  # deleted meanwhile: no lines
        rows = cart.rows
        items = [{
            'id': item_id,
            'product': {'id': product_id, 'title': title, 'unit_price': unit_price},
            'quantity': quantity,
            'total_price': quantity * unit_price,
        } for item_id, quantity, product_id, title, unit_price in rows]
        return {
            'id': str(cart.id),
            'items': items,
            'total_price': sum((item['total_price'] for item in items), Decimal(0)).quantize(CENT),
        }


class AddCartItemSerializer(serializers.Serializer):
    # CartItem's fields, declared: a ModelSerializer re-reads the model's metadata on every instantiation,
    # which cost as much as a query on each add to a cart.
    id = serializers.IntegerField(read_only=True, label='ID')
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)

    def validate_product_id(self, value):
        # The product itself (what add_to_cart checks stock against), so it is read only once.
        try:
            return Product.objects.only('id', 'title', 'inventory').get(pk=value)
        except Product.DoesNotExist:
            raise serializers.ValidationError('No product with the given ID was found.') from None


class UpdateCartItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CartItem
        fields = ['quantity']


class CustomerSerializer(serializers.ModelSerializer):
    """A customer profile. Only staff set the membership, and the user when creating a profile."""
    user_id = serializers.IntegerField(min_value=1)

    class Meta:
        model = Customer
        fields = ['id', 'user_id', 'phone', 'birth_date', 'membership']

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get('request')
        by_staff = bool(request and request.user.is_staff)
        if not by_staff:
            fields['membership'].read_only = True
        if not by_staff or self.instance is not None:
            fields['user_id'].read_only = True
        return fields

    def validate_user_id(self, value):
        if not get_user_model().objects.filter(pk=value).exists():
            raise serializers.ValidationError('No user with the given ID was found.')
        if Customer.objects.filter(user_id=value).exists():
            raise serializers.ValidationError('This user already has a customer profile.')
        return value


class OrderItemSerializer(serializers.ModelSerializer):
    product = SimpleProductSerializer()

    class Meta:
        model = OrderItem
        fields = ['id', 'product', 'unit_price', 'quantity']


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True)

    class Meta:
        model = Order
        fields = ['id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at']


class UpdateOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ['payment_status']


class CreateOrderSerializer(serializers.Serializer):
    cart_id = serializers.UUIDField()
