"""Every write to the catalogue bumps its version, so the next read is fresh: staff API writes to products,
images and collections, admin and ORM writes, inventory through orders (placed, cancelled, deleted),
seed_db; one test commits for real (`transaction=True`)."""
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from model_bakery import baker
from PIL import Image

from store.models import Collection, Order, Product, ProductImage

from .cache_helpers import (CARTS_URL, COLLECTIONS_URL, ORDERS_URL, PRODUCTS_URL, collection_url, counts_by_title,
                            product_url, results_by_id)


def png_file(name='photo.png'):
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), color=(10, 120, 200)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


# ---------------------------------------------------------------------------- product writes (staff API)

@pytest.mark.django_db
class TestProductWrites:
    def test_patch_price(self, catalogue, committed, api_client, staff, mug, tea):
        filtered = f'{PRODUCTS_URL}?collection_id={mug.collection_id}'
        for url in (PRODUCTS_URL, product_url(mug.pk), filtered):
            catalogue.warm(url)

        with committed():
            response = api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json')
        assert response.status_code == 200

        for product in (results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk], catalogue.read(product_url(mug.pk)),
                        results_by_id(catalogue.read(filtered))[mug.pk]):
            assert (product['unit_price'], product['price_with_tax']) == (Decimal('12.50'), Decimal('13.75'))
        assert results_by_id(catalogue.read(PRODUCTS_URL))[tea.pk]['unit_price'] == Decimal('4.00')

    def test_patch_title_reorders_the_list(self, catalogue, committed, api_client, staff, mug, tea):
        assert [p['title'] for p in catalogue.warm(PRODUCTS_URL)['results']] == ['Blue Mug', 'Green Tea']
        catalogue.warm(product_url(mug.pk))

        with committed():
            response = api_client.patch(product_url(mug.pk), {'title': 'Yellow Mug'}, format='json')
        assert response.status_code == 200

        assert [p['title'] for p in catalogue.read(PRODUCTS_URL)['results']] == ['Green Tea', 'Yellow Mug']
        assert catalogue.read(product_url(mug.pk))['title'] == 'Yellow Mug'

    def test_put(self, catalogue, committed, api_client, staff, mug, teas):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        payload = {'title': 'Red Mug', 'slug': 'red-mug', 'description': 'Redder', 'inventory': 7,
                   'unit_price': '20.00', 'collection': teas.pk}

        with committed():
            response = api_client.put(product_url(mug.pk), payload, format='json')
        assert response.status_code == 200

        expected = {'id': mug.pk, 'title': 'Red Mug', 'slug': 'red-mug', 'description': 'Redder', 'inventory': 7,
                    'unit_price': Decimal('20.00'), 'price_with_tax': Decimal('22.00'), 'sale_price': None,
                    'collection': teas.pk,
                    'images': []}
        assert catalogue.read(product_url(mug.pk)) == expected
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk] == expected

    def test_create_grows_the_list_and_the_collection(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.warm(PRODUCTS_URL)['count'] == 1
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1}
        assert catalogue.warm(collection_url(mug.collection_id))['products_count'] == 1

        with committed():
            response = api_client.post(PRODUCTS_URL, {
                'title': 'Black Mug', 'slug': 'black-mug', 'inventory': 3, 'unit_price': '9.00',
                'collection': mug.collection_id}, format='json')
        assert response.status_code == 201

        page = catalogue.read(PRODUCTS_URL)
        assert page['count'] == 2
        assert [p['title'] for p in page['results']] == ['Black Mug', 'Blue Mug']
        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 2}
        assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 2

    def test_delete_shrinks_the_list_and_the_collection(self, catalogue, committed, api_client, staff, mug, tea):
        assert catalogue.warm(PRODUCTS_URL)['count'] == 2
        catalogue.warm(product_url(mug.pk))
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1, 'Teas': 1}

        with committed():
            assert api_client.delete(product_url(mug.pk)).status_code == 204

        page = catalogue.read(PRODUCTS_URL)
        assert (page['count'], [p['id'] for p in page['results']]) == (1, [tea.pk])
        assert catalogue.get(product_url(mug.pk)).status_code == 404
        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 0, 'Teas': 1}

    def test_moving_a_product_to_another_collection(self, catalogue, committed, api_client, staff, mug, teas):
        urls = [COLLECTIONS_URL, collection_url(mug.collection_id), collection_url(teas.pk), product_url(mug.pk),
                f'{PRODUCTS_URL}?collection_id={mug.collection_id}', f'{PRODUCTS_URL}?collection_id={teas.pk}']
        for url in urls:
            catalogue.warm(url)

        with committed():
            response = api_client.patch(product_url(mug.pk), {'collection': teas.pk}, format='json')
        assert response.status_code == 200

        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Mugs': 0, 'Teas': 1}
        assert catalogue.read(collection_url(mug.collection_id))['products_count'] == 0
        assert catalogue.read(collection_url(teas.pk))['products_count'] == 1
        assert catalogue.read(product_url(mug.pk))['collection'] == teas.pk
        assert catalogue.read(f'{PRODUCTS_URL}?collection_id={mug.collection_id}')['count'] == 0
        assert [p['id'] for p in catalogue.read(f'{PRODUCTS_URL}?collection_id={teas.pk}')['results']] == [mug.pk]

    def test_image_upload_and_delete(self, catalogue, committed, api_client, staff, mug):
        assert catalogue.warm(product_url(mug.pk))['images'] == []
        assert results_by_id(catalogue.warm(PRODUCTS_URL))[mug.pk]['images'] == []

        with committed():
            response = api_client.post(f'{product_url(mug.pk)}images/', {'image': png_file()}, format='multipart')
        assert response.status_code == 201
        image = response.json()

        assert catalogue.read(product_url(mug.pk))['images'] == [image]
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['images'] == [image]
        catalogue.warm(product_url(mug.pk))

        with committed():
            assert api_client.delete(f'{product_url(mug.pk)}images/{image["id"]}/').status_code == 204

        assert catalogue.read(product_url(mug.pk))['images'] == []
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['images'] == []
        assert not ProductImage.objects.exists()


