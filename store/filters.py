from django_filters.rest_framework import FilterSet
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter

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


class BoundedSearchFilter(SearchFilter):
    """Search whose errors name `search`, and that refuses more terms than a database can AND together."""
    max_terms = 20

    def get_search_terms(self, request):
        try:
            terms = super().get_search_terms(request)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({self.search_param: error.detail}) from error
        if len(terms) > self.max_terms:
            raise serializers.ValidationError({self.search_param: [f'Use at most {self.max_terms} search terms.']})
        return terms
