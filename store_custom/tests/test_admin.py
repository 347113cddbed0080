from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from model_bakery import baker

from store.admin import ProductImageInline
from store.models import Collection, Product, ProductImage
from store_custom.admin import CustomProductAdmin, TagInline
from tags.models import Tag, TaggedItem

TAG_PREFIX = 'tags-taggeditem-content_type-object_id'


def make_product(**fields):
    fields.setdefault('unit_price', Decimal('10.00'))
    fields.setdefault('inventory', 5)
    return baker.make(Product, collection=baker.make(Collection), **fields)


def product_form_data(collection, tag=None, **overrides):
    data = {
        'title': 'Espresso Beans',
        'slug': 'espresso-beans',
        'description': '',
        'unit_price': '12.50',
        'inventory': '7',
        'collection': str(collection.id),
        f'{TAG_PREFIX}-TOTAL_FORMS': '1' if tag else '0',
        f'{TAG_PREFIX}-INITIAL_FORMS': '0',
        f'{TAG_PREFIX}-MIN_NUM_FORMS': '0',
        f'{TAG_PREFIX}-MAX_NUM_FORMS': '1000',
        'images-TOTAL_FORMS': '0',
        'images-INITIAL_FORMS': '0',
        'images-MIN_NUM_FORMS': '0',
        'images-MAX_NUM_FORMS': '1000',
        '_save': 'Save',
    }
    if tag:
        data[f'{TAG_PREFIX}-0-tag'] = str(tag.id)
    data.update(overrides)
    return data


def tags_of(product):
    return list(
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Product), object_id=product.id,
        ).values_list('tag__label', flat=True)
    )


@pytest.mark.django_db
class TestCustomProductAdminRegistration:
    def test_product_is_registered_with_the_custom_admin(self):
        assert isinstance(admin.site._registry[Product], CustomProductAdmin)


@pytest.mark.django_db
class TestProductChangePageInlines:
    def test_includes_the_tag_and_image_inlines(self, admin_client):
        product = make_product()

        response = admin_client.get(reverse('admin:store_product_change', args=[product.id]))

        assert response.status_code == 200
        assert [type(inline.opts) for inline in response.context['inline_admin_formsets']] == [
            TagInline, ProductImageInline]

    def test_tag_inline_lists_the_product_tags(self, admin_client):
        product = make_product()
        baker.make(TaggedItem, content_object=product, tag=baker.make(Tag, label='organic'))

        response = admin_client.get(reverse('admin:store_product_change', args=[product.id]))

        tag_formset = response.context['inline_admin_formsets'][0].formset
        assert tag_formset.prefix == TAG_PREFIX
        assert [form.instance.tag.label for form in tag_formset.initial_forms] == ['organic']

    def test_image_inline_lists_the_product_images(self, admin_client):
        product = make_product()
        image = baker.make(ProductImage, product=product, image='store/images/beans.jpg')

        response = admin_client.get(reverse('admin:store_product_change', args=[product.id]))

        image_formset = response.context['inline_admin_formsets'][1].formset
        assert image_formset.prefix == 'images'
        assert [form.instance.id for form in image_formset.initial_forms] == [image.id]


@pytest.mark.django_db
class TestSavingProductWithTagInline:
    def test_change_form_creates_a_tagged_item(self, admin_client):
        product = make_product()
        tag = baker.make(Tag, label='organic')

        response = admin_client.post(
            reverse('admin:store_product_change', args=[product.id]),
            product_form_data(product.collection, tag=tag),
        )

        assert response.status_code == 302
        assert tags_of(product) == ['organic']

    def test_add_form_creates_the_product_with_a_tagged_item(self, admin_client):
        collection = baker.make(Collection)
        tag = baker.make(Tag, label='organic')

        response = admin_client.post(reverse('admin:store_product_add'), product_form_data(collection, tag=tag))

        assert response.status_code == 302
        product = Product.objects.get(slug='espresso-beans')
        assert tags_of(product) == ['organic']
