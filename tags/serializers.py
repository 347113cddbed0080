from rest_framework import serializers

from .models import Tag


class TagSerializer(serializers.ModelSerializer):
    """A tag. Writing one names it by label; an existing label is reused, not refused."""

    class Meta:
        model = Tag
        fields = ['id', 'label']
        # No UniqueValidator: posting an existing label attaches that tag (see TaggedItemManager.tag).
        extra_kwargs = {'label': {'validators': []}}
