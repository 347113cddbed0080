from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class LikedItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    # Big enough for any BigAutoField primary key of the liked model.
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=['user', 'content_type', 'object_id'], name='likes_one_like_per_user_and_object'),
        ]
        indexes = [models.Index(fields=['content_type', 'object_id'], name='likes_liked_object_idx')]
