from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TaggedItemManager(models.Manager):
    """Tagging of any model's objects; nothing here knows which models are tagged."""

    def get_tags_for(self, obj_type, obj_id):
        """The tagged items (with their tags) of one object of model `obj_type`."""
        content_type = ContentType.objects.get_for_model(obj_type)
        return self.select_related('tag').filter(content_type=content_type, object_id=obj_id)

    def for_object(self, obj):
        """The tagged items of `obj`."""
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)

    def tags_of(self, obj_type, obj_id):
        """The tags (not the tagged items) of one object of model `obj_type`, by label, in one query."""
        tagged = self.filter(content_type=ContentType.objects.get_for_model(obj_type), object_id=obj_id)
        return Tag.objects.filter(pk__in=tagged.values('tag_id')).order_by('label')

    def object_ids_tagged(self, obj_type, label):
        """A subquery of the ids of `obj_type`'s objects that carry the tag `label` (any letter case)."""
        return self.filter(content_type=ContentType.objects.get_for_model(obj_type),
                           tag__label__iexact=label).values('object_id')

    def tag(self, obj, label):
        """Attach the tag `label` to `obj`, creating the tag if no tag has that label yet.

        A label matches an existing tag whatever its letter case (as it does on MySQL's default
        collation anyway), so 'Sale' reuses 'sale' instead of making a near-duplicate. Idempotent and
        safe against a concurrent identical call. Returns `(tag, created)`, `created` telling whether
        `obj` did not carry the tag before.
        """
        tag = Tag.objects.filter(label__iexact=label).order_by('id').first()
        if tag is None:
            tag, _ = Tag.objects.get_or_create(label=label)
        _, created = self.get_or_create(
            tag=tag, content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        return tag, created

    def untag(self, obj, tag_id):
        """Detach the tag `tag_id` from `obj`; returns whether `obj` carried it. The tag itself stays."""
        deleted, _ = self.for_object(obj).filter(tag_id=tag_id).delete()
        return deleted > 0


class Tag(models.Model):
    label = models.CharField(max_length=255, unique=True)

    def __str__(self):
        return self.label

    class Meta:
        ordering = ['label']


class TaggedItem(models.Model):
    objects = TaggedItemManager()
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    # Big enough for any BigAutoField primary key of the tagged model.
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey()

    def __str__(self):
        return self.tag.label

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=['tag', 'content_type', 'object_id'], name='tags_taggeditem_unique_per_object'),
        ]
        indexes = [models.Index(fields=['content_type', 'object_id'], name='tags_tagged_object_idx')]
