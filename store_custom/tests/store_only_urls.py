"""A URLconf without store_custom: the store API alone (as when store_custom is not installed)."""
from django.urls import include, path

urlpatterns = [path('store/', include('store.urls'))]
