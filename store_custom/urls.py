"""The tags and likes of the store's products, under /store/products/{product_pk}/; the unsubscribe link of
liked-product alerts."""
from django.urls import path, re_path
from rest_framework.urlpatterns import format_suffix_patterns
from rest_framework_nested import routers

from store.urls import router as store_router

from . import views

products_router = routers.NestedSimpleRouter(store_router, 'products', lookup='product')
products_router.register('tags', views.ProductTagViewSet, basename='product-tags')

urlpatterns = format_suffix_patterns([
    *products_router.urls,
    re_path(r'^products/(?P<product_pk>[^/.]+)/likes/$', views.ProductLikeView.as_view(), name='product-likes'),
]) + [
    path('liked-product-alerts/unsubscribe/<str:token>/', views.UnsubscribeView.as_view(),
         name='liked-product-alerts-unsubscribe'),
]
