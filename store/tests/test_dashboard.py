"""The staff dashboard (/admin/dashboard/, store/dashboard.py): its numbers are the orders', it is for
staff who may view orders and products, its links open the matching changelists, and it costs the same
number of queries for 2 orders as for 40."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from store import dashboard
from store.models import Customer, Order, OrderItem

from .factories import make_product

URL = '/admin/dashboard/'
# The session and the user, then the dashboard's seven queries (store/dashboard.py).
QUERY_BUDGET = 9

pytestmark = pytest.mark.django_db

P, C, F, R = (Order.PAYMENT_STATUS_PENDING, Order.PAYMENT_STATUS_COMPLETE, Order.PAYMENT_STATUS_FAILED,
              Order.PAYMENT_STATUS_REFUNDED)


@pytest.fixture
def customer(django_user_model):
    user = django_user_model.objects.create_user(username='ada', first_name='Ada', last_name='Byron')
    return Customer.objects.get(user=user)


def order(customer, *lines, days_ago=0, total='10.00', payment_status=P, cancelled=False, shipped=False):
    """An order placed `days_ago` days ago with (product, quantity, unit price) lines."""
    placed_at = timezone.now() - timedelta(days=days_ago)
    made = baker.make(Order, customer=customer, total=Decimal(total), payment_status=payment_status,
                      cancelled_at=placed_at if cancelled else None,
                      fulfilment_status=Order.FULFILMENT_SHIPPED if shipped else Order.FULFILMENT_UNFULFILLED)
    Order.objects.filter(pk=made.pk).update(placed_at=placed_at)  # placed_at is auto_now_add
    for product, quantity, unit_price in lines:
        baker.make(OrderItem, order=made, product=product, quantity=quantity, unit_price=Decimal(unit_price))
    made.refresh_from_db()
    return made


def day(days_ago):
    return timezone.localdate() - timedelta(days=days_ago)


class TestNumbers:
    def test_per_day_orders_count_cancelled_ones_and_revenue_leaves_them_out(self, customer):
        order(customer, total='1234.50', payment_status=C)
        order(customer, total='20.25')
        order(customer, total='99.00', cancelled=True)
        order(customer, days_ago=3, total='5.10', payment_status=F)
        order(customer, days_ago=29, total='7.00', payment_status=R, cancelled=True)
        order(customer, days_ago=30, total='1000.00', payment_status=C)  # the day before the window

        days = dashboard.daily_orders(since=dashboard.window_start())

        assert len(days) == 30
        assert days[0]['day'] == day(29) and days[-1]['day'] == day(0)
        by_day = {row['day']: (row['orders'], row['cancelled'], row['revenue']) for row in days}
        assert by_day[day(0)] == (3, 1, Decimal('1254.75'))
        assert by_day[day(3)] == (1, 0, Decimal('5.10'))
        assert by_day[day(29)] == (1, 1, Decimal('0.00'))
        assert by_day[day(1)] == (0, 0, Decimal('0.00'))
        assert sum(row['orders'] for row in days) == 5

    def test_the_page_shows_the_totals_formatted_for_humans(self, admin_client, customer):
        order(customer, total='1234.50', payment_status=C)
        order(customer, days_ago=2, total='20.25')
        order(customer, total='99.00', cancelled=True)

        response = admin_client.get(URL)

        assert response.status_code == 200
        assert response.context['totals'] == {'orders': 3, 'cancelled': 1, 'revenue': Decimal('1254.75'),
                                              'average': Decimal('627.38')}
        content = response.content.decode()
        assert '<span class="figure-value" id="figure-revenue">1,254.75 USD</span>' in content
        assert '<span class="figure-value" id="figure-average">627.38 USD</span>' in content
        assert "revenue (USD): the totals of that day's orders that are not cancelled" in content
        bars = response.context['orders_chart']['bars']
        assert [bar['value'] for bar in bars][-3:] == [1, 0, 2]  # two days ago, yesterday, today
        assert bars[-1]['cancelled'] == 1

    def test_top_products_by_units_in_the_window_with_their_revenue(self, customer):
        lamp, mug, tea, old = (make_product(title=title) for title in ('Lamp', 'Mug', 'Tea', 'Old'))
        order(customer, (lamp, 2, '30.00'), (mug, 5, '8.99'))
        order(customer, (lamp, 1, '25.00'), days_ago=10)
        order(customer, (tea, 9, '4.50'), cancelled=True)  # its stock went back: not sold
        order(customer, (old, 50, '1.00'), days_ago=31)

        rows = dashboard.top_products(since=dashboard.window_start())

        assert [(row['product_id'], row['title'], row['units'], row['revenue']) for row in rows] == [
            (mug.id, 'Mug', 5, Decimal('44.95')), (lamp.id, 'Lamp', 3, Decimal('85.00'))]

    def test_low_stock_is_the_admins_low_filter(self):
        make_product(title='Plenty', inventory=10)
        low = [make_product(title=title, inventory=inventory) for title, inventory in [('Few', 9), ('None', 0)]]

        assert dashboard.low_stock() == {'count': 2, 'products': [
            {'id': low[1].id, 'title': 'None', 'inventory': 0}, {'id': low[0].id, 'title': 'Few', 'inventory': 9}]}

    def test_waiting_for_payment_and_waiting_to_ship(self, customer):
        pending = order(customer, days_ago=40, total='3.00')
        failed = order(customer, payment_status=F, total='4.00')
        paid = [order(customer, days_ago=days_ago, payment_status=C, total='1000.00') for days_ago in (5, 60)]
        order(customer, cancelled=True)
        order(customer, payment_status=C, cancelled=True)
        order(customer, payment_status=R, cancelled=True)
        order(customer, payment_status=C, shipped=True)

        waiting = dashboard.waiting_orders()

        assert (waiting['payment']['count'], waiting['payment']['value']) == (2, Decimal('7.00'))
        assert [row['id'] for row in waiting['payment']['orders']] == [pending.id, failed.id]  # the oldest first
        assert (waiting['ship']['count'], waiting['ship']['value']) == (2, Decimal('2000.00'))
        assert [row['id'] for row in waiting['ship']['orders']] == [paid[1].id, paid[0].id]
        assert waiting['ship']['orders'][0]['customer__user__first_name'] == 'Ada'

    def test_with_no_orders_and_no_products(self, admin_client):
        response = admin_client.get(URL)

        assert response.status_code == 200
        assert response.context['totals'] == {'orders': 0, 'cancelled': 0, 'revenue': Decimal(0), 'average': None}
        content = response.content.decode()
        assert 'Nothing sold in the last 30 days.' in content
        assert 'No order is waiting for payment.' in content
        assert 'No paid order is waiting to ship.' in content
        assert content.count('<rect class="bar-orders"') == 30


class TestAccess:
    def test_anonymous_is_sent_to_the_admin_login(self, client):
        response = client.get(URL)

        assert response.status_code == 302
        assert response['Location'] == f'/admin/login/?next={URL}'

    def test_a_customer_is_sent_to_the_admin_login(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user(username='customer'))

        response = client.get(URL)

        assert response.status_code == 302
        assert response['Location'] == f'/admin/login/?next={URL}'

    def test_staff_without_the_view_permissions_are_refused(self, client, django_user_model):
        user = django_user_model.objects.create_user(username='clerk', is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename='view_order'))  # orders, but not products
        client.force_login(user)

        assert client.get(URL).status_code == 403
        assert b'dashboard-link' not in client.get('/admin/').content

    def test_staff_who_view_orders_and_products_see_it_linked_from_the_index(self, client, django_user_model):
        user = django_user_model.objects.create_user(username='clerk', is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=['view_order', 'view_product']))
        client.force_login(user)

        assert client.get(URL).status_code == 200
        assert f'id="dashboard-link" href="{URL}"' in client.get('/admin/').content.decode()


def changelist_ids(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200, url
    return {row.pk for row in response.context['cl'].queryset}


class TestLinks:
    def test_each_block_links_to_its_filtered_changelist(self, admin_client, customer):
        recent = order(customer, days_ago=29, payment_status=F)
        pending = order(customer)
        paid = order(customer, payment_status=C)
        order(customer, cancelled=True)
        order(customer, payment_status=C, cancelled=True)
        old = order(customer, days_ago=31, payment_status=C)
        order(customer, payment_status=C, shipped=True)
        low = make_product(inventory=9)
        make_product(inventory=10)

        links = admin_client.get(URL).context['links']

        assert links['payment'] == '/admin/store/order/?payment_status__in=P%2CF&cancelled_at__isnull=True'
        assert links['ship'] == ('/admin/store/order/?payment_status__exact=C&fulfilment_status__exact=unfulfilled'
                                 '&cancelled_at__isnull=True')
        assert links['low_stock'] == '/admin/store/product/?inventory=%3C10'
        assert changelist_ids(admin_client, links['payment']) == {recent.id, pending.id}
        assert changelist_ids(admin_client, links['ship']) == {paid.id, old.id}
        assert changelist_ids(admin_client, links['low_stock']) == {low.id}
        in_window = changelist_ids(admin_client, links['orders'])
        assert recent.id in in_window and old.id not in in_window and len(in_window) == 6

    def test_rows_link_to_their_change_pages(self, admin_client, customer):
        product = make_product(title='Lamp', inventory=3)
        placed = order(customer, (product, 1, '10.00'))

        content = admin_client.get(URL).content.decode()

        assert content.count(f'href="/admin/store/product/{product.id}/change/"') == 2  # top products, low stock
        assert f'href="/admin/store/order/{placed.id}/change/">#{placed.id}</a>' in content


def queries_for_dashboard(admin_client):
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_is_constant(admin_client, customer, django_assert_max_num_queries):
    def add(count):
        for index in range(count):
            product = make_product(inventory=index % 12)
            order(customer, (product, 1 + index % 3, '9.99'), days_ago=index % 35, payment_status=[P, C, F][index % 3],
                  cancelled=index % 7 == 0)

    add(2)
    few = queries_for_dashboard(admin_client)
    add(38)
    with django_assert_max_num_queries(QUERY_BUDGET):
        many = queries_for_dashboard(admin_client)

    assert few == many
