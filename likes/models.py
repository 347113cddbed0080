from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q


class LikedItemManager(models.Manager):
    """Likes of any model's objects, one per user and object; nothing here knows which models are liked."""

    def for_object(self, obj):
        """The likes of `obj`."""
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)

    def like(self, user, obj):
        """`user` likes `obj`; returns whether this made a new like (False: they already liked it).

        Idempotent, also when two requests of the same user race: the unique constraint refuses the
        second row, which then counts as "already liked" instead of an error.
        """
        try:
            with transaction.atomic():
                _, created = self.get_or_create(
                    user=user, content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        except IntegrityError:
            return False
        return created

    def unlike(self, user, obj):
        """`user` no longer likes `obj`; returns whether they did. Idempotent."""
        deleted, _ = self.for_object(obj).filter(user=user).delete()
        return deleted > 0

    def count_for(self, obj):
        return self.for_object(obj).count()

    def is_liked(self, user, obj):
        """Whether `user` likes `obj`; an anonymous user likes nothing."""
        if not getattr(user, 'is_authenticated', False):
            return False
        return self.for_object(obj).filter(user=user).exists()

    def summary(self, user, obj):
        """`{'likes_count': ..., 'liked': ...}` for `obj` as `user` sees it, in one query."""
        if not getattr(user, 'is_authenticated', False):
            return {'likes_count': self.count_for(obj), 'liked': False}
        counts = self.for_object(obj).aggregate(likes_count=Count('pk'), mine=Count('pk', filter=Q(user=user)))
        return {'likes_count': counts['likes_count'], 'liked': counts['mine'] > 0}


class LikedItem(models.Model):
    objects = LikedItemManager()
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
