import copy
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers

from .models import (
    Address,
    Cart,
    CartItem,
    Collection,
    Customer,
    Order,
    OrderEvent,
    OrderItem,
    Payment,
    Product,
    ProductImage,
    Promotion,
    Review,
)
from .rendering import representation_of


class FieldsBuiltOnceMixin:
    """For a ModelSerializer whose fields depend on its class alone: they are built from the model's
    metadata once, where DRF builds them on every instantiation (the cost of a query on each add to a cart)."""

    def get_fields(self):
        serializer_class = type(self)
        if '_built_fields' not in serializer_class.__dict__:
            serializer_class._built_fields = super().get_fields()
        return copy.deepcopy(serializer_class._built_fields)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's, except that a number no key can be (1e400 is an infinite float in JSON) is the usual 400 for a
    key of the wrong type: DRF lets int()'s OverflowError escape as a 500."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except OverflowError:
            self.fail('incorrect_type', data_type=type(data).__name__)


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
    """A page of products, rendered together (their images are read for the whole page)."""

    def to_representation(self, data):
        return self.child.render(data.all() if isinstance(data, models.manager.BaseManager) else data)


SALE_PRICE_HELP = "The unit price after the product's best promotion active now; null when none is."


class ProductSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimaryKeyRelatedField
    price_with_tax = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    sale_price = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, allow_null=True,
                                          help_text=SALE_PRICE_HELP)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ['id', 'title', 'description', 'slug', 'inventory',
                  'unit_price', 'price_with_tax', 'sale_price', 'collection', 'images']
        list_serializer_class = ProductListSerializer

    def to_representation(self, product):
        return self.render([product])[0]

    def render(self, products):
        """The catalogue's hot path, compiled from the fields above. A page's images come from the view
        (`images` in the context, read in one query); without them each product's are read."""
        images = self.context.get('images')
        related = {'images': lambda product: images.get(product.id, ())} if images is not None else None
        return representation_of(type(self)).render_objects(products, context=self.context, related=related)


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


class CartProductSerializer(serializers.ModelSerializer):
    """A cart line's product: its list price, and the sale price the line is charged at, if any."""
    sale_price = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, allow_null=True,
                                          help_text=SALE_PRICE_HELP)

    class Meta:
        model = Product
        fields = ['id', 'title', 'unit_price', 'sale_price']


class CartItemSerializer(serializers.ModelSerializer):
    product = CartProductSerializer(read_only=True)
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
        # Compiled from the fields above. The cart detail reads plain rows (selectors.cart_with_lines):
        # building model instances for its items and products cost more than rendering them.
        representation = representation_of(type(self))
        if isinstance(cart, Mapping):
            return representation.render_rows([cart], context=self.context)[0]
        return representation.render_objects([cart], context=self.context)[0]


class AddCartItemSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    product_id = serializers.IntegerField()

    class Meta:
        model = CartItem
        fields = ['id', 'product_id', 'quantity']

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
        fields = ['id', 'user_id', 'phone', 'birth_date', 'membership', 'liked_product_alerts']

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


class AddressSerializer(serializers.ModelSerializer):
    """An address of the customer's address book (/store/customers/me/addresses/)."""

    class Meta:
        model = Address
        fields = ['id', 'name', 'street', 'city', 'zip', 'country', 'phone']


class ShippingAddressSerializer(serializers.ModelSerializer):
    """An order's shipping address: an address's fields without its id, validated as the address book's,
    shown from the order's snapshot (a dict)."""

    class Meta:
        model = Address
        fields = list(Address.SNAPSHOT_FIELDS)


