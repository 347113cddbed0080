from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, ProtectedError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.mixins import (
    CreateModelMixin,
    DestroyModelMixin,
    RetrieveModelMixin,
)
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from . import extension_points, selectors, services
from .caching import CachedCatalogueMixin
from .exceptions import CartNotFound, RowNotFound
from .filters import (
    ProductFilter,
    ProductFilterBackend,
    ProductSearchFilter,
    StableOrderingFilter,
)
from .models import Address, Cart, CartItem, Collection, Customer, Order, Product
from .pagination import DefaultPagination
from .payments.providers import StripeProvider, get_provider
from .permissions import (
    CanCancelOrder,
    IsAdminOrReadAndCreateOnly,
    IsOrderOwner,
    IsOrderOwnerForAddress,
    IsAdminOrReadOnly,
    ViewCustomerHistoryPermission,
)
from .selectors import customer_of, orders_with_items
from .serializers import (
    AddCartItemSerializer,
    AddressSerializer,
    CartItemSerializer,
    CartSerializer,
    CollectionSerializer,
    CreateOrderSerializer,
    CustomerSerializer,
    OrderAddressSerializer,
    OrderEventSerializer,
    OrderSerializer,
    PaymentSerializer,
    ProductImageSerializer,
    ProductSerializer,
    PromotionSerializer,
    ReviewSerializer,
    ShipOrderSerializer,
    UpdateCartItemSerializer,
    UpdateOrderSerializer,
)
from .throttles import AnonWritesThrottledMixin


class NestedViewSetMixin:
    """A view under a parent resource (/products/{product_pk}/reviews/): the parent must exist.

    An unknown or malformed parent id is a 404 before anything else touches the database.
    """
    parent_model = None
    parent_url_kwarg = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.parent = self.get_parent()

    def get_parent(self):
        return get_object_or_404(self.parent_model.objects.only('pk'), pk=self.kwargs[self.parent_url_kwarg])

    @property
    def parent_pk(self):
        # None when no request resolved a parent (e.g. while the OpenAPI schema is generated).
        parent = getattr(self, 'parent', None)
        return parent.pk if parent else None


class UpdateInPlaceMixin:
    """PUT and PATCH change the row they read, locked while they save: a row deleted since is a 404,
    never re-inserted (services.update_row)."""

    def perform_update(self, serializer):
        services.update_row(instance=serializer.instance, save=serializer.save)


class ProtectedDestroyMixin:
    """Destroy, unless protected rows still point at the object: then 405 with `protected_error`."""
    protected_error = None

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response({'error': self.protected_error}, status=status.HTTP_405_METHOD_NOT_ALLOWED)


class ProductViewSet(CachedCatalogueMixin, UpdateInPlaceMixin, ProtectedDestroyMixin, ModelViewSet):
    queryset = Product.objects.all()  # images: get_serializer reads a whole page's in one query
    serializer_class = ProductSerializer
    own_filter_backends = [ProductFilterBackend, ProductSearchFilter, StableOrderingFilter]
    filterset_class = ProductFilter
    pagination_class = DefaultPagination
    permission_classes = [IsAdminOrReadOnly]
    search_fields = ['title', 'description']
    ordering_fields = ['unit_price', 'last_update']
    protected_error = 'Product cannot be deleted because it is associated with an order item.'

    def get_queryset(self):
        # Sale prices as of now (the cached catalogue moves on when a promotion starts or ends).
        return Product.objects.with_sale_price()

    @property
    def filter_backends(self):
        # Read per request: other apps add theirs when they are ready (store.extension_points).
        return [*self.own_filter_backends, *extension_points.product_filter_backends]

    def get_serializer(self, *args, **kwargs):
        # A page's (or a product's) images, read in one query for the serializer to render.
        if args and self.request.method in ('GET', 'HEAD'):
            products = args[0] if kwargs.get('many') else [args[0]]
            kwargs['context'] = {**self.get_serializer_context(),
                                 'images': selectors.product_images(product.id for product in products)}
        return super().get_serializer(*args, **kwargs)


class CollectionViewSet(CachedCatalogueMixin, UpdateInPlaceMixin, ProtectedDestroyMixin, ModelViewSet):
    queryset = Collection.objects.annotate(products_count=Count('products')).order_by('title')
    serializer_class = CollectionSerializer
    permission_classes = [IsAdminOrReadOnly]
    protected_error = 'Collection cannot be deleted because it includes one or more products.'


