"""Demo tags for the demo products: what `seed_db` seeds through store's `catalogue_seeded` signal."""
import random

from django.contrib.contenttypes.models import ContentType

from store.management.commands.seed_db import BATCH_SIZE, SEED
from store.models import Product
from tags.models import Tag, TaggedItem

TAG_LABELS = ['bestseller', 'clearance', 'eco-friendly', 'gift idea',
              'limited edition', 'new arrival', 'on sale', 'staff pick']
TAGGED_SHARE = 0.2


def plan_tagging(slugs):
    """(tag label, product slug) pairs for about a fifth of the products, the same on every run."""
    rng = random.Random(f'{SEED}:tags')
    pairs = []
    for slug in slugs:
        if rng.random() < TAGGED_SHARE:
            pairs.extend((label, slug) for label in rng.sample(TAG_LABELS, rng.randint(1, 2)))
    return pairs


def seed_demo_tags(sender, slugs, product_ids, **kwargs):
    """Insert the demo tags and tagged items that are missing (by label; by tag and product)."""
    existing = set(Tag.objects.filter(label__in=TAG_LABELS).values_list('label', flat=True))
    missing = [label for label in TAG_LABELS if label not in existing]
    Tag.objects.bulk_create([Tag(label=label) for label in missing], batch_size=BATCH_SIZE)
    tag_ids = dict(Tag.objects.filter(label__in=TAG_LABELS).values_list('label', 'pk'))

    content_type = ContentType.objects.get_for_model(Product)
    tagged = set(TaggedItem.objects.filter(content_type=content_type, tag_id__in=tag_ids.values())
                 .values_list('tag_id', 'object_id'))
    new_items = []
    for label, slug in plan_tagging(slugs):
        key = (tag_ids[label], product_ids[slug]) if slug in product_ids else None
        if key and key not in tagged:
            tagged.add(key)
            new_items.append(TaggedItem(tag_id=key[0], content_type=content_type, object_id=key[1]))
    TaggedItem.objects.bulk_create(new_items, batch_size=BATCH_SIZE)
    return {'tags': len(missing), 'tagged items': len(new_items)}
