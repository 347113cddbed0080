"""Payments (issue 15): the money fixed on an order at placement, and POST /store/orders/{id}/payment/ for the
manual provider (the embedded default) and for Stripe (against a real localstripe, through the official SDK):
one open intent per order however often it is called, refusals for orders that cannot be paid, who may call it,
a provider outage as a 502, and query counts that do not grow with the order's lines.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import status

from store.models import Order, Payment
from store.payments.providers import get_provider, to_minor_units
from tests.servers import free_port

from .factories import customer_of, inventory, make_cart, make_product
from .orders_helpers import ORDERS_URL, order_url, place

# The manual payment's answer carries no client secret: nothing for Stripe.js to confirm.
NO_CLIENT_SECRET = None

CANCELLED = {'detail': 'This order is cancelled: it cannot be paid.'}
PAID = {'detail': 'This order is already paid.'}
REFUNDED = {'detail': 'This order was refunded: it cannot be paid again.'}
EXPIRED = {'detail': 'This order has expired: its stock is being returned. Place a new order.'}


def payment_url(order_id):
    return f'/store/orders/{order_id}/payment/'


def pay(api_client, order):
    return api_client.post(payment_url(order.pk))


@pytest.fixture
def customer(authenticate):
    """The logged-in customer (the API client is authenticated as their user)."""
    return customer_of(authenticate())


@pytest.fixture
def order(customer, mug, tea):
    """The customer's placed order: 2 mugs (8.99) and 1 tea (4.50): subtotal 22.48, tax 2.25, total 24.73."""
    return place(customer, (mug, 2), (tea, 1))


# ---------------------------------------------------------------------------------------------------------------
# Money on the order

