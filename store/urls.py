from django.urls import path
from rest_framework_nested import routers

from . import views

router = routers.DefaultRouter()
router.register('products', views.ProductViewSet, basename='products')
router.register('collections', views.CollectionViewSet)
router.register('carts', views.CartViewSet)
router.register('customers', views.CustomerViewSet)
# The address book of `customers/me/`: `me` and `addresses` are no customer ids, so no route of `customers/{pk}/` matches it.
router.register('customers/me/addresses', views.AddressViewSet, basename='customer-addresses')
router.register('orders', views.OrderViewSet, basename='orders')
router.register('promotions', views.PromotionViewSet, basename='promotions')

# Nested routers: format suffixes as on the parent, but no API root of their own (the parent has it).
products_router = routers.NestedDefaultRouter(router, 'products', lookup='product')
products_router.include_root_view = False
products_router.register('reviews', views.ReviewViewSet, basename='product-reviews')
products_router.register('images', views.ProductImageViewSet, basename='product-images')

carts_router = routers.NestedDefaultRouter(router, 'carts', lookup='cart')
carts_router.include_root_view = False
carts_router.register('items', views.CartItemViewSet, basename='cart-items')

urlpatterns = [
    path('payments/stripe/webhook/', views.StripeWebhookView.as_view(), name='stripe-webhook'),
    *router.urls, *products_router.urls, *carts_router.urls,
]
