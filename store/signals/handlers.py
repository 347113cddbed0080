from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from store.caching import invalidate_catalogue, promotions_changed
from store.models import Collection, Customer, Product, ProductImage, Promotion

from . import announce_products_changed


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_customer_for_new_user(sender, instance, created, raw=False, **kwargs):
    # Fixtures (raw saves) bring their own customer rows.
    if created and not raw:
        Customer.objects.create(user=instance)


def delete_file_after_commit(file):
    """Remove a stored file once the row that referenced it is gone for good (not on rollback)."""
    if file:
        transaction.on_commit(lambda: file.storage.delete(file.name))


@receiver(post_delete, sender=ProductImage)
def delete_image_file(sender, instance, **kwargs):
    delete_file_after_commit(instance.image)


@receiver(pre_save, sender=ProductImage)
def delete_replaced_image_file(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    previous = ProductImage.objects.filter(pk=instance.pk).only('image').first()
    if previous is not None and previous.image and previous.image.name != instance.image.name:
        delete_file_after_commit(previous.image)


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Collection)
@receiver([post_save, post_delete], sender=ProductImage)
def catalogue_changed(sender, raw=False, **kwargs):
    if not raw:
        invalidate_catalogue()


@receiver(post_save, sender=Product)
def product_saved(sender, instance, raw=False, **kwargs):
    # Its price or stock may have changed (receivers compare).
    if not raw:
        announce_products_changed([instance.pk])


@receiver(post_save, sender=Promotion)
def promotion_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        promotions_changed()
        announce_products_changed(instance.product_set.values_list('pk', flat=True))


@receiver(pre_delete, sender=Promotion)
def promotion_deleted(sender, instance, **kwargs):
    # Its products, read while their links still exist.
    announce_products_changed(instance.product_set.values_list('pk', flat=True))
    promotions_changed()


@receiver(m2m_changed, sender=Product.promotions.through)
def product_promotions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # From a promotion (reverse), pk_set holds products; from a product, promotions.
    if action in ('post_add', 'post_remove'):
        announce_products_changed(pk_set if reverse else [instance.pk])
    elif action == 'pre_clear':  # the links are still there
        announce_products_changed(instance.product_set.values_list('pk', flat=True) if reverse else [instance.pk])
    if action in ('post_add', 'post_remove', 'post_clear'):
        promotions_changed()
