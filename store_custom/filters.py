from rest_framework.filters import BaseFilterBackend

from tags.models import TaggedItem


class TagFilterBackend(BaseFilterBackend):
    """`?tag=<label>`: only the objects carrying the tag with that label (letter case ignored).

    A subquery on the tagged items, not a join, so an object with several tags is still one row.
    An empty `?tag=` filters nothing; an unknown label matches nothing.
    """
    query_param = 'tag'

    def filter_queryset(self, request, queryset, view):
        label = request.query_params.get(self.query_param, '').strip()
        if not label:
            return queryset
        return queryset.filter(pk__in=TaggedItem.objects.object_ids_tagged(queryset.model, label))

    def get_schema_operation_parameters(self, view):
        return [{
            'name': self.query_param,
            'required': False,
            'in': 'query',
            'description': 'Only items carrying the tag with this label (exact label, letter case ignored).',
            'schema': {'type': 'string'},
        }]