# ---------------------------------------------------------------------------------------- collections

@pytest.mark.django_db
class TestCollectionWrites:
    def test_create(self, catalogue, committed, api_client, staff, mug):
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Mugs': 1}

        with committed():
            response = api_client.post(COLLECTIONS_URL, {'title': 'Bowls'}, format='json')
        assert response.status_code == 201

        assert catalogue.read(COLLECTIONS_URL) == [
            {'id': response.json()['id'], 'title': 'Bowls', 'products_count': 0},
            {'id': mug.collection_id, 'title': 'Mugs', 'products_count': 1},
        ]

    def test_rename(self, catalogue, committed, api_client, staff, mug, tea):
        catalogue.warm(COLLECTIONS_URL)
        catalogue.warm(collection_url(mug.collection_id))

        with committed():
            response = api_client.patch(collection_url(mug.collection_id), {'title': 'Zen Mugs'}, format='json')
        assert response.status_code == 200

        assert [c['title'] for c in catalogue.read(COLLECTIONS_URL)] == ['Teas', 'Zen Mugs']
        assert catalogue.read(collection_url(mug.collection_id)) == {
            'id': mug.collection_id, 'title': 'Zen Mugs', 'products_count': 1}

    def test_delete(self, catalogue, committed, api_client, staff, tea):
        empty = baker.make(Collection, title='Empty')
        assert counts_by_title(catalogue.warm(COLLECTIONS_URL)) == {'Empty': 0, 'Teas': 1}
        catalogue.warm(collection_url(empty.pk))

        with committed():
            assert api_client.delete(collection_url(empty.pk)).status_code == 204

        assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Teas': 1}
        assert catalogue.get(collection_url(empty.pk)).status_code == 404


# ---------------------------------------------------------------------------------------- admin, ORM

@pytest.mark.django_db
class TestAdminAndOrmWrites:
    def test_admin_changelist_list_editable_price(self, catalogue, committed, admin_client, mug, tea):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        on_page = list(Product.objects.order_by('title', 'pk'))
        data = {'form-TOTAL_FORMS': str(len(on_page)), 'form-INITIAL_FORMS': str(len(on_page)),
                'form-MIN_NUM_FORMS': '0', 'form-MAX_NUM_FORMS': '1000', '_save': 'Save'}
        for index, product in enumerate(on_page):
            price = '11.25' if product == mug else str(product.unit_price)
            data.update({f'form-{index}-id': str(product.pk), f'form-{index}-unit_price': price})

        with committed():
            response = admin_client.post('/admin/store/product/', data)
        assert response.status_code == 302

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('11.25')
        listed = results_by_id(catalogue.read(PRODUCTS_URL))
        assert (listed[mug.pk]['unit_price'], listed[tea.pk]['unit_price']) == (Decimal('11.25'), Decimal('4.00'))

    def test_orm_save(self, catalogue, committed, mug):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))

        with committed():
            mug.unit_price = Decimal('15.00')
            mug.save()

        assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('15.00')
        assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('15.00')

    def test_admin_clear_inventory_action(self, catalogue, committed, admin_client, mug, tea):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))
        catalogue.warm(product_url(tea.pk))

        with committed():
            response = admin_client.post('/admin/store/product/',
                                         {'action': 'clear_inventory', '_selected_action': [mug.pk]})
        assert response.status_code == 302

        assert catalogue.read(product_url(mug.pk))['inventory'] == 0
        assert catalogue.read(product_url(tea.pk))['inventory'] == 30
        listed = results_by_id(catalogue.read(PRODUCTS_URL))
        assert (listed[mug.pk]['inventory'], listed[tea.pk]['inventory']) == (0, 30)