class ProductChildViewSetMixin(NestedViewSetMixin):
    """Rows of one product (/products/{product_pk}/...): listed in id order, created for that product."""
    parent_model = Product
    parent_url_kwarg = 'product_pk'

    def get_queryset(self):
        return self.serializer_class.Meta.model.objects.filter(product_id=self.parent_pk).order_by('id')

    def get_serializer_context(self):
        return {**super().get_serializer_context(), 'product_id': self.parent_pk}


class ReviewViewSet(AnonWritesThrottledMixin, ProductChildViewSetMixin, UpdateInPlaceMixin, ModelViewSet):
    serializer_class = ReviewSerializer
    permission_classes = [IsAdminOrReadAndCreateOnly]


class ProductImageViewSet(ProductChildViewSetMixin, UpdateInPlaceMixin, ModelViewSet):
    serializer_class = ProductImageSerializer
    permission_classes = [IsAdminOrReadOnly]


class CartViewSet(AnonWritesThrottledMixin, CreateModelMixin, RetrieveModelMixin, DestroyModelMixin, GenericViewSet):
    """Anonymous shopping carts. POST here (no body needed) to create one: its `id` is the key to it.

    GET /store/carts/{id}/ reads the cart, /store/carts/{id}/items/ adds and changes its items, and
    POST /store/orders/ with its `cart_id` orders it. Carts cannot be listed: a cart belongs to
    whoever holds its id.
    """
    queryset = Cart.objects.all()
    serializer_class = CartSerializer

    def perform_create(self, serializer):
        cart = serializer.save()
        serializer.instance = selectors.cart_data(cart.id, lines=[])  # a new cart has no lines to read back

    def retrieve(self, request, *args, **kwargs):
        # The cart and its items in one query (the hottest read that no cache can serve).
        cart = selectors.cart_with_lines(kwargs['pk'])
        if cart is None:
            raise CartNotFound()
        return Response(self.get_serializer(cart).data)


class CartItemViewSet(AnonWritesThrottledMixin, NestedViewSetMixin, ModelViewSet):
    http_method_names = ['get', 'post', 'patch', 'delete', 'head', 'options']
    parent_model = Cart
    parent_url_kwarg = 'cart_pk'

    def get_serializer_class(self):
        if self.request.method == 'POST':
            return AddCartItemSerializer
        if self.request.method == 'PATCH':
            return UpdateCartItemSerializer
        return CartItemSerializer

    def get_parent(self):
        if self.request.method != 'POST':
            return super().get_parent()
        # Adding an item: add_to_cart finds the cart itself (it touches and locks its row, CartNotFound
        # when there is none), so here only the id's form is checked, and the cart is not read twice.
        try:
            Cart._meta.pk.to_python(self.kwargs['cart_pk'])
        except DjangoValidationError as error:
            raise CartNotFound() from error
        return None

    def get_queryset(self):
        # The products with their sale prices (the lines' totals): prefetched, as select_related cannot annotate them.
        return CartItem.objects.filter(cart_id=self.parent_pk).prefetch_related(
            Prefetch('product', queryset=Product.objects.with_sale_price())).order_by('id')

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.add_to_cart(
            cart_id=self.kwargs['cart_pk'], product=data['product_id'], quantity=data['quantity'])

    def perform_update(self, serializer):
        services.update_cart_item(item=serializer.instance, quantity=serializer.validated_data['quantity'])

    def perform_destroy(self, instance):
        services.remove_cart_item(item=instance)


class CustomerViewSet(UpdateInPlaceMixin, ProtectedDestroyMixin, ModelViewSet):
    queryset = Customer.objects.order_by('id')
    serializer_class = CustomerSerializer
    permission_classes = [IsAdminUser]
    protected_error = 'Customer cannot be deleted because they have one or more orders.'

    @extend_schema(responses=OrderSerializer(many=True))
    @action(detail=True, permission_classes=[ViewCustomerHistoryPermission])
    def history(self, request, pk):
        customer = get_object_or_404(Customer, pk=pk)
        orders = orders_with_items().filter(customer=customer)
        return Response(OrderSerializer(orders, many=True).data)

    def get_object(self):
        # The `me` route is the only one without an id that asks for an object (DRF's OPTIONS does too).
        if not self.detail:
            return customer_of(self.request.user)
        return super().get_object()

    @extend_schema(responses={200: CustomerSerializer, 404: OpenApiResponse(
        description='The user has no customer profile (profiles are made with the user; staff may have deleted it).')})
    @action(detail=False, methods=['GET', 'PUT', 'PATCH'], permission_classes=[IsAuthenticated])
    def me(self, request):
        customer = self.get_object()
        if request.method in ('GET', 'HEAD'):  # DRF routes HEAD to the GET action: a read, never a write
            return Response(self.get_serializer(customer).data)
        serializer = self.get_serializer(customer, data=request.data, partial=request.method == 'PATCH')
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(serializer.data)


