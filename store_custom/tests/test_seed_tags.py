"""The demo tags that store_custom seeds when `seed_db` runs (through store's `catalogue_seeded` signal)."""
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from store.models import Product
from store.signals import catalogue_seeded
from store_custom import seeding
from tags.models import Tag, TaggedItem


@pytest.fixture(autouse=True)
def in_memory_images(settings):
    # The seed also writes 1000 pictures: keep them in memory, these tests are about the tags.
    settings.STORAGES = {**settings.STORAGES, 'default': {'BACKEND': 'django.core.files.storage.InMemoryStorage'}}


def run_seed():
    out = io.StringIO()
    call_command('seed_db', stdout=out, stderr=io.StringIO())
    return out.getvalue()


def tagging_rows():
    slugs = dict(Product.objects.values_list('pk', 'slug'))
    content_type = ContentType.objects.get_for_model(Product)
    return sorted((label, slugs.get(object_id)) for label, object_id in TaggedItem.objects.filter(
        content_type=content_type).values_list('tag__label', 'object_id'))


@pytest.mark.django_db
class TestSeedTags:
    def test_first_run_tags_about_a_fifth_of_the_products(self):
        output = run_seed()

        assert Tag.objects.count() == len(seeding.TAG_LABELS)
        assert TaggedItem.objects.count() > 0
        assert set(TaggedItem.objects.values_list('object_id', flat=True)) <= set(
            Product.objects.values_list('pk', flat=True))
        assert 150 <= len({slug for _, slug in tagging_rows()}) <= 250
        # The same plan as when store's seed_db tagged the products itself: 8 tags on 320 items.
        assert '8 tags, 320 tagged items' in output and TaggedItem.objects.count() == 320

    def test_second_run_changes_nothing(self):
        run_seed()
        before = tagging_rows()

        output = run_seed()

        assert tagging_rows() == before
        assert 'tag' not in output

    def test_a_removed_product_comes_back_with_its_tags(self):
        run_seed()
        before = tagging_rows()
        tagged_product = Product.objects.filter(
            pk__in=TaggedItem.objects.values('object_id'), orderitems=None).exclude(
            pk__in=Product.objects.filter(collection__featured_product__isnull=False).values(
                'collection__featured_product')).order_by('pk').first()
        tagged_product.delete()  # its tagged items go with it (store_custom's post_delete receiver)
        assert tagging_rows() != before

        run_seed()

        assert tagging_rows() == before

    def test_without_store_customs_receiver_nothing_is_tagged(self):
        catalogue_seeded.disconnect(dispatch_uid='store_custom.seed_demo_tags')
        try:
            output = run_seed()
        finally:
            catalogue_seeded.connect(seeding.seed_demo_tags, dispatch_uid='store_custom.seed_demo_tags')

        assert Product.objects.count() == 1000
        assert (Tag.objects.count(), TaggedItem.objects.count()) == (0, 0)
        assert 'tag' not in output
