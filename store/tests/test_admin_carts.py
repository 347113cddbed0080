"""The cart admin: read-mostly, staff view carts and delete them but never add or edit one."""
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from model_bakery import baker

from store.models import Cart, CartItem

from .factories import make_cart
from .test_admin import changelist_url, make_product, queries_for_get, result_ids

# Each includes the lines and their products with sale prices (two queries): totals are at sale prices.
CART_CHANGELIST_QUERY_BUDGET = 7
CART_CHANGE_FORM_QUERY_BUDGET = 7


def change_url(cart):
    return reverse('admin:store_cart_change', args=[cart.id])


def squeezed(response):
    """The page's HTML without the whitespace between tags."""
    return re.sub(r'>\s+<', '><', response.content.decode())


@pytest.fixture
def espresso(db):
    return make_product(title='Espresso', unit_price=Decimal('10.00'))


@pytest.fixture
def sencha(db):
    return make_product(title='Sencha', unit_price=Decimal('4.50'))


@pytest.mark.django_db
class TestCartChangelist:
    def test_lists_each_carts_items_count_and_total(self, admin_client, espresso, sencha):
        cart = make_cart((espresso, 2), (sencha, 1))

        response = admin_client.get(changelist_url('cart'))

        assert response.status_code == 200
        assert [(obj.id, obj.items_count, obj.total_price) for obj in response.context['cl'].result_list] == [
            (cart.id, 2, Decimal('24.50'))]
        content = response.content.decode()
        assert '<td class="field-items_count">2</td><td class="field-total_price">24.50</td>' in content
        assert f'<a href="{change_url(cart)}">{cart.id}</a>' in content

    def test_empty_cart_has_0_items_and_a_zero_total(self, admin_client):
        cart = make_cart()

        response = admin_client.get(changelist_url('cart'))

        assert [(obj.id, obj.items_count, obj.total_price) for obj in response.context['cl'].result_list] == [
            (cart.id, 0, Decimal('0.00'))]

    def test_lists_carts_last_updated_first(self, admin_client):
        older, newer = make_cart(), make_cart()
        Cart.objects.filter(pk=older.pk).update(updated_at=newer.updated_at.replace(year=2020))

        response = admin_client.get(changelist_url('cart'))

        assert result_ids(response) == [newer.id, older.id]

    def test_offers_no_add_button(self, admin_client):
        response = admin_client.get(changelist_url('cart'))

        assert response.context['has_add_permission'] is False
        assert reverse('admin:store_cart_add') not in response.content.decode()

    def test_query_count_is_constant(self, admin_client, espresso, sencha):
        url = changelist_url('cart')
        make_cart((espresso, 1))
        one_cart, _ = queries_for_get(admin_client, url)
        for _ in range(10):
            make_cart((espresso, 2), (sencha, 3))

        eleven_carts, response = queries_for_get(admin_client, url)

        assert len(response.context['cl'].result_list) == 11
        assert eleven_carts == one_cart
        assert eleven_carts <= CART_CHANGELIST_QUERY_BUDGET


@pytest.mark.django_db
class TestCartAdd:
    def test_add_page_is_refused(self, admin_client):
        response = admin_client.get(reverse('admin:store_cart_add'))

        assert response.status_code == 403

    def test_posting_the_add_page_is_refused(self, admin_client):
        response = admin_client.post(reverse('admin:store_cart_add'), {'_save': 'Save'})

        assert response.status_code == 403
        assert not Cart.objects.exists()

    def test_anonymous_is_sent_to_the_login_page(self, client):
        url = changelist_url('cart')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.django_db
class TestCartChangePage:
    def test_shows_the_cart_read_only(self, admin_client, espresso):
        cart = make_cart((espresso, 2))

        response = admin_client.get(change_url(cart))

        assert response.status_code == 200
        assert response.context['has_change_permission'] is False
        assert response.context['title'] == 'View cart'
        content = squeezed(response)
        assert 'name="_save"' not in content
        assert '<label>Items:</label><div class="readonly">1</div>' in content
        assert '<label>Total price:</label><div class="readonly">20.00</div>' in content

    def test_inline_lists_products_and_quantities_read_only(self, admin_client, espresso, sencha):
        cart = make_cart((espresso, 2), (sencha, 3))

        response = admin_client.get(change_url(cart))

        formset = response.context['inline_admin_formsets'][0].formset
        assert formset.model is CartItem
        assert sorted((form.instance.product.title, form.instance.quantity) for form in formset.forms) == [
            ('Espresso', 2), ('Sencha', 3)]
        content = squeezed(response)
        product_url = reverse('admin:store_product_change', args=[espresso.id])
        assert (f'<td class="field-product"><p><a href="{product_url}">Espresso</a></p></td>'
                '<td class="field-quantity"><p>2</p></td>') in content
        assert '<td class="field-total_price"><p>13.50</p></td>' in content  # 3 × 4.50
        assert 'name="items-0-quantity"' not in content
        assert 'name="items-0-product"' not in content

    def test_the_rows_are_titled_by_quantity_and_product(self, admin_client, espresso):
        response = admin_client.get(change_url(make_cart((espresso, 3))))

        content = response.content.decode()
        assert f'3 × {espresso.title}' in content
        assert 'CartItem object' not in content
        assert 'Cart object' not in content

    def test_posting_the_change_page_is_refused(self, admin_client, espresso):
        cart = make_cart((espresso, 2))
        line = cart.items.get()

        response = admin_client.post(change_url(cart), {
            'items-TOTAL_FORMS': '1', 'items-INITIAL_FORMS': '1',
            'items-0-id': str(line.id), 'items-0-cart': str(cart.id),
            'items-0-product': str(espresso.id), 'items-0-quantity': '9', '_save': 'Save'})

        assert response.status_code == 403
        assert CartItem.objects.get(pk=line.pk).quantity == 2

    def test_query_count_is_constant_in_the_number_of_items(self, admin_client, espresso):
        cart = make_cart((espresso, 1))
        one_item, _ = queries_for_get(admin_client, change_url(cart))
        for _ in range(5):
            baker.make(CartItem, cart=cart, product=make_product(), quantity=1)

        six_items, response = queries_for_get(admin_client, change_url(cart))

        assert len(response.context['inline_admin_formsets'][0].formset.forms) == 6
        assert six_items == one_item
        assert six_items <= CART_CHANGE_FORM_QUERY_BUDGET


@pytest.mark.django_db
class TestCartDelete:
    def test_delete_page_deletes_the_cart_and_its_items(self, admin_client, espresso):
        cart = make_cart((espresso, 2))
        url = reverse('admin:store_cart_delete', args=[cart.id])
        assert admin_client.get(url).status_code == 200

        response = admin_client.post(url, {'post': 'yes'})

        assert response.status_code == 302
        assert not Cart.objects.filter(pk=cart.pk).exists()
        assert not CartItem.objects.filter(cart_id=cart.pk).exists()

    def test_delete_selected_action_deletes_only_the_selected_carts(self, admin_client, espresso):
        stale, also_stale, kept = make_cart((espresso, 1)), make_cart(), make_cart((espresso, 3))

        response = admin_client.post(changelist_url('cart'), {
            'action': 'delete_selected', '_selected_action': [str(stale.id), str(also_stale.id)], 'post': 'yes'})

        assert response.status_code == 302
        assert list(Cart.objects.values_list('id', flat=True)) == [kept.id]
