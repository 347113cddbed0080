"""API tests for writing /store/products/: only staff create, update (PUT, PATCH) and delete products;
validation errors are a 400 naming the field, a product on an order is kept (405)."""
import json
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store import services
from store.models import Cart, CartItem, Collection, Order, OrderItem, Product, ProductImage
from store.serializers import ProductSerializer

from .products_helpers import (
    LIST_URL,
    UNKNOWN_PRODUCT_PKS,
    body,
    make_collection,
    make_image,
    product_url,
    valid_payload,
)

REQUIRED_FIELDS = {'title', 'slug', 'inventory', 'unit_price', 'collection'}

REQUIRED_MESSAGE = 'This field is required.'
MIN_PRICE_MESSAGE = 'Ensure this value is greater than or equal to 1.'
MIN_INVENTORY_MESSAGE = 'Ensure this value is greater than or equal to 0.'
MAX_DIGITS_MESSAGE = 'Ensure that there are no more than 6 digits in total.'
PROTECTED_PRODUCT_MESSAGE = 'Product cannot be deleted because it is associated with an order item.'


def make_order_item(make_customer, product):
    order = baker.make(Order, customer=make_customer())
    return baker.make(OrderItem, order=order, product=product, quantity=1, unit_price=product.unit_price)


# ---------------------------------------------------------------------------------------------- create

