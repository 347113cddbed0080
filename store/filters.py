from django_filters.rest_framework import FilterSet
from rest_framework.filters import OrderingFilter

from .models import Product


class ProductFilter(FilterSet):
    class Meta:
        model = Product
        fields = {
            'collection_id': ['exact'],
            'unit_price': ['gt', 'lt'],
        }


class StableOrderingFilter(OrderingFilter):
    """Ordering that pages cannot repeat or skip rows under: `id` breaks every tie."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or list(queryset.model._meta.ordering)
        return [*ordering, 'id'] if 'id' not in ordering else ordering
