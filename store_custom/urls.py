"""Products with tags and likes, under /store/ (included before store.urls, so these routes win)."""
from django.urls import re_path
from rest_framework.urlpatterns import format_suffix_patterns
from rest_framework_nested import routers

from . import views

router = routers.SimpleRouter()  # store.urls has the API root view
router.register('products', views.TaggedProductViewSet, basename='products')

products_router = routers.NestedSimpleRouter(router, 'products', lookup='product')
products_router.register('tags', views.ProductTagViewSet, basename='product-tags')

urlpatterns = format_suffix_patterns([
    *router.urls,
    *products_router.urls,
    re_path(r'^products/(?P<product_pk>[^/.]+)/likes/$', views.ProductLikeView.as_view(), name='product-likes'),
])
