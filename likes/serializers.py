from rest_framework import serializers


class LikeSummarySerializer(serializers.Serializer):
    """How many users like an object, and whether the caller is one of them."""
    likes_count = serializers.IntegerField(read_only=True, help_text='How many users like the object.')
    liked = serializers.BooleanField(read_only=True, help_text='Whether the caller likes it (false when anonymous).')
