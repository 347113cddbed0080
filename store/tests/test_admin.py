from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from store.models import Collection, Customer, Order, OrderEvent, OrderItem, Payment, Product, ProductImage

User = get_user_model()

STORE_MODELS = ['product', 'collection', 'customer', 'order']

PRODUCT_CHANGELIST_QUERY_BUDGET = 7
COLLECTION_CHANGELIST_QUERY_BUDGET = 5
CUSTOMER_CHANGELIST_QUERY_BUDGET = 5
ORDER_CHANGELIST_QUERY_BUDGET = 5
PRODUCT_ADD_FORM_QUERY_BUDGET = 3
PRODUCT_CHANGE_FORM_QUERY_BUDGET = 9
ORDER_ADD_FORM_QUERY_BUDGET = 2


def make_product(collection=None, **fields):
    fields.setdefault('unit_price', Decimal('10.00'))
    fields.setdefault('inventory', 5)
    return baker.make(Product, collection=collection or baker.make(Collection), **fields)


def make_customer(**user_fields):
    user = baker.make(User, **user_fields)
    return Customer.objects.get(user=user)


def make_order(customer=None, items=1):
    order = baker.make(Order, customer=customer or make_customer())
    for _ in range(items):
        baker.make(OrderItem, order=order, product=make_product(), quantity=2, unit_price=Decimal('10.00'))
    return order


def make_object(model_name):
    makers = {
        'product': make_product,
        'collection': lambda: baker.make(Collection),
        'customer': make_customer,
        'order': make_order,
    }
    return makers[model_name]()


def changelist_url(model_name):
    return reverse(f'admin:store_{model_name}_changelist')


def result_ids(response):
    return [obj.id for obj in response.context['cl'].result_list]


def result_titles(response):
    return [obj.title for obj in response.context['cl'].result_list]


