from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from model_bakery import baker

from store.models import Product

UNKNOWN_PRODUCT_PKS = ['99999', 'abc', '99999999999999999999999']


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 5, **fields}
    return baker.make(Product, **fields)


def warm_content_types():
    """Load Product's content type into Django's per-process cache (as any earlier request would)."""
    ContentType.objects.get_for_model(Product)
