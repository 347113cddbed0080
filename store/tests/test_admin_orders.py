"""The order admin: the changelist's search and filters, and the order lines inline."""
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl
from uuid import uuid4

import pytest
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from store.models import Order, OrderItem

from .test_admin import changelist_url, make_customer, make_order, make_product, queries_for_get, result_ids

ORDER_CHANGELIST_QUERY_BUDGET = 6
ORDER_CHANGE_FORM_QUERY_BUDGET = 8  # with the payments and events inlines


def make_order_for(first_name='John', last_name='Smith', email=None, **fields):
    email = email or f'{first_name}.{last_name}.{uuid4().hex[:8]}@example.com'.lower()
    customer = make_customer(first_name=first_name, last_name=last_name, email=email)
    order = make_order(customer=customer)
    if fields:
        Order.objects.filter(pk=order.pk).update(**fields)
    return order


def filter_params(response, field_path, display):
    """The query parameters of the changelist filter choice labelled `display` (the link staff click)."""
    changelist = response.context['cl']
    spec = next(spec for spec in changelist.filter_specs if spec.field_path == field_path)
    choice = next(choice for choice in spec.choices(changelist) if str(choice['display']) == display)
    return dict(parse_qsl(choice['query_string'].lstrip('?')))


@pytest.mark.django_db
class TestOrderChangelistSearch:
    def test_search_matches_customer_first_name(self, admin_client):
        john = make_order_for(first_name='John', last_name='Smith', email='js@example.com')
        make_order_for(first_name='Mary', last_name='Parker', email='mp@example.com')

        response = admin_client.get(changelist_url('order'), {'q': 'john'})

        assert result_ids(response) == [john.id]

    def test_search_matches_customer_last_name(self, admin_client):
        make_order_for(first_name='John', last_name='Smith', email='js@example.com')
        mary = make_order_for(first_name='Mary', last_name='Parker', email='mp@example.com')

        response = admin_client.get(changelist_url('order'), {'q': 'parker'})

        assert result_ids(response) == [mary.id]

    def test_search_matches_customer_email(self, admin_client):
        make_order_for(first_name='John', last_name='Smith', email='js@example.com')
        mary = make_order_for(first_name='Mary', last_name='Parker', email='mary@shop.test')

        response = admin_client.get(changelist_url('order'), {'q': 'mary@shop.test'})

        assert result_ids(response) == [mary.id]

    def test_full_name_matches_first_and_last_name_together(self, admin_client):
        john = make_order_for(first_name='John', last_name='Smith', email='js@example.com')
        make_order_for(first_name='John', last_name='Parker', email='jp@example.com')
        make_order_for(first_name='Mary', last_name='Smith', email='ms@example.com')

        response = admin_client.get(changelist_url('order'), {'q': 'John Smith'})

        assert result_ids(response) == [john.id]

    def test_lists_every_order_of_a_matching_customer_once(self, admin_client):
        customer = make_customer(first_name='John', last_name='Smith')
        orders = [make_order(customer=customer, items=2) for _ in range(3)]
        make_order_for(first_name='Mary', last_name='Parker', email='mp@example.com')

        response = admin_client.get(changelist_url('order'), {'q': 'smith'})

        assert sorted(result_ids(response)) == sorted(order.id for order in orders)