# -------------------------------------------------------------------------------- inventory via orders

@pytest.mark.django_db
@pytest.mark.usefixtures('no_confirmation_emails')
class TestInventoryThroughOrders:
    @pytest.fixture
    def place_order(self, api_client, authenticate, committed, mug):
        """A customer orders 3 mugs (through the API: cart, item, order) and gets the order's id."""
        def do_place_order():
            authenticate()
            cart_id = api_client.post(CARTS_URL).json()['id']
            assert api_client.post(f'{CARTS_URL}{cart_id}/items/', {'product_id': mug.pk, 'quantity': 3},
                                   format='json').status_code == 201
            with committed():
                response = api_client.post(ORDERS_URL, {'cart_id': cart_id}, format='json')
            assert response.status_code == 201, response.content
            return response.json()['id']
        return do_place_order

    def assert_inventory(self, catalogue, product, inventory):
        assert catalogue.read(product_url(product.pk))['inventory'] == inventory
        assert results_by_id(catalogue.read(PRODUCTS_URL))[product.pk]['inventory'] == inventory

    def test_placing_an_order(self, catalogue, place_order, mug):
        catalogue.warm(PRODUCTS_URL)
        catalogue.warm(product_url(mug.pk))

        place_order()

        self.assert_inventory(catalogue, mug, 17)

    def test_cancelling_an_order(self, catalogue, committed, api_client, place_order, mug):
        order_id = place_order()
        catalogue.warm(PRODUCTS_URL)
        assert catalogue.warm(product_url(mug.pk))['inventory'] == 17

        with committed():
            response = api_client.post(f'{ORDERS_URL}{order_id}/cancel/')
        assert response.status_code == 200, response.content

        self.assert_inventory(catalogue, mug, 20)

    def test_staff_deleting_an_order(self, catalogue, committed, api_client, authenticate, place_order, mug):
        order_id = place_order()
        catalogue.warm(PRODUCTS_URL)
        assert catalogue.warm(product_url(mug.pk))['inventory'] == 17
        authenticate(is_staff=True)

        with committed():
            assert api_client.delete(f'{ORDERS_URL}{order_id}/').status_code == 204

        assert not Order.objects.exists()
        self.assert_inventory(catalogue, mug, 20)


# ---------------------------------------------------------------------------------------------- seed_db

@pytest.mark.django_db
def test_seed_db_on_an_empty_database(catalogue, committed):
    assert catalogue.warm(PRODUCTS_URL)['count'] == 0
    assert catalogue.warm(COLLECTIONS_URL) == []

    with committed():
        call_command('seed_db', stdout=io.StringIO(), stderr=io.StringIO())

    assert Product.objects.exists()
    assert catalogue.read(PRODUCTS_URL)['count'] == Product.objects.count()
    collections = catalogue.read(COLLECTIONS_URL)
    assert counts_by_title(collections) == {
        collection.title: collection.products.count() for collection in Collection.objects.all()}
    assert sum(counts_by_title(collections).values()) == Product.objects.count()


# ----------------------------------------------------------------------------------------- real commits

@pytest.mark.django_db(transaction=True, databases='__all__')  # with a read replica, it serves the reads
def test_real_commits_bump_the_version_end_to_end(catalogue, api_client, staff):
    mug = baker.make(Product, title='Blue Mug', unit_price=Decimal('10.00'), inventory=20,
                     collection=baker.make(Collection, title='Mugs'))
    catalogue.warm(PRODUCTS_URL)
    catalogue.warm(product_url(mug.pk))
    catalogue.warm(COLLECTIONS_URL)

    assert api_client.patch(product_url(mug.pk), {'unit_price': '12.50'}, format='json').status_code == 200
    assert catalogue.read(product_url(mug.pk))['unit_price'] == Decimal('12.50')
    assert results_by_id(catalogue.read(PRODUCTS_URL))[mug.pk]['unit_price'] == Decimal('12.50')
    catalogue.warm(product_url(mug.pk))

    response = api_client.post(COLLECTIONS_URL, {'title': 'Bowls'}, format='json')
    assert response.status_code == 201
    assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Bowls': 0, 'Mugs': 1}

    assert api_client.delete(product_url(mug.pk)).status_code == 204
    assert catalogue.get(product_url(mug.pk)).status_code == 404
    assert catalogue.read(PRODUCTS_URL)['count'] == 0
    assert counts_by_title(catalogue.read(COLLECTIONS_URL)) == {'Bowls': 0, 'Mugs': 0}
