from django.template import loader
from rest_framework.filters import BaseFilterBackend

from tags.models import TaggedItem


class TagFilterBackend(BaseFilterBackend):
    """`?tag=<label>`: only the objects carrying the tag with that label (letter case ignored).

    A subquery on the tagged items, not a join, so an object with several tags is still one row.
    An empty `?tag=` filters nothing; an unknown label matches nothing.
    """
    query_param = 'tag'
    template = 'store_custom/tag_filter.html'

    def filter_queryset(self, request, queryset, view):
        label = request.query_params.get(self.query_param, '').strip()
        if not label:
            return queryset
        return queryset.filter(pk__in=TaggedItem.objects.object_ids_tagged(queryset.model, label))

    def to_html(self, request, queryset, view):
        """The browsable API's Filters dialog: a field for the label."""
        return loader.get_template(self.template).render({
            'param': self.query_param, 'label': request.query_params.get(self.query_param, '')})

    def get_schema_operation_parameters(self, view):
        return [{
            'name': self.query_param,
            'required': False,
            'in': 'query',
            'description': 'Only items carrying the tag with this label (exact label, letter case ignored).',
            'schema': {'type': 'string'},
        }]