def queries_for_get(client, url, params=None):
    """The number of queries a GET of `url` makes (after one warm-up GET) and the response."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


def assert_page_within_budget(client, url, budget, assert_max_queries):
    client.get(url)
    with assert_max_queries(budget):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
class TestAdminIndex:
    def test_shows_site_header(self, admin_client):
        response = admin_client.get(reverse('admin:index'))

        assert response.status_code == 200
        assert '<div id="site-name"><a href="/admin/">Storefront Admin</a></div>' in response.content.decode()

    def test_shows_index_title(self, admin_client):
        response = admin_client.get(reverse('admin:index'))

        assert response.status_code == 200
        assert '<h1>Admin Dashboard</h1>' in response.content.decode()


@pytest.mark.django_db
class TestStoreAdminPagesForSuperuser:
    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_changelist_returns_200(self, admin_client, model_name):
        make_object(model_name)

        response = admin_client.get(changelist_url(model_name))

        assert response.status_code == 200

    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_add_form_returns_200(self, admin_client, model_name):
        response = admin_client.get(reverse(f'admin:store_{model_name}_add'))

        assert response.status_code == 200

    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_change_form_returns_200(self, admin_client, model_name):
        obj = make_object(model_name)

        response = admin_client.get(reverse(f'admin:store_{model_name}_change', args=[obj.id]))

        assert response.status_code == 200


@pytest.mark.django_db
class TestStoreAdminPagesForAnonymous:
    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_changelist_redirects_to_login(self, client, model_name):
        url = changelist_url(model_name)

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_add_form_redirects_to_login(self, client, model_name):
        url = reverse(f'admin:store_{model_name}_add')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    @pytest.mark.parametrize('model_name', STORE_MODELS)
    def test_change_form_redirects_to_login(self, client, model_name):
        url = reverse(f'admin:store_{model_name}_change', args=[make_object(model_name).id])

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.django_db
class TestChangelistQueryCount:
    def test_product_changelist_is_constant(self, admin_client, django_assert_max_num_queries):
        url = changelist_url('product')
        make_product()
        assert_page_within_budget(admin_client, url, PRODUCT_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)
        for _ in range(10):
            make_product(collection=baker.make(Collection))

        response = assert_page_within_budget(
            admin_client, url, PRODUCT_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)

        assert len(response.context['cl'].result_list) == 10
        assert response.context['cl'].result_count == 11

    def test_collection_changelist_is_constant(self, admin_client, django_assert_max_num_queries):
        url = changelist_url('collection')
        make_product()
        assert_page_within_budget(admin_client, url, COLLECTION_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)
        for _ in range(10):
            collection = baker.make(Collection)
            make_product(collection=collection)
            make_product(collection=collection)

        response = assert_page_within_budget(
            admin_client, url, COLLECTION_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)

        assert len(response.context['cl'].result_list) == 11

    def test_customer_changelist_is_constant(self, admin_client, django_assert_max_num_queries):
        url = changelist_url('customer')
        assert_page_within_budget(admin_client, url, CUSTOMER_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)
        for _ in range(9):
            customer = make_customer()
            make_order(customer=customer)
            make_order(customer=customer)

        response = assert_page_within_budget(
            admin_client, url, CUSTOMER_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)

        assert len(response.context['cl'].result_list) == 10

    def test_order_changelist_is_constant(self, admin_client, django_assert_max_num_queries):
        url = changelist_url('order')
        make_order()
        assert_page_within_budget(admin_client, url, ORDER_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)
        for _ in range(10):
            make_order(items=2)

        response = assert_page_within_budget(
            admin_client, url, ORDER_CHANGELIST_QUERY_BUDGET, django_assert_max_num_queries)

        assert len(response.context['cl'].result_list) == 11


@pytest.mark.django_db
class TestFormQueryCount:
    def test_product_add_form_is_within_budget(self, admin_client, django_assert_max_num_queries):
        make_product()

        assert_page_within_budget(
            admin_client, reverse('admin:store_product_add'), PRODUCT_ADD_FORM_QUERY_BUDGET,
            django_assert_max_num_queries)

    def test_product_change_form_is_constant_in_the_number_of_images(
            self, admin_client, django_assert_max_num_queries):
        product = make_product()
        url = reverse('admin:store_product_change', args=[product.id])
        baker.make(ProductImage, product=product, image='store/images/first.jpg')
        assert_page_within_budget(admin_client, url, PRODUCT_CHANGE_FORM_QUERY_BUDGET, django_assert_max_num_queries)
        for index in range(5):
            baker.make(ProductImage, product=product, image=f'store/images/more-{index}.jpg')

        response = assert_page_within_budget(
            admin_client, url, PRODUCT_CHANGE_FORM_QUERY_BUDGET, django_assert_max_num_queries)

        image_formset = next(
            inline.formset for inline in response.context['inline_admin_formsets']
            if inline.formset.model is ProductImage)
        assert len(image_formset.forms) == 6

    def test_order_add_form_is_within_budget(self, admin_client, django_assert_max_num_queries):
        make_order(items=3)

        assert_page_within_budget(
            admin_client, reverse('admin:store_order_add'), ORDER_ADD_FORM_QUERY_BUDGET, django_assert_max_num_queries)


@pytest.mark.django_db
class TestProductChangelistSearch:
    def test_search_by_title_lists_only_matching_products(self, admin_client):
        make_product(title='Espresso Beans')
        make_product(title='Green Tea')
        make_product(title='Decaf Espresso')

        response = admin_client.get(changelist_url('product'), {'q': 'espresso'})

        assert response.status_code == 200
        assert result_titles(response) == ['Decaf Espresso', 'Espresso Beans']


@pytest.mark.django_db
class TestProductInventoryFilter:
    def test_low_filter_lists_only_products_below_10(self, admin_client):
        make_product(title='Empty', inventory=0)
        make_product(title='Nine', inventory=9)
        make_product(title='Ten', inventory=10)
        make_product(title='Plenty', inventory=50)

        response = admin_client.get(changelist_url('product'), {'inventory': '<10'})

        assert response.status_code == 200
        assert result_titles(response) == ['Empty', 'Nine']

    def test_low_filter_rows_show_low_status(self, admin_client):
        make_product(title='Empty', inventory=0)
        make_product(title='Nine', inventory=9)
        make_product(title='Plenty', inventory=50)

        response = admin_client.get(changelist_url('product'), {'inventory': '<10'})

        content = response.content.decode()
        assert content.count('<td class="field-inventory_status">Low</td>') == 2
        assert content.count('<td class="field-inventory_status">OK</td>') == 0

    def test_status_column_shows_ok_from_10(self, admin_client):
        make_product(title='Nine', inventory=9)
        make_product(title='Ten', inventory=10)
        make_product(title='Plenty', inventory=50)

        response = admin_client.get(changelist_url('product'))

        content = response.content.decode()
        assert content.count('<td class="field-inventory_status">Low</td>') == 1
        assert content.count('<td class="field-inventory_status">OK</td>') == 2


@pytest.mark.django_db
class TestProductCollectionFilter:
    def test_filter_by_collection_lists_only_its_products(self, admin_client):
        coffee = baker.make(Collection, title='Coffee')
        tea = baker.make(Collection, title='Tea')
        make_product(title='Espresso', collection=coffee)
        make_product(title='Mocha', collection=coffee)
        make_product(title='Sencha', collection=tea)

        response = admin_client.get(changelist_url('product'), {'collection__id': coffee.id})

        assert response.status_code == 200
        assert result_titles(response) == ['Espresso', 'Mocha']


@pytest.mark.django_db
class TestClearInventoryAction:
    def post_action(self, client, products):
        return client.post(
            changelist_url('product'),
            {'action': 'clear_inventory', '_selected_action': [product.id for product in products]},
            follow=True,
        )

    def test_sets_inventory_to_zero_for_selected_products_only(self, admin_client):
        first = make_product(inventory=20)
        second = make_product(inventory=30)
        untouched = make_product(inventory=40)

        self.post_action(admin_client, [first, second])

        assert Product.objects.get(id=first.id).inventory == 0
        assert Product.objects.get(id=second.id).inventory == 0
        assert Product.objects.get(id=untouched.id).inventory == 40

    def test_shows_number_of_updated_products(self, admin_client):
        products = [make_product(inventory=20), make_product(inventory=30)]

        response = self.post_action(admin_client, products)

        assert response.status_code == 200
        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            '2 products were successfully updated.']

    def test_one_product_is_reported_in_the_singular(self, admin_client):
        response = self.post_action(admin_client, [make_product(inventory=20)])

        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            '1 product was successfully updated.']


@pytest.mark.django_db
class TestProductListEditableUnitPrice:
    def post_unit_price(self, client, product, unit_price):
        return client.post(changelist_url('product'), {
            'form-TOTAL_FORMS': '1',
            'form-INITIAL_FORMS': '1',
            'form-MIN_NUM_FORMS': '0',
            'form-MAX_NUM_FORMS': '1000',
            'form-0-id': str(product.id),
            'form-0-unit_price': unit_price,
            '_save': 'Save',
        })

    def test_saves_new_unit_price(self, admin_client):
        product = make_product(unit_price=Decimal('10.00'))

        response = self.post_unit_price(admin_client, product, '12.50')

        assert response.status_code == 302
        assert Product.objects.get(id=product.id).unit_price == Decimal('12.50')

    def test_rejects_unit_price_below_1(self, admin_client):
        product = make_product(unit_price=Decimal('10.00'))

        response = self.post_unit_price(admin_client, product, '0.50')

        assert response.status_code == 200
        assert response.context['cl'].formset.errors == [
            {'unit_price': ['Ensure this value is greater than or equal to 1.']}]
        assert 'Ensure this value is greater than or equal to 1.' in response.content.decode()
        assert Product.objects.get(id=product.id).unit_price == Decimal('10.00')


@pytest.mark.django_db
class TestCollectionChangelist:
    def test_products_count_links_to_the_collection_products(self, admin_client):
        collection = baker.make(Collection)
        for _ in range(3):
            make_product(collection=collection)

        response = admin_client.get(changelist_url('collection'))

        assert (
            f'<td class="field-products_count"><a href="/admin/store/product/?collection__id={collection.id}">3</a></td>'
            in response.content.decode()
        )

    def test_empty_collection_is_listed_with_0_products(self, admin_client):
        collection = baker.make(Collection)

        response = admin_client.get(changelist_url('collection'))

        assert [(obj.id, obj.products_count) for obj in response.context['cl'].result_list] == [(collection.id, 0)]
        assert (
            f'<td class="field-products_count"><a href="/admin/store/product/?collection__id={collection.id}">0</a></td>'
            in response.content.decode()
        )

    def test_search_by_title_lists_only_matching_collections(self, admin_client):
        baker.make(Collection, title='Coffee')
        baker.make(Collection, title='Tea')
        baker.make(Collection, title='Iced Coffee')

        response = admin_client.get(changelist_url('collection'), {'q': 'coffee'})

        assert response.status_code == 200
        assert result_titles(response) == ['Coffee', 'Iced Coffee']


@pytest.mark.django_db
class TestCustomerChangelist:
    def test_search_matches_first_name_prefix(self, admin_client):
        john = make_customer(first_name='John', last_name='Smith')
        make_customer(first_name='Mary', last_name='Parker')

        response = admin_client.get(changelist_url('customer'), {'q': 'jo'})

        assert result_ids(response) == [john.id]

    def test_search_matches_last_name_prefix(self, admin_client):
        make_customer(first_name='John', last_name='Smith')
        mary = make_customer(first_name='Mary', last_name='Jones')

        response = admin_client.get(changelist_url('customer'), {'q': 'jon'})

        assert result_ids(response) == [mary.id]

    def test_search_ignores_matches_inside_names(self, admin_client):
        make_customer(first_name='Anjo', last_name='Smith')

        response = admin_client.get(changelist_url('customer'), {'q': 'jo'})

        assert result_ids(response) == []

    def test_orders_column_links_to_the_customer_orders(self, admin_client):
        customer = make_customer()
        make_order(customer=customer)
        make_order(customer=customer)

        response = admin_client.get(changelist_url('customer'))

        assert (
            f'<td class="field-orders"><a href="/admin/store/order/?customer__id={customer.id}">2 orders</a></td>'
            in response.content.decode()
        )

    @pytest.mark.parametrize('orders, text', [(0, '0 orders'), (1, '1 order'), (2, '2 orders')])
    def test_orders_column_uses_the_right_plural(self, admin_client, orders, text):
        customer = make_customer()
        for _ in range(orders):
            make_order(customer=customer)

        response = admin_client.get(changelist_url('customer'))

        assert f'?customer__id={customer.id}">{text}</a></td>' in response.content.decode()

    def test_orders_link_target_lists_only_the_customer_orders(self, admin_client):
        customer = make_customer()
        orders = [make_order(customer=customer), make_order(customer=customer)]
        make_order()

        response = admin_client.get(changelist_url('order'), {'customer__id': customer.id})

        assert response.status_code == 200
        assert sorted(result_ids(response)) == sorted(order.id for order in orders)


@pytest.mark.django_db
class TestOrderChangeForm:
    def test_shows_order_item_inline_with_the_items(self, admin_client):
        order = make_order(items=3)

        response = admin_client.get(reverse('admin:store_order_change', args=[order.id]))

        formsets = [inline.formset for inline in response.context['inline_admin_formsets']]
        assert [formset.model for formset in formsets] == [OrderItem, Payment, OrderEvent]
        assert sorted(form.instance.id for form in formsets[0].initial_forms) == sorted(
            order.items.values_list('id', flat=True))
        assert 'name="items-TOTAL_FORMS" value="3"' in response.content.decode()


@pytest.mark.django_db
class TestOrderAddForm:
    def test_creates_order_with_items_from_the_inline(self, admin_client):
        customer = make_customer()
        espresso = make_product(title='Espresso')
        mocha = make_product(title='Mocha')

        response = admin_client.post(reverse('admin:store_order_add'), {
            'customer': str(customer.id),
            'payment_status': Order.PAYMENT_STATUS_PENDING,
            'items-TOTAL_FORMS': '2',
            'items-INITIAL_FORMS': '0',
            'items-MIN_NUM_FORMS': '1',
            'items-MAX_NUM_FORMS': '10',
            'items-0-product': str(espresso.id),
            'items-0-quantity': '2',
            'items-0-unit_price': '10.00',
            'items-1-product': str(mocha.id),
            'items-1-quantity': '1',
            'items-1-unit_price': '12.50',
            '_save': 'Save',
        })

        assert response.status_code == 302
        order = Order.objects.get(customer=customer)
        assert sorted(order.items.values_list('product__title', 'quantity', 'unit_price')) == [
            ('Espresso', 2, Decimal('10.00')),
            ('Mocha', 1, Decimal('12.50')),
        ]
        # Its money is fixed from the lines, as when an order is placed through the API.
        assert (order.subtotal, order.tax, order.total, order.currency) == (
            Decimal('32.50'), Decimal('3.25'), Decimal('35.75'), 'USD')


@pytest.mark.django_db
class TestCollectionAutocomplete:
    def test_lists_collections_by_title(self, admin_client):
        for title in ['Tea', 'Coffee', 'Snacks']:
            baker.make(Collection, title=title)

        response = admin_client.get(reverse('admin:autocomplete'), {
            'app_label': 'store', 'model_name': 'product', 'field_name': 'collection', 'term': ''})

        assert response.status_code == 200
        assert [result['text'] for result in response.json()['results']] == ['Coffee', 'Snacks', 'Tea']