@extend_schema_view(create=extend_schema(responses={
    201: AddressSerializer,
    404: OpenApiResponse(description='The user has no customer profile (staff may have deleted it).')}))
class AddressViewSet(UpdateInPlaceMixin, ModelViewSet):
    """The logged-in user's own address book: anyone else's address is a 404, staff's included."""
    serializer_class = AddressSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Address.objects.filter(customer__user_id=self.request.user.id).order_by('id')

    def perform_create(self, serializer):
        serializer.save(customer=customer_of(self.request.user))


class PromotionViewSet(UpdateInPlaceMixin, ProtectedDestroyMixin, ModelViewSet):
    """Promotions: staff manage them; anyone reads the active ones (staff read them all)."""
    serializer_class = PromotionSerializer
    permission_classes = [IsAdminOrReadOnly]
    protected_error = 'Promotion cannot be deleted because it is associated with an order item.'

    def get_queryset(self):
        return selectors.promotions_for(self.request.user)

    @transaction.atomic  # the promotion and its product links
    def perform_create(self, serializer):
        serializer.save()


class OrderViewSet(ModelViewSet):
    http_method_names = ['get', 'post', 'patch', 'delete', 'head', 'options']
    MAX_IDEMPOTENCY_KEY_LENGTH = 255

    def get_permissions(self):
        if self.request.method in ['PATCH', 'DELETE']:
            return [IsAdminUser()]
        if self.action == 'cancel':
            return [IsAuthenticated(), CanCancelOrder()]
        if self.action == 'payment':
            return [IsAuthenticated(), IsOrderOwner()]
        if self.action == 'address':
            return [IsAuthenticated(), IsOrderOwnerForAddress()]
        if self.action in ('ship', 'deliver'):
            return [IsAdminUser()]
        return [IsAuthenticated()]

    def get_serializer_class(self):
        if self.request.method == 'POST' and self.action == 'create':
            return CreateOrderSerializer
        if self.request.method == 'PATCH':
            return UpdateOrderSerializer
        return OrderSerializer

    def get_queryset(self):
        user = self.request.user
        # Holders of store.cancel_order may cancel any order (CanCancelOrder), so they must find it too.
        if user.is_staff or (self.action == 'cancel' and user.has_perm('store.cancel_order')):
            return orders_with_items()
        return orders_with_items().filter(customer__user_id=user.id)

    @extend_schema(
        request=CreateOrderSerializer,
        parameters=[OpenApiParameter(
            'Idempotency-Key', str, OpenApiParameter.HEADER, required=False,
            description='Retrying with the same key (and cart) returns the original order instead of a second one.')],
        responses={
            201: OrderSerializer,
            404: OpenApiResponse(description='The user has no customer profile (staff may have deleted it).'),
            422: OpenApiResponse(description='The Idempotency-Key was already used for another cart.'),
        })
    def create(self, request, *args, **kwargs):
        idempotency_key = request.headers.get('Idempotency-Key', '').strip()
        if len(idempotency_key) > self.MAX_IDEMPOTENCY_KEY_LENGTH:
            raise serializers.ValidationError(
                {'Idempotency-Key': [f'Ensure this header has no more than {self.MAX_IDEMPOTENCY_KEY_LENGTH} characters.']})
        serializer = CreateOrderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        order, created = services.place_order(customer=customer_of(request.user),
                                              cart_id=serializer.validated_data['cart_id'],
                                              idempotency_key=idempotency_key or None,
                                              shipping_address=serializer.validated_data['shipping_address'],
                                              actor=request.user)
        headers = {} if created else {'Idempotent-Replayed': 'true'}
        return Response(self.serialize_order(order), status=status.HTTP_201_CREATED, headers=headers)

    def perform_update(self, serializer):
        serializer.instance = services.update_order(
            order=serializer.instance, payment_status=serializer.validated_data.get('payment_status'),
            actor=self.request.user)

    @extend_schema(responses={
        204: None,
        400: OpenApiResponse(description='The order has a payment: cancel it (which refunds or voids the payment) instead.')})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_order(order=instance)

    @extend_schema(request=None, responses={
        200: OrderSerializer,
        502: OpenApiResponse(description='The payment provider did not refund the paid order: it stays paid.')})
    @action(detail=True, methods=['POST'])
    def cancel(self, request, pk=None):
        order = self.get_object()
        may_refund = request.user.has_perm('store.cancel_order')
        order = services.cancel_order(order=order, may_refund=may_refund, actor=request.user)
        return Response(self.serialize_order(order))

    @extend_schema(request=None, responses={
        201: PaymentSerializer,
        400: OpenApiResponse(description='The order is cancelled, paid, refunded or expired.'),
        502: OpenApiResponse(description='The payment provider refused or could not be reached.')})
    @action(detail=True, methods=['POST'])
    def payment(self, request, pk=None):
        """Open the order's payment, or get the open one back: calling again never makes a second intent."""
        payment, intent = services.start_payment(order=self.get_object(), actor=request.user)
        return Response(PaymentSerializer(payment, context={'intent': intent}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary='Set the shipping address of an order', request=OrderAddressSerializer, responses={
        200: OrderSerializer,
        400: OpenApiResponse(description='The address is invalid or not yours, or the order is paid, shipped or cancelled.')})
    @action(detail=True, methods=['POST'])
    def address(self, request, pk=None):
        """Set where the order ships, while it is unpaid, unshipped and not cancelled (the owner only)."""
        order = self.get_object()
        serializer = OrderAddressSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        order = services.set_order_address(order=order, shipping_address=serializer.validated_data['shipping_address'],
                                           actor=request.user)
        return Response(self.serialize_order(order))

    @extend_schema(summary='Ship an order', request=ShipOrderSerializer, responses={
        200: OrderSerializer,
        400: OpenApiResponse(description='The order is unpaid, has no shipping address, is cancelled or refunded, '
                                         'or has already shipped.')})
    @action(detail=True, methods=['POST'])
    def ship(self, request, pk=None):
        """Mark a paid order shipped (staff): the customer is e-mailed the carrier and tracking number."""
        order = self.get_object()
        serializer = ShipOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(self.serialize_order(services.ship_order(order=order, actor=request.user,
                                                                      **serializer.validated_data)))

    @extend_schema(summary='Mark an order delivered', request=None, responses={
        200: OrderSerializer, 400: OpenApiResponse(description='The order has not shipped, or was already delivered.')})
    @action(detail=True, methods=['POST'])
    def deliver(self, request, pk=None):
        return Response(self.serialize_order(services.deliver_order(order=self.get_object(), actor=request.user)))

    @extend_schema(summary='List the events of an order', responses=OrderEventSerializer(many=True))
    @action(detail=True, methods=['GET'])
    def events(self, request, pk=None):
        """The order's history, oldest first: for its owner and staff."""
        order = self.get_object()
        return Response(OrderEventSerializer(selectors.order_events(order.pk), many=True).data)

    def serialize_order(self, order):
        """The order as the list and detail show it, read back with its items (a 404 if a concurrent
        request deleted it since the write committed)."""
        order = orders_with_items().filter(pk=order.pk).first()
        if order is None:
            raise RowNotFound(Order)
        return OrderSerializer(order, context=self.get_serializer_context()).data


class StripeWebhookView(APIView):
    # Stripe authenticates by its signature alone; each event is applied once (services.apply_payment_event).
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        description="Stripe's events about this shop's PaymentIntents, verified with the webhook secret. Point "
                    "Stripe's dashboard (or `stripe listen`) here.",
        request={'application/json': OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter('Stripe-Signature', str, OpenApiParameter.HEADER, required=True,
                                     description="Stripe's signature of the body (t=…,v1=…).")],
        responses={
            200: OpenApiResponse(description='The event was applied, had been already, or is of a type this shop ignores.'),
            400: OpenApiResponse(description='The signature does not verify, or the body is not an event.'),
            404: OpenApiResponse(description='Stripe is not configured here.'),
            502: OpenApiResponse(description='A refund the event calls for failed: Stripe will deliver it again.'),
        })
    def post(self, request):
        if settings.PAYMENT_PROVIDER != StripeProvider.name:
            raise Http404
        provider = get_provider(StripeProvider.name)
        # The signature is of the raw bytes: read before anything parses them.
        event = provider.parse_event(request.body, request.headers.get('Stripe-Signature', ''))
        services.apply_payment_event(provider=provider, event=event)
        return Response({'received': True})
