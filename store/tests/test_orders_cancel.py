"""API tests for cancelling an order, POST /store/orders/<id>/cancel/: the owner while payment is pending, a
holder of `store.cancel_order` any order (staff alone are not enough); cancelling gives the stock back once
and keeps the rows (DECISIONS §4)."""
import pytest
from django.contrib.auth.models import Group, Permission
from model_bakery import baker
from rest_framework import status

from store import services
from store.exceptions import OrderError
from store.models import Order

from .factories import customer_of, inventory
from .orders_helpers import NOT_AUTHENTICATED, order_url, place, timestamp

CANNOT_CANCEL = {'detail': 'You may cancel only your own orders, and only while their payment is pending.'}
ALREADY_CANCELLED = {'detail': 'This order is already cancelled.'}


def cancel_url(order_id):
    return f'/store/orders/{order_id}/cancel/'


def grant_cancel_order(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label='store', codename='cancel_order'))


@pytest.mark.django_db
class TestCancelOrder:
    def test_owner_cancels_a_pending_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert order.cancelled_at is not None
        item = order.items.get()
        assert response.json() == {
            'id': order.pk, 'customer': order.customer_id, 'placed_at': timestamp(order.placed_at),
            'payment_status': 'P',
            'items': [{'id': item.pk, 'product': {'id': mug.pk, 'title': 'Coffee Mug', 'unit_price': 8.99},
                       'unit_price': 8.99, 'quantity': 2, 'list_price': 8.99, 'promotion': None}],
            'cancelled_at': timestamp(order.cancelled_at),
            'subtotal': 17.98, 'tax': 1.8, 'total': 19.78, 'currency': 'USD',
            'shipping_address': None,
            'fulfilment_status': 'unfulfilled', 'carrier': '', 'tracking_number': '', 'shipped_at': None,
            'delivered_at': None,
        }

    def test_returns_the_stock_and_keeps_the_rows(self, authenticate, api_client, mug, tea):
        user = authenticate()
        order = place(customer_of(user), (mug, 2), (tea, 3))

        api_client.post(cancel_url(order.pk))

        assert (inventory(mug), inventory(tea)) == (10, 20)
        assert Order.objects.filter(pk=order.pk).exists() and order.items.count() == 2

    def test_owner_cancels_an_order_whose_payment_failed(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_FAILED)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['cancelled_at'] is not None and inventory(mug) == 10

    @pytest.mark.parametrize('payment_status', [Order.PAYMENT_STATUS_COMPLETE, Order.PAYMENT_STATUS_REFUNDED])
    def test_owner_cannot_cancel_once_payment_is_no_longer_pending(self, authenticate, api_client, mug,
                                                                   payment_status):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=payment_status)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == CANNOT_CANCEL
        assert Order.objects.get(pk=order.pk).cancelled_at is None and inventory(mug) == 8

    def test_another_customers_order_returns_404(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate()

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Order.objects.get(pk=order.pk).cancelled_at is None and inventory(mug) == 8

    def test_cancelling_twice_returns_400_and_returns_the_stock_once(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))
        api_client.post(cancel_url(order.pk))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_CANCELLED
        assert inventory(mug) == 10

    def test_a_permission_holder_cancels_their_completed_order(self, authenticate, api_client, mug):
        user = authenticate()
        grant_cancel_order(user)
        order = place(customer_of(user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['cancelled_at'] is not None and inventory(mug) == 10

    def test_a_non_staff_holder_of_cancel_order_can_cancel_any_customers_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        grant_cancel_order(authenticate())

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == order.pk and response.json()['cancelled_at'] is not None
        assert inventory(mug) == 10

    def test_a_non_staff_holder_of_cancel_order_still_cannot_read_another_customers_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        grant_cancel_order(authenticate())

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Order matches the given query.'}

    def test_a_staff_permission_holder_cancels_another_customers_completed_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['cancelled_at'] is not None and inventory(mug) == 10

    def test_the_permission_can_come_from_a_group(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        group = baker.make(Group, name='Order cancellers')
        group.permissions.add(Permission.objects.get(content_type__app_label='store', codename='cancel_order'))
        authenticate(is_staff=True).groups.add(group)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK

    def test_a_superuser_cancels_any_order(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate(is_staff=True, is_superuser=True)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_200_OK

    def test_staff_without_the_permission_cannot_cancel_another_customers_order(
            self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        authenticate(is_staff=True)

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_a_permission_holder_cancelling_a_cancelled_order_gets_400(self, authenticate, api_client,
                                                                       make_customer, mug):
        order = place(make_customer(), (mug, 2))
        services.cancel_order(order=order)
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == ALREADY_CANCELLED
        assert inventory(mug) == 10

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))

        response = api_client.post(cancel_url(order.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_unknown_order_returns_404(self, authenticate, api_client):
        grant_cancel_order(authenticate(is_staff=True))

        response = api_client.post(cancel_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_get_returns_405(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.get(cancel_url(order.pk))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Order.objects.get(pk=order.pk).cancelled_at is None

    def test_a_cancelled_order_can_be_deleted_without_restocking_twice(self, authenticate, api_client, mug):
        user = authenticate(is_staff=True)
        order = place(customer_of(user), (mug, 2))
        api_client.post(cancel_url(order.pk))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert inventory(mug) == 10


@pytest.mark.django_db
def test_an_owners_cancel_of_an_order_paid_since_its_permission_check_is_refused(make_customer, mug):
    # The view asks the permission on the order it read; the service decides on the locked row.
    order = place(make_customer(), (mug, 2))
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

    with pytest.raises(OrderError, match='^This order has been paid meanwhile: only staff can cancel it now.$'):
        services.cancel_order(order=order, may_refund=False)

    order.refresh_from_db()
    assert (order.payment_status, order.cancelled_at, inventory(mug)) == ('C', None, 8)
