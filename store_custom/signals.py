"""Receivers that keep tags and likes consistent with the store's products, and alert the likers of products."""
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from likes.models import LikedItem
from store.caching import invalidate_catalogue
from store.models import Product
from store.signals import catalogue_seeded, products_changed
from tags.models import Tag, TaggedItem

from . import alerts
from .seeding import seed_demo_tags
from .tasks import queue_liked_product_alerts


def product_tags_changed(sender, instance, raw=False, **kwargs):
    # `?tag=` pages of the cached catalogue change when a product gains or loses a tag.
    if not raw and instance.content_type_id == ContentType.objects.get_for_model(Product).id:
        invalidate_catalogue()


def tag_renamed(sender, instance, created, raw=False, **kwargs):
    # A new label moves the tag's products from one `?tag=` page to another.
    if not raw and not created:
        invalidate_catalogue()


def forget_deleted_product(sender, instance, **kwargs):
    # Generic relations do not cascade: drop the deleted product's tags and likes with it.
    TaggedItem.objects.for_object(instance).delete()
    LikedItem.objects.for_object(instance).delete()


def watch_liked_product(sender, instance, created, raw=False, **kwargs):
    # Watched from its first like on, so that it coming back in stock later is noticed.
    if created and not raw and instance.content_type_id == ContentType.objects.get_for_model(Product).id:
        alerts.watch(instance.object_id)


def alert_likers(sender, product_ids, **kwargs):
    due = alerts.note_changes(product_ids)
    if due:
        transaction.on_commit(lambda: queue_liked_product_alerts(due))


def connect():
    post_save.connect(product_tags_changed, sender=TaggedItem, dispatch_uid='store_custom.tagged')
    post_delete.connect(product_tags_changed, sender=TaggedItem, dispatch_uid='store_custom.untagged')
    post_save.connect(tag_renamed, sender=Tag, dispatch_uid='store_custom.tag_renamed')
    post_delete.connect(forget_deleted_product, sender=Product, dispatch_uid='store_custom.forget_deleted_product')
    catalogue_seeded.connect(seed_demo_tags, dispatch_uid='store_custom.seed_demo_tags')
    post_save.connect(watch_liked_product, sender=LikedItem, dispatch_uid='store_custom.watch_liked_product')
    products_changed.connect(alert_likers, sender=Product, dispatch_uid='store_custom.alert_likers')