class OrderItemSerializer(serializers.ModelSerializer):
    """An order line as placed: `unit_price` is what a unit was charged, `list_price` the product's unit
    price then, `promotion` the id of the promotion that made the difference (null: none)."""
    product = SimpleProductSerializer()

    class Meta:
        model = OrderItem
        fields = ['id', 'product', 'unit_price', 'quantity', 'list_price', 'promotion']


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True)
    shipping_address = ShippingAddressSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = ['id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at',
                  'subtotal', 'tax', 'total', 'currency', 'shipping_address',
                  'fulfilment_status', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at']


class ActorSerializer(serializers.Serializer):
    """Who made a change: a customer or staff user (by username), or the system (username null)."""
    type = serializers.ChoiceField(choices=OrderEvent.ACTOR_TYPES, source='actor_type')
    username = serializers.CharField(source='actor_username', allow_null=True)

    def to_representation(self, event):
        return event.actor


class OrderEventSerializer(serializers.ModelSerializer):
    actor = ActorSerializer(source='*', read_only=True)

    class Meta:
        model = OrderEvent
        fields = ['id', 'type', 'actor', 'created_at', 'data']


class PaymentSerializer(serializers.ModelSerializer):
    """What the SPA needs to collect an order's payment; `amount` is in the currency's minor units."""
    client_secret = serializers.SerializerMethodField(
        help_text="Stripe's PaymentIntent client secret, for Stripe.js to confirm the payment; null for manual payments.")

    class Meta:
        model = Payment
        fields = ['provider', 'status', 'amount', 'currency', 'client_secret']

    def get_client_secret(self, payment) -> str | None:
        return self.context['intent'].client_secret


class UpdateOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ['payment_status']


class OrderAddressSerializer(serializers.Serializer):
    """Where an order ships: one of the caller's addresses (`address_id`) or an address given in full
    (`shipping_address`). Validated, it holds the snapshot to store in `shipping_address` (None: none given)."""
    address_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                          help_text="The id of one of the caller's addresses.")
    shipping_address = ShippingAddressSerializer(required=False)
    address_required = True

    def validate_address_id(self, value):
        address = Address.objects.filter(pk=value, customer__user_id=self.context['request'].user.id).first()
        if address is None:
            raise serializers.ValidationError('No address with the given ID was found in your address book.')
        return address

    def validate(self, data):
        if 'address_id' in data and 'shipping_address' in data:
            raise serializers.ValidationError({'address_id': ['Give either address_id or shipping_address, not both.']})
        if 'address_id' in data:
            data['shipping_address'] = data.pop('address_id').snapshot()
        elif 'shipping_address' in data:
            data['shipping_address'] = Address(**data['shipping_address']).snapshot()  # the phone defaulted
        elif self.address_required:
            raise serializers.ValidationError({'address_id': ['Give address_id or shipping_address.']})
        else:
            data['shipping_address'] = None
        return data


class ShipOrderSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=Order._meta.get_field('carrier').max_length)
    tracking_number = serializers.CharField(max_length=Order._meta.get_field('tracking_number').max_length)
    override = serializers.BooleanField(
        default=False, help_text='Ship an order not marked paid yet (the manual payment provider only).')


class CreateOrderSerializer(OrderAddressSerializer):
    """The course's `{"cart_id"}`; the shipping address is optional (the owner may set it later)."""
    cart_id = serializers.UUIDField()
    address_required = False


# The most products one request links to a promotion (each id is checked in one query).
MAX_PROMOTION_PRODUCTS = 1000


class ProductIdsField(serializers.ListField):
    """Products by id, read from (and written to) a many-to-many manager."""
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_PROMOTION_PRODUCTS, **kwargs)

    def to_representation(self, products):
        return sorted(product.pk for product in products.all())

    def to_internal_value(self, data):
        # The length first (DRF checks it after this): a long list is refused before any query.
        if isinstance(data, list) and len(data) > self.max_length:
            self.fail('max_length', max_length=self.max_length)
        product_ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = set(Product.objects.filter(pk__in=product_ids).values_list('pk', flat=True))
        missing = [product_id for product_id in product_ids if product_id not in found]
        if missing:
            raise serializers.ValidationError(f'No product with the ID {missing[0]} was found.')
        return product_ids


class PromotionSerializer(serializers.ModelSerializer):
    """A promotion: `discount` percent off its products' unit price from `starts_at` until `ends_at`
    (null: no end)."""
    products = ProductIdsField(source='product_set', required=False,
                               help_text='The ids of the products it applies to.')

    class Meta:
        model = Promotion
        fields = ['id', 'description', 'discount', 'starts_at', 'ends_at', 'products']

    def validate(self, data):
        # The window as it will be: a PATCH may change one end only.
        window = {name: data[name] if name in data else getattr(self.instance, name, None)
                  for name in ('starts_at', 'ends_at')}
        try:
            Promotion.check_window(**window)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return data