@pytest.mark.django_db
class TestCreateProduct:
    def test_anonymous_gets_401(self, api_client, collection):
        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert not Product.objects.exists()

    def test_non_staff_gets_403(self, api_client, authenticate, collection):
        authenticate(is_staff=False)

        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert not Product.objects.exists()

    def test_staff_gets_201_with_the_new_product(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        product = Product.objects.get()
        assert body(response) == {
            'id': product.pk, 'title': 'Laptop', 'description': 'A fast one', 'slug': 'laptop', 'inventory': 50,
            'unit_price': Decimal('999.99'), 'price_with_tax': Decimal('1099.99'), 'sale_price': None,
            'collection': collection.pk, 'images': [],
        }

    def test_list_read_after_a_create_shows_the_new_product(self, api_client, staff, collection,
                                                            django_capture_on_commit_callbacks):
        assert api_client.get(LIST_URL).json()['count'] == 0

        with django_capture_on_commit_callbacks(execute=True):
            api_client.post(LIST_URL, valid_payload(collection), format='json')

        assert [item['title'] for item in api_client.get(LIST_URL).json()['results']] == ['Laptop']

    def test_staff_create_saves_the_product(self, api_client, staff, collection):
        api_client.post(LIST_URL, valid_payload(collection), format='json')

        product = Product.objects.get()
        assert (product.title, product.slug, product.inventory, product.unit_price, product.collection_id) == \
            ('Laptop', 'laptop', 50, Decimal('999.99'), collection.pk)

    def test_description_is_optional(self, api_client, staff, collection):
        payload = valid_payload(collection)
        del payload['description']

        response = api_client.post(LIST_URL, payload, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['description'] is None

    def test_empty_post_returns_400_naming_every_required_field(self, api_client, staff, db):
        response = api_client.post(LIST_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [REQUIRED_MESSAGE] for field in REQUIRED_FIELDS}

    def test_empty_body_returns_400_naming_the_required_fields(self, api_client, staff, db):
        response = api_client.post(LIST_URL, b'', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert set(response.json()) == REQUIRED_FIELDS

    @pytest.mark.parametrize('unit_price', [0.99, 0, -5])
    def test_unit_price_below_1_returns_400(self, api_client, staff, collection, unit_price):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price=unit_price), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'unit_price': [MIN_PRICE_MESSAGE]}

    def test_unit_price_of_exactly_1_is_accepted(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price=1), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert body(response)['price_with_tax'] == Decimal('1.1')

    def test_negative_inventory_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, inventory=-1), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'inventory': [MIN_INVENTORY_MESSAGE]}

    def test_zero_inventory_is_accepted(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, inventory=0), format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['inventory'] == 0

    def test_unit_price_with_more_than_6_digits_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price='12345.67'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'unit_price': [MAX_DIGITS_MESSAGE]}

    def test_unit_price_with_more_than_2_decimal_places_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, unit_price='10.123'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['unit_price']

    def test_unknown_collection_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection=99999), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection': ['Invalid pk "99999" - object does not exist.']}

    def test_non_numeric_collection_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection='abc'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection': ['Incorrect type. Expected pk value, received str.']}

    def test_huge_collection_id_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, collection=10 ** 30), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['collection']

    def test_invalid_slug_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, slug='not a slug!'), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['slug']

    def test_title_longer_than_255_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, valid_payload(collection, title='x' * 256), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['title']

    def test_read_only_fields_in_the_body_are_ignored(self, api_client, staff, collection):
        payload = valid_payload(collection, id=12345, price_with_tax=1, images=[{'id': 1, 'image': 'x.png'}])

        response = api_client.post(LIST_URL, payload, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        product = Product.objects.get()
        assert product.pk != 12345
        assert body(response)['id'] == product.pk
        assert body(response)['price_with_tax'] == Decimal('1099.99')
        assert body(response)['images'] == []
        assert not ProductImage.objects.exists()

    @pytest.mark.parametrize('field, value', [
        ('title', ['a', 'list']),
        ('title', {'an': 'object'}),
        ('unit_price', 'cheap'),
        ('unit_price', 'NaN'),
        ('unit_price', 'Infinity'),
        ('unit_price', [10]),
        ('inventory', 1.5),
        ('inventory', 'many'),
        ('inventory', [1]),
        ('collection', {}),
        ('collection', [1]),
        ('collection', True),
        ('inventory', True),
        ('unit_price', True),
        ('slug', 123.5),
    ])
    def test_wrong_json_type_returns_400_naming_the_field(self, api_client, staff, collection, field, value):
        response = api_client.post(LIST_URL, valid_payload(collection, **{field: value}), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        assert not Product.objects.exists()

    @pytest.mark.parametrize('field, value', [('unit_price', 1e100), ('inventory', 10 ** 30), ('inventory', -10 ** 30)])
    def test_huge_numbers_return_400_naming_the_field(self, api_client, staff, collection, field, value):
        response = api_client.post(LIST_URL, valid_payload(collection, **{field: value}), format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        assert not Product.objects.exists()

    @pytest.mark.parametrize('field', ['collection', 'unit_price', 'inventory'])
    @pytest.mark.parametrize('number', ['1e400', '-1e400', '1' + '0' * 400])
    def test_a_collection_of_1e400_and_other_huge_json_numbers_are_400_on_create(
            self, api_client, staff, collection, field, number):
        # 1e400 is parsed as an infinite float; written raw, as json.dumps would refuse it.
        raw = json.dumps(valid_payload(collection, **{field: 'HUGE'})).replace('"HUGE"', number)

        response = api_client.post(LIST_URL, raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        assert not Product.objects.exists()

    def test_a_collection_of_1e400_is_a_wrong_type(self, api_client, staff, collection):
        raw = json.dumps(valid_payload(collection, collection='HUGE')).replace('"HUGE"', '1e400')

        response = api_client.post(LIST_URL, raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'collection': ['Incorrect type. Expected pk value, received float.']}

    def test_json_list_body_returns_400(self, api_client, staff, collection):
        response = api_client.post(LIST_URL, [valid_payload(collection)], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()
        assert not Product.objects.exists()

    @pytest.mark.parametrize('raw', [b'{"title": ', b'not json', b'{"unit_price": NaN}', b'\xff\xfe'])
    def test_malformed_json_returns_400_with_a_json_body(self, api_client, staff, db, raw):
        response = api_client.post(LIST_URL, raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'detail' in response.json()


# ---------------------------------------------------------------------------------------------- update

@pytest.mark.django_db
class TestUpdateProduct:
    def test_anonymous_put_gets_401(self, api_client, product):
        response = api_client.put(product_url(product.pk), valid_payload(product.collection, title='New'),
                                  format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_anonymous_patch_gets_401(self, api_client, product):
        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_put_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.put(product_url(product.pk), valid_payload(product.collection, title='New'),
                                  format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN

    def test_non_staff_patch_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_staff_put_returns_200_with_the_updated_product(self, api_client, staff, product):
        other = make_collection(title='Other')
        payload = valid_payload(other, title='Desktop', slug='desktop', description='Big', inventory=3,
                                unit_price=19)

        response = api_client.put(product_url(product.pk), payload, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response) == {
            'id': product.pk, 'title': 'Desktop', 'description': 'Big', 'slug': 'desktop', 'inventory': 3,
            'unit_price': Decimal('19'), 'price_with_tax': Decimal('20.9'), 'sale_price': None,
            'collection': other.pk, 'images': [],
        }
        product.refresh_from_db()
        assert (product.title, product.unit_price, product.collection_id) == ('Desktop', Decimal('19'), other.pk)

    def test_staff_put_missing_fields_returns_400(self, api_client, staff, product):
        response = api_client.put(product_url(product.pk), {'title': 'Desktop'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [REQUIRED_MESSAGE] for field in REQUIRED_FIELDS - {'title'}}

    def test_staff_patch_changes_only_the_given_field(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), {'unit_price': 19}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response)['unit_price'] == Decimal('19')
        assert body(response)['price_with_tax'] == Decimal('20.9')
        assert body(response)['title'] == 'Laptop'
        product.refresh_from_db()
        assert (product.unit_price, product.title, product.inventory) == (Decimal('19'), 'Laptop', 50)

    def test_staff_patch_keeps_the_images_in_the_response(self, api_client, staff, product):
        image = make_image(product)

        response = api_client.patch(product_url(product.pk), {'title': 'New'}, format='json')

        assert response.json()['images'] == [{'id': image.pk, 'image': f'http://testserver{image.image.url}'}]

    def test_staff_patch_ignores_read_only_fields(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk),
                                    {'id': 777, 'price_with_tax': 1, 'images': [], 'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert body(response)['id'] == product.pk
        assert body(response)['price_with_tax'] == Decimal('1099.99')
        assert not Product.objects.filter(pk=777).exists()

    def test_reads_after_a_patch_show_the_change(self, api_client, staff, product,
                                                 django_capture_on_commit_callbacks):
        assert api_client.get(product_url(product.pk)).json()['title'] == 'Laptop'
        assert api_client.get(LIST_URL).json()['results'][0]['title'] == 'Laptop'

        with django_capture_on_commit_callbacks(execute=True):
            api_client.patch(product_url(product.pk), {'title': 'Desktop'}, format='json')

        assert api_client.get(product_url(product.pk)).json()['title'] == 'Desktop'
        assert api_client.get(LIST_URL).json()['results'][0]['title'] == 'Desktop'

    @pytest.mark.parametrize('field, value, message', [
        ('unit_price', 0.5, MIN_PRICE_MESSAGE),
        ('inventory', -1, MIN_INVENTORY_MESSAGE),
        ('unit_price', 1234567, MAX_DIGITS_MESSAGE),
    ])
    def test_staff_patch_out_of_range_value_returns_400(self, api_client, staff, product, field, value, message):
        response = api_client.patch(product_url(product.pk), {field: value}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {field: [message]}

    @pytest.mark.parametrize('method', ['put', 'patch'])
    @pytest.mark.parametrize('field', ['collection', 'unit_price', 'inventory'])
    def test_a_collection_of_1e400_and_other_huge_json_numbers_are_400_on_update(
            self, api_client, staff, product, method, field):
        raw = json.dumps(valid_payload(product.collection, title='Renamed', **{field: 'HUGE'})).replace('"HUGE"', '-1e400')

        response = getattr(api_client, method)(product_url(product.pk), raw, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        product.refresh_from_db()
        assert product.title == 'Laptop'

    @pytest.mark.parametrize('field, value', [
        ('title', ['a', 'list']),
        ('unit_price', 'cheap'),
        ('inventory', 1.5),
        ('collection', {}),
        ('collection', 'abc'),
        ('collection', 99999),
        ('unit_price', 1e100),
        ('inventory', 10 ** 30),
    ])
    def test_staff_patch_wrong_type_returns_400_naming_the_field(self, api_client, staff, product, field, value):
        response = api_client.patch(product_url(product.pk), {field: value}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        product.refresh_from_db()
        assert product.title == 'Laptop'

    def test_staff_patch_with_a_json_list_body_returns_400(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), [{'title': 'New'}], format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'non_field_errors' in response.json()

    def test_staff_patch_with_malformed_json_returns_400(self, api_client, staff, product):
        response = api_client.patch(product_url(product.pk), b'{"title": "New"', content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert 'detail' in response.json()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_staff_put_unknown_or_malformed_id_returns_404(self, api_client, staff, collection, pk):
        response = api_client.put(product_url(pk), valid_payload(collection), format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Product.objects.exists()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_staff_patch_unknown_or_malformed_id_returns_404(self, api_client, staff, db, pk):
        response = api_client.patch(product_url(pk), {'title': 'New'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND


# ---------------------------------------------------------------------------------------------- delete

@pytest.mark.django_db
class TestUpdateVanishedProduct:
    """An update whose product a concurrent request deleted since it was read (the race itself, on MariaDB:
    test_write_races.py): services.update_row refuses it before the serializer's save could re-insert it."""

    def test_a_deleted_product_is_not_resurrected_by_an_update(self, product):
        serializer = ProductSerializer(product, data={'title': 'Renamed'}, partial=True)
        assert serializer.is_valid(), serializer.errors
        Product.objects.filter(pk=product.pk).delete()

        with pytest.raises(services.RowNotFound, match='^No Product matches the given query.$'):
            services.update_row(instance=serializer.instance, save=serializer.save)

        assert not Product.objects.exists()


@pytest.mark.django_db
class TestDeleteProduct:
    def test_anonymous_gets_401(self, api_client, product):
        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Product.objects.filter(pk=product.pk).exists()

    def test_non_staff_gets_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Product.objects.filter(pk=product.pk).exists()

    def test_staff_gets_204_with_an_empty_body(self, api_client, staff, product):
        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''

    def test_deleted_product_is_gone(self, api_client, staff, product):
        api_client.delete(product_url(product.pk))

        assert not Product.objects.filter(pk=product.pk).exists()
        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_reads_after_a_delete_no_longer_show_it(self, api_client, staff, product,
                                                    django_capture_on_commit_callbacks):
        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_200_OK
        assert api_client.get(LIST_URL).json()['count'] == 1

        with django_capture_on_commit_callbacks(execute=True):
            api_client.delete(product_url(product.pk))

        assert api_client.get(product_url(product.pk)).status_code == status.HTTP_404_NOT_FOUND
        assert api_client.get(LIST_URL).json()['count'] == 0

    def test_deleting_a_product_deletes_its_images(self, api_client, staff, product):
        make_image(product)

        api_client.delete(product_url(product.pk))

        assert not ProductImage.objects.exists()

    def test_deleting_a_featured_product_unsets_the_feature(self, api_client, staff, product):
        Collection.objects.filter(pk=product.collection_id).update(featured_product=product)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert Collection.objects.get(pk=product.collection_id).featured_product is None

    def test_deleting_a_product_removes_it_from_carts(self, api_client, staff, product):
        cart_item = baker.make(CartItem, cart=baker.make(Cart), product=product, quantity=2)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not CartItem.objects.filter(pk=cart_item.pk).exists()
        assert Cart.objects.filter(pk=cart_item.cart_id).exists()

    def test_product_with_order_items_returns_405_with_the_error(self, api_client, staff, product, make_customer):
        make_order_item(make_customer, product)

        response = api_client.delete(product_url(product.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'error': PROTECTED_PRODUCT_MESSAGE}

    def test_product_with_order_items_is_kept(self, api_client, staff, product, make_customer):
        make_order_item(make_customer, product)

        api_client.delete(product_url(product.pk))

        assert Product.objects.filter(pk=product.pk).exists()
        assert OrderItem.objects.filter(product=product).exists()

    @pytest.mark.parametrize('pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_id_returns_404(self, api_client, staff, product, pk):
        response = api_client.delete(product_url(pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Product.objects.filter(pk=product.pk).exists()
