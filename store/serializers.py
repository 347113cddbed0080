from django.contrib.auth import get_user_model
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from . import services
from .models import (
    CENT,
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


class ProductSerializer(serializers.ModelSerializer):
    price_with_tax = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ['id', 'title', 'description', 'slug', 'inventory',
                  'unit_price', 'price_with_tax', 'collection', 'images']

    def to_representation(self, product):
        # The catalogue's hot path: exactly what the declared fields render (a test compares the two),
        # without DRF's per-field machinery, which cost more than the queries.
        media_url = self.media_url_maker()
        return {
            'id': product.id,
            'title': product.title,
            'description': product.description,
            'slug': product.slug,
            'inventory': product.inventory,
            'unit_price': product.unit_price,
            'price_with_tax': product.price_with_tax,
            'collection': product.collection_id,
            'images': [{'id': image.id, 'image': media_url(image.image)} for image in product.images.all()],
        }

    def media_url_maker(self):
        """A function giving a file's URL as DRF's ImageField does: absolute when there is a request."""
        request = self.context.get('request')
        origin = request.build_absolute_uri('/')[:-1] if request is not None else ''

        def media_url(file):
            if not file:
                return None
            url = file.url
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

    def to_representation(self, cart):
        # What the declared fields render (a test compares the two), without their per-field cost.
        return {
            'id': str(cart.id),
            'items': [{
                'id': item.id,
                'product': {'id': item.product.id, 'title': item.product.title, 'unit_price': item.product.unit_price},
                'quantity': item.quantity,
                'total_price': item.total_price,
            } for item in cart.items.all()],
            'total_price': cart.total_price.quantize(CENT),
        }


class AddCartItemSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField()

    class Meta:
        model = CartItem
        fields = ['id', 'product_id', 'quantity']

    def validate_product_id(self, value):
        if not Product.objects.filter(pk=value).exists():
            raise serializers.ValidationError('No product with the given ID was found.')
        return value

    def save(self, **kwargs):
        try:
            self.instance = services.add_to_cart(cart_id=self.context['cart_id'], **self.validated_data)
        except services.OutOfStock as error:
            raise serializers.ValidationError({'quantity': [str(error)]}) from error
        return self.instance


class UpdateCartItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CartItem
        fields = ['quantity']

    def validate_quantity(self, value):
        try:
            services.check_stock(product=self.instance.product, quantity=value)
        except services.OutOfStock as error:
            raise serializers.ValidationError(str(error)) from error
        return value


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


class IdempotencyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = 'idempotency_key_reused'


class CreateOrderSerializer(serializers.Serializer):
    cart_id = serializers.UUIDField()

    def save(self, **kwargs):
        """Place the order (see services.place_order); sets `created` False for an idempotent replay."""
        try:
            self.instance, self.created = services.place_order(
                customer=self.context['customer'],
                cart_id=self.validated_data['cart_id'],
                idempotency_key=self.context.get('idempotency_key'),
            )
        except services.IdempotencyKeyReused as error:
            raise IdempotencyConflict(str(error)) from error
        except services.InsufficientStock as error:
            raise serializers.ValidationError({'cart_id': [str(shortage) for shortage in error.shortages]}) from error
        except services.OrderError as error:
            raise serializers.ValidationError({'cart_id': [str(error)]}) from error
        return self.instance
