from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter

from . import search
from .models import Product


class ProductFilter(FilterSet):
    class Meta:
        model = Product
        fields = {
            'collection_id': ['exact'],
            'unit_price': ['gt', 'lt'],
        }


class ProductFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request has none of the filter set's parameters.

    Building and validating the filter form costs more than the rest of a list query; a request
    without filters would only pay for an empty form.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(name in request.query_params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


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


class ProductSearchFilter(BoundedSearchFilter):
    """The course's search (each term in title or description, case ignored), narrowed through the
    engine's substring index first (store.search)."""

    def filter_queryset(self, request, queryset, view):
        queryset = super().filter_queryset(request, queryset, view)
        for term in self.get_search_terms(request):
            candidates = search.candidate_ids(term, using=queryset.db)
            if candidates is not None:
                queryset = queryset.filter(id__in=candidates)
        return queryset
