"""Builders, URLs and readers shared by the /store/products/ API tests (test_products_*.py)."""
import io
import json
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import Image

from store.models import Collection, Product, ProductImage

LIST_URL = '/store/products/'
UNKNOWN_PRODUCT_PKS = ['99999', 'abc', '99999999999999999999999']


def product_url(pk):
    return f'{LIST_URL}{pk}/'


def body(response):
    """The JSON body with every JSON number that has a fraction parsed as an exact Decimal."""
    return json.loads(response.content, parse_float=Decimal)


def make_collection(**fields):
    return baker.make(Collection, **fields)


def make_product(**fields):
    fields = {'unit_price': Decimal('10.00'), 'inventory': 5, **fields}
    return baker.make(Product, **fields)


def png_file(name='x.png'):
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), color=(10, 120, 200)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


def make_image(product, name='x.png'):
    return ProductImage.objects.create(product=product, image=png_file(name))


def valid_payload(collection, /, **overrides):
    return {'title': 'Laptop', 'slug': 'laptop', 'description': 'A fast one', 'inventory': 50,
            'unit_price': 999.99, 'collection': collection.pk, **overrides}


def result_ids(response):
    return [item['id'] for item in response.json()['results']]
