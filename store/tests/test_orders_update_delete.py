"""API tests for changing and deleting orders, PATCH and DELETE /store/orders/<id>/: only staff change
`payment_status` (course-part3 §10, DECISIONS §3) and delete; deleting gives the stock back, once
(DECISIONS §4); PUT is a 405."""
import pytest
from rest_framework import status

from store import services
from store.models import Order, OrderItem

from .factories import customer_of, inventory
from .orders_helpers import make_order, order_url, place

NOT_PERMITTED = {'detail': 'You do not have permission to perform this action.'}


@pytest.mark.django_db
class TestUpdateOrder:
    def test_staff_change_the_payment_status(self, authenticate, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'payment_status': 'C'}
        order.refresh_from_db()
        assert order.payment_status == Order.PAYMENT_STATUS_COMPLETE

    @pytest.mark.parametrize('payment_status', ['X', 'completed', '', None])
    def test_invalid_payment_status_returns_400(self, authenticate, api_client, make_customer, mug, payment_status):
        order = make_order(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': payment_status}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['payment_status']
        assert Order.objects.get(pk=order.pk).payment_status == 'P'

    def test_a_cancelled_order_cannot_be_marked_paid(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        services.cancel_order(order=order)
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {
            'payment_status': ['A cancelled order cannot be marked as paid: its stock has been returned.']}
        assert Order.objects.get(pk=order.pk).payment_status == Order.PAYMENT_STATUS_PENDING

    def test_an_empty_patch_changes_nothing(self, authenticate, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1), payment_status='F')
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'payment_status': 'F'}

    def test_other_fields_are_ignored(self, authenticate, api_client, make_customer, mug):
        owner = make_customer()
        order = make_order(owner, (mug, 1))
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {
            'payment_status': 'F', 'customer': make_customer().pk, 'id': 9999,
            'cancelled_at': '2000-01-01T00:00:00Z', 'items': []}, format='json')

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert (order.pk, order.customer, order.payment_status, order.cancelled_at) == (order.pk, owner, 'F', None)
        assert order.items.count() == 1

    def test_non_staff_returns_403_even_for_their_own_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = make_order(customer_of(user), (mug, 1))

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == NOT_PERMITTED
        assert Order.objects.get(pk=order.pk).payment_status == 'P'

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = make_order(make_customer(), (mug, 1))

        response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_unknown_order_returns_404(self, authenticate, api_client):
        authenticate(is_staff=True)

        response = api_client.patch(order_url(999999), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('is_staff', [False, True], ids=['customer', 'staff'])
    def test_put_returns_405(self, authenticate, api_client, mug, is_staff):
        user = authenticate(is_staff=is_staff)
        order = make_order(customer_of(user), (mug, 1))

        response = api_client.put(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.json() == {'detail': 'Method "PUT" not allowed.'}
        assert Order.objects.get(pk=order.pk).payment_status == 'P'


@pytest.mark.django_db
class TestDeleteOrder:
    def test_staff_delete_returns_204_and_removes_the_order_and_its_items(self, authenticate, api_client,
                                                                          make_customer, mug, tea):
        order = place(make_customer(), (mug, 2), (tea, 3))
        kept = place(make_customer(), (mug, 1))
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert list(Order.objects.all()) == [kept]
        assert list(OrderItem.objects.values_list('order_id', flat=True)) == [kept.pk]

    def test_returns_the_stock(self, authenticate, api_client, make_customer, mug, tea):
        order = place(make_customer(), (mug, 2), (tea, 3))
        authenticate(is_staff=True)

        api_client.delete(order_url(order.pk))

        assert (inventory(mug), inventory(tea)) == (10, 20)

    def test_a_cancelled_order_does_not_return_its_stock_twice(self, authenticate, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))
        services.cancel_order(order=order)
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert inventory(mug) == 10

    def test_non_staff_returns_403_even_for_their_own_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 2))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == NOT_PERMITTED
        assert Order.objects.filter(pk=order.pk).exists() and inventory(mug) == 8

    def test_anonymous_returns_401(self, api_client, make_customer, mug):
        order = place(make_customer(), (mug, 2))

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Order.objects.filter(pk=order.pk).exists()

    def test_unknown_order_returns_404(self, authenticate, api_client):
        authenticate(is_staff=True)

        response = api_client.delete(order_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND
