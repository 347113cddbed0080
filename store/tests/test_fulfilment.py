"""Fulfilment (issue 16, item 3): staff move an order unfulfilled -> shipped -> delivered through POST
/store/orders/{id}/ship/ and /deliver/ (and the order changelist's actions). Shipping needs a paid order with a
shipping address (with the manual provider staff may override the payment); cancelled or refunded orders never
ship; a shipped order cannot be cancelled (owner 403, staff 400), expired, readdressed or deleted. The customer
gets a "shipped" e-mail with the carrier and tracking number, queued after the commit."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework import status

from store import services
from store.models import Order

from .factories import customer_of
from .orders_helpers import NOT_AUTHENTICATED, order_url, place, timestamp

SHIPPING = {'name': 'Ada Lovelace', 'street': '12 St James Sq', 'city': 'London', 'zip': 'SW1Y 4JH',
            'country': 'GB', 'phone': ''}
SHIP = {'carrier': 'DHL', 'tracking_number': 'JD014600006281230781'}


def ship_url(order):
    return f'{order_url(order.pk)}ship/'


def deliver_url(order):
    return f'{order_url(order.pk)}deliver/'


def paid_order(customer, product, *, address=True, payment_status=Order.PAYMENT_STATUS_COMPLETE):
    order = place(customer, (product, 1))
    Order.objects.filter(pk=order.pk).update(payment_status=payment_status,
                                             shipping_address=SHIPPING if address else None)
    order.refresh_from_db()
    return order


@pytest.fixture
def customer_user(django_user_model):
    return django_user_model.objects.create_user('ann', email='ann@example.com', first_name='Ann')


@pytest.fixture
def order(customer_user, mug):
    return paid_order(customer_of(customer_user), mug)


@pytest.mark.django_db
class TestShip:
    def test_staff_ship_a_paid_order_200_with_the_order(self, authenticate, api_client, order):
        authenticate(is_staff=True)

        response = api_client.post(ship_url(order), SHIP, format='json')

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        body = response.json()
        assert (body['id'], body['fulfilment_status'], body['carrier'], body['tracking_number']) == (
            order.pk, 'shipped', 'DHL', 'JD014600006281230781')
        assert body['shipped_at'] == timestamp(order.shipped_at) and body['delivered_at'] is None
        assert order.fulfilment_status == Order.FULFILMENT_SHIPPED

    @pytest.mark.parametrize('body, field', [({'tracking_number': '1'}, 'carrier'), ({'carrier': 'DHL'}, 'tracking_number'),
                                             ({**SHIP, 'carrier': ''}, 'carrier'),
                                             ({**SHIP, 'carrier': 'x' * 101}, 'carrier'),
                                             ({**SHIP, 'tracking_number': 'x' * 101}, 'tracking_number'),
                                             ({**SHIP, 'override': 'maybe'}, 'override')])
    def test_invalid_body_is_400_and_nothing_changes(self, authenticate, api_client, order, body, field):
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), body, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == [field]
        order.refresh_from_db()
        assert order.fulfilment_status == Order.FULFILMENT_UNFULFILLED

    def test_lengths_up_to_100_are_accepted(self, authenticate, api_client, order):
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), {'carrier': 'x' * 100, 'tracking_number': 'y' * 100}, format='json')
        assert response.status_code == status.HTTP_200_OK

    @pytest.mark.parametrize('payment_status, address, message', [
        (Order.PAYMENT_STATUS_PENDING, True, 'Only a paid order ships.'),
        (Order.PAYMENT_STATUS_FAILED, True, 'Only a paid order ships.'),
        (Order.PAYMENT_STATUS_COMPLETE, False, 'This order has no shipping address.'),
    ])
    def test_refused_unpaid_or_without_an_address(self, authenticate, api_client, customer_user, mug, payment_status,
                                                  address, message):
        order = paid_order(customer_of(customer_user), mug, address=address, payment_status=payment_status)
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), SHIP, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': message}
        order.refresh_from_db()
        assert (order.fulfilment_status, order.carrier, order.shipped_at) == (Order.FULFILMENT_UNFULFILLED, '', None)

    def test_manual_provider_override_ships_an_unpaid_order(self, authenticate, api_client, customer_user, mug):
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), {**SHIP, 'override': True}, format='json')
        assert response.status_code == status.HTTP_200_OK
        assert (response.json()['fulfilment_status'], response.json()['payment_status']) == ('shipped', 'P')

    def test_override_still_needs_an_address(self, authenticate, api_client, customer_user, mug):
        order = paid_order(customer_of(customer_user), mug, address=False, payment_status=Order.PAYMENT_STATUS_PENDING)
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), {**SHIP, 'override': True}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order has no shipping address.'}

    def test_override_is_refused_with_stripe(self, authenticate, api_client, customer_user, mug, stripe_settings,
                                             settings):
        settings.PAYMENT_PROVIDER = 'stripe'
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), {**SHIP, 'override': True}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'Only the manual payment provider lets staff ship an unpaid order.'}

    @pytest.mark.parametrize('state', ['cancelled', 'refunded'])
    def test_cancelled_or_refunded_orders_cannot_ship(self, authenticate, api_client, order, state):
        if state == 'refunded':
            services.cancel_order(order=order)  # a paid order: refunded (manual provider), cancelled
        else:
            Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_PENDING)
            services.cancel_order(order=order)
        order.refresh_from_db()
        assert order.payment_status == (Order.PAYMENT_STATUS_REFUNDED if state == 'refunded' else 'P')
        authenticate(is_staff=True)
        response = api_client.post(ship_url(order), {**SHIP, 'override': True}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'A cancelled or refunded order cannot ship.'}

    def test_an_order_ships_once(self, authenticate, api_client, order):
        authenticate(is_staff=True)
        assert api_client.post(ship_url(order), SHIP, format='json').status_code == 200
        response = api_client.post(ship_url(order), {'carrier': 'UPS', 'tracking_number': '2'}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order has already shipped.'}
        order.refresh_from_db()
        assert order.carrier == 'DHL'

    def test_anonymous_401_customers_403_unknown_404(self, api_client, authenticate, order):
        assert api_client.post(ship_url(order), SHIP, format='json').status_code == status.HTTP_401_UNAUTHORIZED
        assert api_client.post(deliver_url(order)).json() == NOT_AUTHENTICATED
        api_client.force_authenticate(order.customer.user)
        assert api_client.post(ship_url(order), SHIP, format='json').status_code == status.HTTP_403_FORBIDDEN
        assert api_client.post(deliver_url(order)).status_code == status.HTTP_403_FORBIDDEN
        authenticate(is_staff=True)
        assert api_client.post(f'/store/orders/{order.pk + 1000}/ship/', SHIP,
                               format='json').status_code == status.HTTP_404_NOT_FOUND
        order.refresh_from_db()
        assert order.fulfilment_status == Order.FULFILMENT_UNFULFILLED


@pytest.mark.django_db
class TestDeliver:
    def test_staff_deliver_a_shipped_order(self, authenticate, api_client, order):
        services.ship_order(order=order, **SHIP)
        authenticate(is_staff=True)

        response = api_client.post(deliver_url(order))

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert response.json()['fulfilment_status'] == 'delivered'
        assert response.json()['delivered_at'] == timestamp(order.delivered_at)
        assert response.json()['tracking_number'] == SHIP['tracking_number']

    def test_delivering_needs_shipped(self, authenticate, api_client, order):
        authenticate(is_staff=True)
        response = api_client.post(deliver_url(order))
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'Only a shipped order can be delivered.'}

    def test_delivered_once(self, authenticate, api_client, order):
        services.ship_order(order=order, **SHIP)
        services.deliver_order(order=order)
        authenticate(is_staff=True)
        response = api_client.post(deliver_url(order))
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order was already delivered.'}
        assert api_client.post(ship_url(order), SHIP, format='json').json() == {'detail': 'This order has already shipped.'}


@pytest.mark.django_db
class TestShippedOrdersStay:
    @pytest.mark.parametrize('delivered', [False, True])
    def test_owner_cannot_cancel_a_shipped_order_403(self, api_client, customer_user, mug, delivered):
        # Shipped unpaid (override), so only the shipping stands between the owner and a cancel.
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        services.ship_order(order=order, override=True, **SHIP)
        if delivered:
            services.deliver_order(order=order)
        api_client.force_authenticate(customer_user)
        response = api_client.post(f'{order_url(order.pk)}cancel/')
        assert response.status_code == status.HTTP_403_FORBIDDEN
        order.refresh_from_db()
        assert order.cancelled_at is None

    def test_staff_cancelling_a_shipped_order_is_400(self, authenticate, api_client, order, mug):
        services.ship_order(order=order, **SHIP)
        staff = authenticate(is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename='cancel_order'))
        inventory = mug.__class__.objects.get(pk=mug.pk).inventory

        response = api_client.post(f'{order_url(order.pk)}cancel/')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order has shipped: it can no longer be cancelled.'}
        order.refresh_from_db()
        assert (order.cancelled_at, order.payment_status) == (None, Order.PAYMENT_STATUS_COMPLETE)
        assert mug.__class__.objects.get(pk=mug.pk).inventory == inventory

    def test_staff_cannot_delete_a_shipped_order(self, authenticate, api_client, customer_user, mug):
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        services.ship_order(order=order, override=True, **SHIP)
        authenticate(is_staff=True)
        response = api_client.delete(order_url(order.pk))
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert Order.objects.filter(pk=order.pk).exists()

    def test_a_shipped_unpaid_order_never_expires(self, customer_user, mug, settings):
        settings.PAYMENT_TIMEOUT = timedelta(minutes=30)
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        services.ship_order(order=order, override=True, **SHIP)
        assert services.expire_order(order_id=order.pk, now=timezone.now() + settings.PAYMENT_TIMEOUT * 2) is False
        order.refresh_from_db()
        assert order.cancelled_at is None

    def test_the_address_cannot_change_once_shipped(self, api_client, customer_user, mug):
        order = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        services.ship_order(order=order, override=True, **SHIP)
        api_client.force_authenticate(customer_user)
        response = api_client.post(f'{order_url(order.pk)}address/', {'shipping_address': {**SHIPPING, 'city': 'Bath'}},
                                   format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        order.refresh_from_db()
        assert order.shipping_address == SHIPPING


@pytest.mark.django_db
@pytest.mark.usefixtures('eager_tasks')
class TestShippedEmail:
    def test_sent_after_the_commit_with_carrier_and_tracking_number(self, authenticate, api_client, order,
                                                                    django_capture_on_commit_callbacks, mailoutbox):
        authenticate(is_staff=True)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = api_client.post(ship_url(order), SHIP, format='json')
            assert mailoutbox == []  # nothing before the commit
        assert response.status_code == 200 and len(callbacks) == 1
        assert len(mailoutbox) == 1
        email = mailoutbox[0]
        assert email.to == ['ann@example.com']
        assert f'order #{order.pk} has shipped' in email.subject
        assert 'DHL' in email.body and 'JD014600006281230781' in email.body
        html = email.alternatives[0][0]
        assert 'JD014600006281230781' in html

    def test_no_email_when_shipping_is_refused(self, authenticate, api_client, customer_user, mug,
                                               django_capture_on_commit_callbacks, mailoutbox):
        order = paid_order(customer_of(customer_user), mug, address=False)
        authenticate(is_staff=True)
        with django_capture_on_commit_callbacks(execute=True):
            assert api_client.post(ship_url(order), SHIP, format='json').status_code == 400
        assert mailoutbox == []

    def test_delivering_sends_nothing(self, authenticate, api_client, order, django_capture_on_commit_callbacks,
                                      mailoutbox):
        services.ship_order(order=order, **SHIP)
        authenticate(is_staff=True)
        with django_capture_on_commit_callbacks(execute=True):
            assert api_client.post(deliver_url(order)).status_code == 200
        assert mailoutbox == []


@pytest.mark.django_db
class TestAdminActions:
    def changelist(self, client, admin_user, action, orders, **fields):
        client.force_login(admin_user)
        return client.post('/admin/store/order/', {'action': action, '_selected_action': [o.pk for o in orders],
                                                    **fields}, follow=True)

    def test_ship_and_deliver_from_the_changelist(self, client, admin_user, order):
        response = self.changelist(client, admin_user, 'ship', [order], carrier='DHL', tracking_number='42')
        assert response.status_code == 200
        assert '1 order was shipped.' in response.content.decode()
        order.refresh_from_db()
        assert (order.fulfilment_status, order.carrier, order.tracking_number) == ('shipped', 'DHL', '42')

        self.changelist(client, admin_user, 'deliver', [order])
        order.refresh_from_db()
        assert order.fulfilment_status == 'delivered'

    def test_ship_without_tracking_number_ships_nothing(self, client, admin_user, order):
        response = self.changelist(client, admin_user, 'ship', [order], carrier='DHL', tracking_number='')
        assert 'Nothing shipped.' in response.content.decode()
        order.refresh_from_db()
        assert order.fulfilment_status == 'unfulfilled'

    def test_refusals_are_reported_per_order(self, client, admin_user, order, customer_user, mug):
        unpaid = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        response = self.changelist(client, admin_user, 'ship', [order, unpaid], carrier='DHL', tracking_number='42')
        html = response.content.decode()
        assert '1 order was shipped.' in html and f'Order {unpaid.pk}: Only a paid order ships.' in html
        unpaid.refresh_from_db()
        assert unpaid.fulfilment_status == 'unfulfilled'

    def test_override_from_the_changelist(self, client, admin_user, customer_user, mug):
        unpaid = paid_order(customer_of(customer_user), mug, payment_status=Order.PAYMENT_STATUS_PENDING)
        self.changelist(client, admin_user, 'ship', [unpaid], carrier='DHL', tracking_number='42', override='on')
        unpaid.refresh_from_db()
        assert unpaid.fulfilment_status == 'shipped'
