"""API tests for /store/customers/<id>/history/: a customer's orders, newest first, for holders of
`store.view_history` (is_staff alone is not enough); read only, within a query budget."""
import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework import status
from rest_framework.fields import DateTimeField

from store.models import Order

from .customers_helpers import CUSTOMERS_URL, NOT_AUTHENTICATED, NOT_PERMITTED, UNKNOWN_ID, make_order
from .factories import customer_of

# The caller's permissions (user + group permissions), the customer, their orders, the orders' items with
# their products (one prefetch): the same for 1 order as for 10 with several items each.
CUSTOMER_HISTORY_MAX_QUERIES = 5

ORDER_FIELDS = {'id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at',
                'subtotal', 'tax', 'total', 'currency', 'shipping_address',
                'fulfilment_status', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at'}


def history_url(customer_id):
    return f'{CUSTOMERS_URL}{customer_id}/history/'


def order_json(order):
    items = order.items.select_related('product').order_by('id')
    return {
        'id': order.id,
        'customer': order.customer_id,
        'placed_at': DateTimeField().to_representation(order.placed_at),
        'payment_status': order.payment_status,
        'items': [{'id': item.id,
                   'product': {'id': item.product.id, 'title': item.product.title, 'unit_price': 10.0},
                   'unit_price': 12.5,
                   'quantity': item.quantity, 'list_price': 12.5, 'promotion': None} for item in items],
        'cancelled_at': None,
        'subtotal': float(order.subtotal), 'tax': float(order.tax), 'total': float(order.total),
        'currency': order.currency,
        'shipping_address': None,
        'fulfilment_status': 'unfulfilled', 'carrier': '', 'tracking_number': '', 'shipped_at': None,
        'delivered_at': None,
    }


def grant_view_history(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label='store', codename='view_history'))


@pytest.mark.django_db
class TestHistory:
    def test_anonymous_returns_401(self, api_client, make_customer):
        response = api_client.get(history_url(make_customer().id))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data == NOT_AUTHENTICATED

    def test_non_staff_without_the_permission_returns_403(self, api_client, authenticate):
        customer = customer_of(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.data == NOT_PERMITTED

    def test_staff_without_the_permission_returns_403(self, api_client, authenticate, make_customer):
        authenticate(is_staff=True)

        response = api_client.get(history_url(make_customer().id))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.data == NOT_PERMITTED

    def test_holder_of_view_history_gets_the_customers_orders_newest_first(
            self, api_client, authenticate, make_customer):
        customer = make_customer()
        older, newer = make_order(customer, item_count=1), make_order(customer, item_count=3)
        make_order(make_customer())
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert response.data == [order_json(newer), order_json(older)]
        assert set(response.data[0]) == ORDER_FIELDS

    def test_the_permission_alone_is_enough_without_staff(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        user = authenticate()
        grant_view_history(user)

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert len(response.data) == 1
        assert api_client.get(CUSTOMERS_URL).status_code == status.HTTP_403_FORBIDDEN

    def test_customer_service_group_grants_it(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        authenticate().groups.add(Group.objects.get(name='Customer Service'))

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert [order['customer'] for order in response.data] == [customer.id]

    def test_superuser_gets_it(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        authenticate(is_staff=True, is_superuser=True)

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert len(response.data) == 1

    def test_shows_a_cancelled_order_with_its_cancellation_time(self, api_client, authenticate, make_customer):
        customer = make_customer()
        order = make_order(customer, payment_status=Order.PAYMENT_STATUS_FAILED)
        Order.objects.filter(pk=order.pk).update(cancelled_at=order.placed_at)
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.data[0]['payment_status'] == 'F'
        assert response.data[0]['cancelled_at'] == DateTimeField().to_representation(order.placed_at)

    def test_customer_without_orders_returns_an_empty_list(self, api_client, authenticate, make_customer):
        customer = make_customer()
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert response.data == []

    @pytest.mark.parametrize('customer_id', [UNKNOWN_ID, 'abc'])
    def test_unknown_customer_returns_404(self, api_client, authenticate, customer_id):
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_is_read_only(self, api_client, authenticate, make_customer):
        grant_view_history(authenticate(is_staff=True))

        response = api_client.post(history_url(make_customer().id), {}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED

    @pytest.mark.parametrize('order_count', [1, 10])
    def test_query_count_does_not_grow_with_the_orders(self, api_client, authenticate, make_customer,
                                                       django_assert_max_num_queries, order_count):
        customer = make_customer()
        for _ in range(order_count):
            make_order(customer, item_count=3)
        grant_view_history(authenticate())

        with django_assert_max_num_queries(CUSTOMER_HISTORY_MAX_QUERIES):
            response = api_client.get(history_url(customer.id))

        assert len(response.data) == order_count
        assert all(len(order['items']) == 3 for order in response.data)
