from django.db.models import Count, Prefetch, ProtectedError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.filters import SearchFilter
from rest_framework.generics import get_object_or_404
from rest_framework.mixins import CreateModelMixin, DestroyModelMixin, RetrieveModelMixin
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from .filters import ProductFilter, StableOrderingFilter
from .models import Cart, CartItem, Collection, Product, ProductImage, Review
from .pagination import DefaultPagination
from .permissions import IsAdminOrReadAndCreateOnly, IsAdminOrReadOnly
from .serializers import (AddCartItemSerializer, CartItemSerializer, CartSerializer, CollectionSerializer,
                          ProductImageSerializer, ProductSerializer, ReviewSerializer, UpdateCartItemSerializer)


class NestedViewSetMixin:
    """A view under a parent resource (/products/{product_pk}/reviews/): the parent must exist.

    An unknown or malformed parent id is a 404 before anything else touches the database.
    """
    parent_model = None
    parent_url_kwarg = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.parent = get_object_or_404(self.parent_model.objects.only('pk'), pk=self.kwargs[self.parent_url_kwarg])


class ProtectedDestroyMixin:
    """Destroy, unless protected rows still point at the object: then 405 with `protected_error`."""
    protected_error = None

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response({'error': self.protected_error}, status=status.HTTP_405_METHOD_NOT_ALLOWED)


class ProductViewSet(ProtectedDestroyMixin, ModelViewSet):
    queryset = Product.objects.prefetch_related('images')
    serializer_class = ProductSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]
    filterset_class = ProductFilter
    pagination_class = DefaultPagination
    permission_classes = [IsAdminOrReadOnly]
    search_fields = ['title', 'description']
    ordering_fields = ['unit_price', 'last_update']
    protected_error = 'Product cannot be deleted because it is associated with an order item.'


class CollectionViewSet(ProtectedDestroyMixin, ModelViewSet):
    queryset = Collection.objects.annotate(products_count=Count('products')).order_by('title')
    serializer_class = CollectionSerializer
    permission_classes = [IsAdminOrReadOnly]
    protected_error = 'Collection cannot be deleted because it includes one or more products.'


class ReviewViewSet(NestedViewSetMixin, ModelViewSet):
    serializer_class = ReviewSerializer
    permission_classes = [IsAdminOrReadAndCreateOnly]
    parent_model = Product
    parent_url_kwarg = 'product_pk'

    def get_queryset(self):
        return Review.objects.filter(product_id=self.parent.pk).order_by('id')

    def get_serializer_context(self):
        return {**super().get_serializer_context(), 'product_id': self.parent.pk}


class ProductImageViewSet(NestedViewSetMixin, ModelViewSet):
    serializer_class = ProductImageSerializer
    permission_classes = [IsAdminOrReadOnly]
    parent_model = Product
    parent_url_kwarg = 'product_pk'

    def get_queryset(self):
        return ProductImage.objects.filter(product_id=self.parent.pk).order_by('id')

    def get_serializer_context(self):
        return {**super().get_serializer_context(), 'product_id': self.parent.pk}


class CartViewSet(CreateModelMixin, RetrieveModelMixin, DestroyModelMixin, GenericViewSet):
    queryset = Cart.objects.prefetch_related(
        Prefetch('items', queryset=CartItem.objects.select_related('product').order_by('id')))
    serializer_class = CartSerializer


class CartItemViewSet(NestedViewSetMixin, ModelViewSet):
    http_method_names = ['get', 'post', 'patch', 'delete', 'head', 'options']
    parent_model = Cart
    parent_url_kwarg = 'cart_pk'

    def get_serializer_class(self):
        if self.request.method == 'POST':
            return AddCartItemSerializer
        if self.request.method == 'PATCH':
            return UpdateCartItemSerializer
        return CartItemSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), 'cart_id': self.parent.pk}

    def get_queryset(self):
        return CartItem.objects.filter(cart_id=self.parent.pk).select_related('product').order_by('id')
