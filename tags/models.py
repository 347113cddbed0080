from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TaggedItemManager(models.Manager):
    def get_tags_for(self, obj_type, obj_id):
        """The tagged items (with their tags) of one object of model `obj_type`."""
        content_type = ContentType.objects.get_for_model(obj_type)
        return self.select_related('tag').filter(content_type=content_type, object_id=obj_id)


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