@pytest.mark.django_db
class TestMoneyOnTheOrder:
    def test_placing_stores_subtotal_tax_rounded_half_up_total_and_currency(self, customer, api_client):
        # (The API renders decimals as JSON numbers, as the course's unit prices.)
        # 5 x 2.53 = 12.65; 10 % of it is 1.265: half-up gives 1.27 (banker's rounding would give 1.26).
        product = make_product(unit_price=Decimal('2.53'), inventory=10)

        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((product, 5)).pk)}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        body = response.json()
        assert (body['subtotal'], body['tax'], body['total'], body['currency']) == (12.65, 1.27, 13.92, 'USD')
        order = Order.objects.get(pk=body['id'])
        assert (order.subtotal, order.tax, order.total, order.currency) == (
            Decimal('12.65'), Decimal('1.27'), Decimal('13.92'), 'USD')

    def test_the_tax_rate_and_currency_settings_are_respected(self, customer, settings):
        settings.TAX_RATE = Decimal('0.2')
        settings.CURRENCY = 'EUR'
        # 3 x 0.75 = 2.25; 20 % of it is 0.45 exactly; 1 x 0.13 more: 2.38, tax 0.476 -> 0.48.
        order = place(customer, (make_product(unit_price=Decimal('0.75')), 3),
                      (make_product(unit_price=Decimal('0.13')), 1))

        order.refresh_from_db()
        assert (order.subtotal, order.tax, order.total, order.currency) == (
            Decimal('2.38'), Decimal('0.48'), Decimal('2.86'), 'EUR')

    def test_amounts_do_not_change_when_prices_or_settings_change_later(self, customer, api_client, order, mug,
                                                                       settings):
        mug.unit_price = Decimal('100.00')
        mug.save()
        settings.TAX_RATE = Decimal('0.5')

        response = api_client.get(order_url(order.pk))

        assert response.status_code == status.HTTP_200_OK
        body = response.json()
        assert (body['subtotal'], body['tax'], body['total'], body['currency']) == (22.48, 2.25, 24.73, 'USD')

    def test_the_order_json_shows_the_money_alongside_the_course_fields(self, customer, api_client, order):
        response = api_client.get(ORDERS_URL)

        assert response.status_code == status.HTTP_200_OK
        [listed] = response.json()
        assert set(listed) == {'id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at',
                               'subtotal', 'tax', 'total', 'currency', 'shipping_address',
                               'fulfilment_status', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at'}
        assert (listed['subtotal'], listed['tax'], listed['total'], listed['currency']) == (22.48, 2.25, 24.73, 'USD')


# ---------------------------------------------------------------------------------------------------------------
# The payment endpoint, manual provider (the embedded default)

@pytest.mark.django_db
class TestManualPayment:
    def test_returns_201_pending_with_the_total_in_cents_and_no_client_secret(self, api_client, order):
        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == {'provider': 'manual', 'status': 'pending', 'amount': 2473, 'currency': 'USD',
                                   'client_secret': NO_CLIENT_SECRET}
        payment = Payment.objects.get(order=order)
        assert (payment.provider, payment.provider_id, payment.amount, payment.currency, payment.status) == (
            'manual', f'manual-order-{order.pk}', 2473, 'USD', 'pending')

    def test_calling_twice_keeps_one_payment_row(self, api_client, order):
        first = pay(api_client, order)
        second = pay(api_client, order)

        assert (first.status_code, second.status_code) == (status.HTTP_201_CREATED, status.HTTP_201_CREATED)
        assert second.json() == first.json()
        assert Payment.objects.filter(order=order).count() == 1

    def test_staff_marking_it_paid_succeeds_the_payment_and_mails_payment_received(
            self, api_client, order, customer, authenticate, eager_tasks, mailoutbox,
            django_capture_on_commit_callbacks):
        pay(api_client, order)
        authenticate(is_staff=True)

        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'payment_status': 'C'}
        assert Payment.objects.get(order=order).status == Payment.STATUS_SUCCEEDED
        received = [mail for mail in mailoutbox if 'Payment received' in mail.subject]
        assert len(received) == 1
        assert received[0].to == [customer.user.email]
        assert received[0].subject.endswith(f' order #{order.pk}')

    def test_staff_marking_a_paid_order_unpaid_again_reopens_its_manual_payment(self, api_client, order, customer,
                                                                               authenticate):
        pay(api_client, order)
        authenticate(is_staff=True)
        api_client.patch(order_url(order.pk), {'payment_status': 'C'}, format='json')

        response = api_client.patch(order_url(order.pk), {'payment_status': 'P'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert Payment.objects.get(order=order).status == Payment.STATUS_PENDING
        api_client.force_authenticate(user=customer.user)
        again = pay(api_client, order)
        assert again.status_code == status.HTTP_201_CREATED
        assert (again.json()['status'], Payment.objects.filter(order=order).count()) == ('pending', 1)

    def test_staff_cannot_set_refunded_by_hand(self, api_client, order, authenticate):
        authenticate(is_staff=True)

        response = api_client.patch(order_url(order.pk), {'payment_status': 'R'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {
            'detail': 'A refund is made by cancelling the paid order, and a refunded order stays refunded.'}
        assert Order.objects.get(pk=order.pk).payment_status == Order.PAYMENT_STATUS_PENDING

    def test_an_order_marked_paid_is_refused(self, api_client, order):
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == PAID
        assert not Payment.objects.exists()

    def test_manual_orders_never_expire_by_default(self, api_client, order, settings):
        assert settings.PAYMENT_PROVIDER == 'manual' and settings.PAYMENT_TIMEOUT is None
        Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(days=30))

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED


# ---------------------------------------------------------------------------------------------------------------
# The payment endpoint, Stripe (against localstripe)

@pytest.mark.django_db
class TestStripePayment:
    def test_returns_201_with_the_intents_client_secret(self, stripe_settings, api_client, order):
        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED
        body = response.json()
        payment = Payment.objects.get(order=order)
        assert body == {'provider': 'stripe', 'status': 'pending', 'amount': 2473, 'currency': 'USD',
                        'client_secret': body['client_secret']}
        assert body['client_secret'].startswith(f'{payment.provider_id}_secret_')
        assert (payment.provider, payment.amount, payment.currency, payment.status) == (
            'stripe', 2473, 'USD', 'pending')

    def test_the_intent_exists_at_the_provider_with_the_amount_currency_and_order_id(
            self, stripe_settings, api_client, order):
        pay(api_client, order)
        payment = Payment.objects.get(order=order)

        intent = get_provider('stripe').client.v1.payment_intents.retrieve(payment.provider_id)

        assert (intent.id, intent.amount, intent.currency, intent.status) == (
            payment.provider_id, 2473, 'usd', 'requires_payment_method')
        assert intent.metadata.to_dict() == {'order_id': str(order.pk)}

    def test_calling_twice_returns_the_same_intent_and_one_payment_row(self, stripe_settings, api_client, order):
        first = pay(api_client, order)
        second = pay(api_client, order)

        assert (first.status_code, second.status_code) == (status.HTTP_201_CREATED, status.HTTP_201_CREATED)
        assert second.json()['client_secret'] == first.json()['client_secret']
        assert second.json() == first.json()
        assert Payment.objects.filter(order=order).count() == 1

    def test_an_intent_cancelled_at_the_provider_is_replaced_by_a_new_one(self, stripe_settings, api_client, order):
        first = pay(api_client, order).json()
        cancelled = Payment.objects.get(order=order)
        get_provider('stripe').client.v1.payment_intents.cancel(cancelled.provider_id)  # in Stripe's dashboard, say

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED
        body = response.json()
        assert (body['status'], body['amount']) == ('pending', 2473)
        assert body['client_secret'] != first['client_secret']
        assert Payment.objects.get(pk=cancelled.pk).status == Payment.STATUS_CANCELED
        renewed = Payment.objects.get(order=order, status=Payment.STATUS_PENDING)
        assert body['client_secret'].startswith(f'{renewed.provider_id}_secret_')

    def test_each_attempt_has_its_own_idempotency_key_and_a_repeat_none(self, stripe_settings, api_client, order,
                                                                        monkeypatch):
        # localstripe ignores idempotency keys (real Stripe answers a reused key with the first intent, which
        # would be the cancelled one): record the keys the real calls to localstripe carry.
        provider = get_provider('stripe')
        create_intent, keys = provider.create_intent, []

        def recording_create_intent(**kwargs):
            keys.append(kwargs['idempotency_key'])
            return create_intent(**kwargs)

        monkeypatch.setattr(provider, 'create_intent', recording_create_intent)
        pay(api_client, order)
        pay(api_client, order)
        Payment.objects.filter(order=order).update(status=Payment.STATUS_CANCELED)  # a payment_intent.canceled

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED
        assert keys == [f'storefront-order-{order.pk}-2473-USD-0', f'storefront-order-{order.pk}-2473-USD-1']
        assert Payment.objects.filter(order=order).count() == 2

    def test_a_cancelled_order_is_refused(self, stripe_settings, api_client, order):
        Order.objects.filter(pk=order.pk).update(cancelled_at=timezone.now())

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == CANCELLED
        assert not Payment.objects.exists()

    def test_a_paid_order_is_refused(self, stripe_settings, api_client, order):
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == PAID
        assert not Payment.objects.exists()

    def test_a_refunded_order_is_refused(self, stripe_settings, api_client, order):
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_REFUNDED)

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == REFUNDED
        assert not Payment.objects.exists()

    def test_an_order_older_than_the_payment_timeout_is_refused_as_expired(self, stripe_settings, api_client, order):
        Order.objects.filter(pk=order.pk).update(
            placed_at=timezone.now() - stripe_settings.PAYMENT_TIMEOUT - timedelta(seconds=1))

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == EXPIRED
        assert not Payment.objects.exists()

    def test_an_order_just_within_the_payment_timeout_is_payable(self, stripe_settings, api_client, order):
        Order.objects.filter(pk=order.pk).update(
            placed_at=timezone.now() - stripe_settings.PAYMENT_TIMEOUT + timedelta(minutes=1))

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_201_CREATED

    def test_an_unknown_order_returns_404(self, stripe_settings, api_client, customer):
        response = api_client.post(payment_url(999999))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == {'detail': 'No Order matches the given query.'}

    def test_a_provider_outage_returns_502_json_and_writes_no_payment(self, stripe_settings, api_client, order):
        stripe_settings.STRIPE_API_BASE = f'http://127.0.0.1:{free_port()}'  # nothing listens there

        response = pay(api_client, order)

        assert response.status_code == status.HTTP_502_BAD_GATEWAY
        assert response.headers['Content-Type'] == 'application/json'
        # The SDK's own text (which names the host) is logged, not answered.
        assert response.json() == {'detail': 'The payment provider refused the request or could not be reached.'}
        assert not Payment.objects.exists()
        assert Order.objects.get(pk=order.pk).payment_status == Order.PAYMENT_STATUS_PENDING


# ---------------------------------------------------------------------------------------------------------------
# Who may pay

@pytest.mark.django_db
class TestWhoMayPay:
    @pytest.fixture
    def owners_order(self, make_customer, mug):
        return place(make_customer(), (mug, 1))

    def test_the_owner_gets_201(self, stripe_settings, api_client, owners_order):
        api_client.force_authenticate(user=owners_order.customer.user)

        assert pay(api_client, owners_order).status_code == status.HTTP_201_CREATED

    def test_another_customer_gets_404(self, stripe_settings, api_client, owners_order, authenticate):
        authenticate()

        response = pay(api_client, owners_order)

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Payment.objects.exists()

    def test_staff_who_do_not_own_it_get_403(self, stripe_settings, api_client, owners_order, authenticate):
        authenticate(is_staff=True, is_superuser=True)

        response = pay(api_client, owners_order)

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == {'detail': 'Only the customer who placed this order may pay for it.'}
        assert not Payment.objects.exists()

    def test_anonymous_gets_401(self, stripe_settings, api_client, owners_order):
        response = pay(api_client, owners_order)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == {'detail': 'Authentication credentials were not provided.'}
        assert not Payment.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Amounts in minor units, and the payments in the admin

@pytest.mark.parametrize('amount, currency, minor', [
    ('24.73', 'USD', 2473), ('0.10', 'eur', 10), ('13.92', 'USD', 1392), ('1234', 'JPY', 1234), ('0', 'USD', 0)])
def test_to_minor_units_counts_as_stripe_does(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


@pytest.mark.django_db
def test_staff_see_the_orders_payments_read_only_in_the_admin(stripe_settings, api_client, order, admin_client):
    pay(api_client, order)
    payment = Payment.objects.get(order=order)

    response = admin_client.get(f'/admin/store/order/{order.pk}/change/')

    assert response.status_code == status.HTTP_200_OK
    page = response.content.decode()
    assert payment.provider_id in page and '2473' in page
    # Read-only: shown, with no form field to change them.
    assert 'name="payments-0-status"' not in page and 'name="payments-0-provider_id"' not in page


# ---------------------------------------------------------------------------------------------------------------
# Deleting an order that has a payment

@pytest.mark.django_db
class TestDeleteOrderWithPayment:
    def test_an_order_with_a_pending_payment_is_not_deleted(self, api_client, order, authenticate):
        pay(api_client, order)
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {
            'detail': 'This order has a payment: cancel it (which refunds or voids the payment) instead.'}
        assert Order.objects.filter(pk=order.pk).exists() and Payment.objects.filter(order=order).exists()

    def test_an_order_with_only_canceled_payments_is_deleted_with_them(self, api_client, order, authenticate, mug):
        pay(api_client, order)
        Payment.objects.filter(order=order).update(status=Payment.STATUS_CANCELED)
        authenticate(is_staff=True)

        response = api_client.delete(order_url(order.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not Order.objects.filter(pk=order.pk).exists() and not Payment.objects.exists()
        assert inventory(mug) == 10  # the 2 mugs went back


# ---------------------------------------------------------------------------------------------------------------
# Query budgets: placing and paying do not grow with the order's lines

# Placing: as test_orders_create.py counts them (PLACE_ORDER_ENDPOINT_QUERIES): storing the money adds none.
# Paying: the order with its items and its customer (3); SAVEPOINT; lock the
# order; read its payments; INSERT the payment; INSERT its "payment_started" event; RELEASE SAVEPOINT. Paying
# again finds the payment: no INSERT.
PLACE_ORDER_BUDGET = 16
PAY_BUDGET = 9


def five_products():
    return [make_product(unit_price=Decimal('3.05'), inventory=50) for _ in range(5)]


@pytest.mark.django_db
class TestPaymentQueryBudgets:
    def test_placing_an_order_takes_as_many_queries_for_1_line_as_for_5(self, customer, api_client,
                                                                        django_assert_max_num_queries):
        products = five_products()
        counts = []
        for lines in (products[:1], products):
            cart = make_cart(*((product, 2) for product in lines))
            with django_assert_max_num_queries(PLACE_ORDER_BUDGET) as queries:
                response = api_client.post(ORDERS_URL, {'cart_id': str(cart.pk)}, format='json')
            assert response.status_code == status.HTTP_201_CREATED
            counts.append(len(queries))

        assert counts[0] == counts[1]

    def test_paying_takes_as_many_queries_for_1_line_as_for_5(self, customer, api_client,
                                                              django_assert_max_num_queries):
        products = five_products()
        counts = []
        for lines in (products[:1], products):
            order = place(customer, *((product, 2) for product in lines))
            with django_assert_max_num_queries(PAY_BUDGET) as queries:
                response = pay(api_client, order)
            assert response.status_code == status.HTTP_201_CREATED
            counts.append(len(queries))

        assert counts[0] == counts[1]

    def test_paying_again_takes_as_many_queries_for_1_line_as_for_5(self, customer, api_client,
                                                                    django_assert_max_num_queries):
        products = five_products()
        counts = []
        for lines in (products[:1], products):
            order = place(customer, *((product, 2) for product in lines))
            pay(api_client, order)
            with django_assert_max_num_queries(PAY_BUDGET) as queries:
                response = pay(api_client, order)
            assert response.status_code == status.HTTP_201_CREATED
            counts.append(len(queries))

        assert counts[0] == counts[1]