@pytest.mark.django_db
class TestOrderChangelistFilters:
    def test_filter_by_payment_status(self, admin_client):
        complete = make_order_for(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        make_order_for(payment_status=Order.PAYMENT_STATUS_PENDING)
        make_order_for(payment_status=Order.PAYMENT_STATUS_FAILED)

        response = admin_client.get(changelist_url('order'), {'payment_status__exact': Order.PAYMENT_STATUS_COMPLETE})

        assert result_ids(response) == [complete.id]

    def test_filter_by_placed_at_past_7_days(self, admin_client):
        recent = make_order_for(placed_at=timezone.now() - timedelta(days=2))
        make_order_for(placed_at=timezone.now() - timedelta(days=30))
        params = filter_params(admin_client.get(changelist_url('order')), 'placed_at', 'Past 7 days')

        response = admin_client.get(changelist_url('order'), params)

        assert result_ids(response) == [recent.id]

    def test_search_and_both_filters_combine(self, admin_client):
        now = timezone.now()
        wanted = make_order_for(first_name='John', payment_status=Order.PAYMENT_STATUS_COMPLETE, placed_at=now)
        make_order_for(first_name='John', payment_status=Order.PAYMENT_STATUS_PENDING, placed_at=now)
        make_order_for(first_name='John', payment_status=Order.PAYMENT_STATUS_COMPLETE,
                       placed_at=now - timedelta(days=30))
        make_order_for(first_name='Mary', last_name='Parker', email='mp@example.com',
                       payment_status=Order.PAYMENT_STATUS_COMPLETE, placed_at=now)
        params = filter_params(admin_client.get(changelist_url('order')), 'placed_at', 'Past 7 days')

        response = admin_client.get(changelist_url('order'), {
            **params, 'payment_status__exact': Order.PAYMENT_STATUS_COMPLETE, 'q': 'john'})

        assert result_ids(response) == [wanted.id]


@pytest.mark.django_db
class TestOrderChangelistQueryCount:
    def test_searched_and_filtered_changelist_is_constant(self, admin_client):
        url = changelist_url('order')
        make_order_for(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        params = {
            **filter_params(admin_client.get(url), 'placed_at', 'Past 7 days'),
            'payment_status__exact': Order.PAYMENT_STATUS_COMPLETE,
            'q': 'smith',
        }
        one_order, _ = queries_for_get(admin_client, url, params)
        for index in range(10):
            order = make_order_for(payment_status=Order.PAYMENT_STATUS_COMPLETE)
            baker.make(OrderItem, order=order, product=make_product(), quantity=1, unit_price=Decimal('5.00'))

        eleven_orders, response = queries_for_get(admin_client, url, params)

        assert len(response.context['cl'].result_list) == 11
        assert eleven_orders == one_order
        assert eleven_orders <= ORDER_CHANGELIST_QUERY_BUDGET


@pytest.mark.django_db
class TestOrderItemInline:
    def change_url(self, order):
        return reverse('admin:store_order_change', args=[order.id])

    def test_lines_are_titled_by_quantity_and_product(self, admin_client):
        order = baker.make(Order, customer=make_customer())
        baker.make(OrderItem, order=order, product=make_product(title='Espresso'), quantity=2,
                   unit_price=Decimal('10.00'))
        baker.make(OrderItem, order=order, product=make_product(title='Mocha'), quantity=1,
                   unit_price=Decimal('12.50'))

        response = admin_client.get(self.change_url(order))

        content = response.content.decode()
        assert '2 × Espresso' in content
        assert '1 × Mocha' in content
        assert 'OrderItem object' not in content

    def test_product_widget_shows_each_lines_product_selected(self, admin_client):
        order = baker.make(Order, customer=make_customer())
        espresso = make_product(title='Espresso')
        baker.make(OrderItem, order=order, product=espresso, quantity=2, unit_price=Decimal('10.00'))

        response = admin_client.get(self.change_url(order))

        assert f'<option value="{espresso.id}" selected>Espresso</option>' in response.content.decode()

    def test_change_form_is_constant_in_the_number_of_lines(self, admin_client):
        order = make_order(items=1)
        one_line, _ = queries_for_get(admin_client, self.change_url(order))
        for _ in range(5):
            baker.make(OrderItem, order=order, product=make_product(), quantity=1, unit_price=Decimal('5.00'))

        six_lines, response = queries_for_get(admin_client, self.change_url(order))

        formset = response.context['inline_admin_formsets'][0].formset
        assert len(formset.initial_forms) == 6
        assert six_lines == one_line
        assert six_lines <= ORDER_CHANGE_FORM_QUERY_BUDGET

    def test_changing_a_lines_product_saves_it(self, admin_client):
        order = make_order(items=1)
        line = order.items.get()
        mocha = make_product(title='Mocha')

        response = admin_client.post(self.change_url(order), {
            'customer': str(order.customer_id),
            'payment_status': order.payment_status,
            'items-TOTAL_FORMS': '1',
            'items-INITIAL_FORMS': '1',
            'items-MIN_NUM_FORMS': '1',
            'items-MAX_NUM_FORMS': '10',
            'items-0-id': str(line.id),
            'items-0-order': str(order.id),
            'items-0-product': str(mocha.id),
            'items-0-quantity': '3',
            'items-0-unit_price': '12.50',
            # The payments and events inlines are read-only: they send only their management forms.
            'payments-TOTAL_FORMS': '0', 'payments-INITIAL_FORMS': '0',
            'events-TOTAL_FORMS': '0', 'events-INITIAL_FORMS': '0',
            '_save': 'Save',
        })

        assert response.status_code == 302
        assert list(order.items.values_list('product__title', 'quantity', 'unit_price')) == [
            ('Mocha', 3, Decimal('12.50'))]
