"""Refunds, expiry and reconciliation (issue 15), against a real localstripe through the official SDK.

- Staff (holders of store.cancel_order) cancelling a paid order refund it in full through its provider, return
  its stock and mark it refunded ("R"); a refund the provider refuses leaves the order paid and is a 502.
- expire_unpaid_orders() cancels the orders still unpaid PAYMENT_TIMEOUT after placement, cancels their intents
  and returns their stock; a payment that succeeds after its order expired is refunded automatically.
- reconcile_payments() asks the provider about payments still open PAYMENT_RECONCILE_AFTER after they began, so
  a missed webhook never leaves a paid order pending.
"""
import logging
from datetime import timedelta

import pytest
import stripe
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework import status

from store.models import Order, Payment, PaymentEvent
from store.payments.providers import get_provider
from store.payments.tasks import expire_unpaid_orders, reconcile_payments
from tests.servers import free_port

from .factories import customer_of, inventory
from .orders_helpers import place
from .payments_helpers import charge_object, event_body, intent_object, post_event


@pytest.fixture
def customer(authenticate):
    return customer_of(authenticate())


@pytest.fixture
def order(customer, mug):
    """The customer's order of 3 mugs (8.99): total 29.67; 7 mugs are left in stock."""
    return place(customer, (mug, 3))


def open_payment(api_client, order):
    """The order's payment, opened by its owner through the endpoint (a real intent at localstripe for Stripe)."""
    api_client.force_authenticate(user=order.customer.user)
    response = api_client.post(f'/store/orders/{order.pk}/payment/')
    assert response.status_code == status.HTTP_201_CREATED
    return Payment.objects.get(order=order)


def confirm_at_localstripe(payment, card='pm_card_visa'):
    """What Stripe.js does in the customer's browser: attach a card to the intent and confirm it."""
    intents = get_provider('stripe').client.v1.payment_intents
    intents.update(payment.provider_id, params={'payment_method': card})
    return intents.confirm(payment.provider_id)


def post_succeeded(api_client, payment, event_id='evt_succeeded'):
    body = event_body(event_id, 'payment_intent.succeeded', intent_object(payment.provider_id, amount=payment.amount))
    response = post_event(api_client, body)
    assert response.status_code == status.HTTP_200_OK
    return response


def paid_stripe_order(api_client, order):
    """The order paid by card at localstripe, and the success applied from its webhook: (order, payment)."""
    payment = open_payment(api_client, order)
    confirm_at_localstripe(payment)
    post_succeeded(api_client, payment)
    assert Order.objects.get(pk=order.pk).payment_status == Order.PAYMENT_STATUS_COMPLETE
    return Order.objects.get(pk=order.pk), Payment.objects.get(pk=payment.pk)


@pytest.fixture
def canceller(api_client, django_user_model):
    """Log in a staff user (not a superuser) holding store.cancel_order."""
    def log_in():
        user = django_user_model.objects.create_user(username='canceller', password='x', is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename='cancel_order', content_type__app_label='store'))
        api_client.force_authenticate(user=user)
        return user
    return log_in


def cancel(api_client, order):
    return api_client.post(f'/store/orders/{order.pk}/cancel/')


def reloaded(order, payment):
    return Order.objects.get(pk=order.pk), Payment.objects.get(pk=payment.pk)


# ---------------------------------------------------------------------------------------------------------------
# Refunds on cancel

@pytest.mark.django_db
class TestRefundOnCancel:
    def test_cancelling_a_paid_stripe_order_refunds_it_in_full_and_returns_its_stock(
            self, stripe_settings, api_client, order, canceller, mug):
        order, payment = paid_stripe_order(api_client, order)
        canceller()

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['payment_status'] == 'R'
        assert response.json()['cancelled_at'] is not None
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('R', 'refunded')
        refund = get_provider('stripe').client.v1.refunds.retrieve(payment.refund_id)
        assert (refund.payment_intent, refund.amount, refund.status) == (payment.provider_id, 2967, 'succeeded')
        assert inventory(mug) == 10

    def test_a_superuser_cancelling_a_paid_order_refunds_it(self, stripe_settings, api_client, order, authenticate):
        order, payment = paid_stripe_order(api_client, order)
        authenticate(is_staff=True, is_superuser=True)

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['payment_status'] == 'R'
        refunds = get_provider('stripe').client.v1.refunds.list(params={'payment_intent': payment.provider_id})
        assert [(refund.id, refund.amount) for refund in refunds.data] == [
            (Payment.objects.get(pk=payment.pk).refund_id, 2967)]

    def test_the_refunded_order_cannot_be_paid_again(self, stripe_settings, api_client, order, canceller):
        order, payment = paid_stripe_order(api_client, order)
        canceller()
        cancel(api_client, order)
        api_client.force_authenticate(user=order.customer.user)

        response = api_client.post(f'/store/orders/{order.pk}/payment/')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order was refunded: it cannot be paid again.'}
        assert Payment.objects.filter(order=order).count() == 1

    def test_cancelling_it_again_is_400_and_refunds_nothing_more(self, stripe_settings, api_client, order,
                                                                 canceller, mug):
        order, payment = paid_stripe_order(api_client, order)
        canceller()
        cancel(api_client, order)

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'This order is already cancelled.'}
        refunds = get_provider('stripe').client.v1.refunds.list(params={'payment_intent': payment.provider_id})
        assert len(refunds.data) == 1
        assert inventory(mug) == 10

    def test_a_refund_the_provider_refuses_is_502_and_the_order_stays_paid(self, stripe_settings, api_client, order,
                                                                          canceller, mug):
        order, payment = paid_stripe_order(api_client, order)
        Payment.objects.filter(pk=payment.pk).update(provider_id='pi_unknown_to_the_provider')
        canceller()

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_502_BAD_GATEWAY
        assert response.headers['Content-Type'] == 'application/json'
        assert response.json() == {'detail': 'The payment provider refused the request or could not be reached.'}
        order, payment = reloaded(order, payment)
        assert (order.payment_status, order.cancelled_at, payment.status, payment.refund_id) == (
            'C', None, 'succeeded', '')
        assert inventory(mug) == 7

    def test_the_refund_webhook_after_staffs_refund_changes_nothing(self, stripe_settings, api_client, order,
                                                                    canceller, mug):
        order, payment = paid_stripe_order(api_client, order)
        canceller()
        cancel(api_client, order)
        body = event_body('evt_refunded', 'charge.refunded', charge_object(payment.provider_id, amount=payment.amount))

        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status, payment.flagged_reason) == ('R', 'refunded', '')
        assert inventory(mug) == 10  # returned once

    def test_the_owner_cannot_cancel_a_paid_order(self, stripe_settings, api_client, order, mug):
        order, payment = paid_stripe_order(api_client, order)
        api_client.force_authenticate(user=order.customer.user)

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == {
            'detail': 'You may cancel only your own orders, and only while their payment is pending.'}
        order, payment = reloaded(order, payment)
        assert (order.payment_status, order.cancelled_at, payment.status) == ('C', None, 'succeeded')
        assert inventory(mug) == 7

    def test_the_owner_cancelling_an_unpaid_order_voids_its_intent(self, stripe_settings, api_client, order, mug):
        payment = open_payment(api_client, order)

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['payment_status'] == 'P'
        assert Payment.objects.get(pk=payment.pk).status == 'canceled'
        assert get_provider('stripe').client.v1.payment_intents.retrieve(payment.provider_id).status == 'canceled'
        assert inventory(mug) == 10

    def test_a_paid_manual_order_is_refunded_without_calling_any_provider(self, settings, api_client, order,
                                                                         canceller, mug):
        payment = open_payment(api_client, order)
        canceller()
        assert api_client.patch(f'/store/orders/{order.pk}/', {'payment_status': 'C'},
                                format='json').status_code == status.HTTP_200_OK
        # Were Stripe asked anything, the call would fail: nothing listens there.
        settings.STRIPE_API_BASE = f'http://127.0.0.1:{free_port()}'

        response = cancel(api_client, order)

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['payment_status'] == 'R'
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status, payment.refund_id) == (
            'R', 'refunded', f'manual-refund-manual-order-{order.pk}')
        assert inventory(mug) == 10


# ---------------------------------------------------------------------------------------------------------------
# Unpaid orders expire

def age(order, by):
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - by)


@pytest.mark.django_db
class TestExpireUnpaidOrders:
    def test_leaves_an_unpaid_order_staff_shipped_anyway(self, settings, order, mug):
        # The manual provider's override ships before the money arrives: that order is not abandoned.
        settings.PAYMENT_TIMEOUT = timedelta(minutes=30)
        Order.objects.filter(pk=order.pk).update(fulfilment_status=Order.FULFILMENT_SHIPPED)
        age(order, settings.PAYMENT_TIMEOUT + timedelta(seconds=1))

        assert expire_unpaid_orders() == 0

        order.refresh_from_db()
        assert order.cancelled_at is None and inventory(mug) == 7

    def test_cancels_orders_unpaid_after_the_timeout_and_their_intents_and_returns_their_stock(
            self, stripe_settings, api_client, order, mug):
        payment = open_payment(api_client, order)
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))

        assert expire_unpaid_orders() == 1

        order, payment = reloaded(order, payment)
        assert order.cancelled_at is not None and order.payment_status == 'P'
        assert payment.status == 'canceled'
        assert get_provider('stripe').client.v1.payment_intents.retrieve(payment.provider_id).status == 'canceled'
        assert inventory(mug) == 10

    def test_an_expired_order_without_a_payment_returns_its_stock(self, stripe_settings, order, mug):
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))

        assert expire_unpaid_orders() == 1

        assert Order.objects.get(pk=order.pk).cancelled_at is not None
        assert inventory(mug) == 10

    def test_a_failed_order_expires_too(self, stripe_settings, order, mug):
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_FAILED)
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))

        assert expire_unpaid_orders() == 1

        assert inventory(mug) == 10

    def test_leaves_paid_and_recent_orders_alone(self, stripe_settings, api_client, customer, mug, tea):
        paid, payment = paid_stripe_order(api_client, place(customer, (mug, 3)))
        age(paid, stripe_settings.PAYMENT_TIMEOUT + timedelta(hours=1))
        recent = place(customer, (tea, 2))
        age(recent, stripe_settings.PAYMENT_TIMEOUT - timedelta(minutes=1))

        assert expire_unpaid_orders() == 0

        assert list(Order.objects.filter(cancelled_at__isnull=False)) == []
        assert Payment.objects.get(pk=payment.pk).status == 'succeeded'
        assert (inventory(mug), inventory(tea)) == (7, 18)

    def test_an_expired_order_is_expired_only_once(self, stripe_settings, order, mug):
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))
        expire_unpaid_orders()

        assert expire_unpaid_orders() == 0

        assert inventory(mug) == 10

    def test_does_nothing_when_payment_timeout_is_none(self, settings, order, mug):
        assert settings.PAYMENT_TIMEOUT is None  # the manual default
        age(order, timedelta(days=365))

        assert expire_unpaid_orders() == 0

        assert Order.objects.get(pk=order.pk).cancelled_at is None
        assert inventory(mug) == 7

    def test_a_payment_succeeding_after_expiry_is_refunded_automatically_and_logged(
            self, stripe_settings, api_client, order, mug, caplog):
        # The race: the customer pays at Stripe just as the order expires; Stripe will not cancel an intent
        # that succeeded, so it stays open here until its success is reported.
        payment = open_payment(api_client, order)
        confirm_at_localstripe(payment)
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))
        assert expire_unpaid_orders() == 1
        assert Payment.objects.get(pk=payment.pk).status == 'pending'

        with caplog.at_level(logging.WARNING, logger='store.services'):
            post_succeeded(api_client, payment)

        order, payment = reloaded(order, payment)
        # Cancelled, and refunded: the customer sees their money came back, not a payment still awaited.
        assert order.cancelled_at is not None and order.payment_status == Order.PAYMENT_STATUS_REFUNDED
        assert payment.status == 'refunded'
        refund = get_provider('stripe').client.v1.refunds.retrieve(payment.refund_id)
        assert (refund.payment_intent, refund.amount) == (payment.provider_id, 2967)
        assert f'succeeded for order {order.pk}, which is cancelled: refunding it.' in caplog.text
        assert inventory(mug) == 10  # returned once, at expiry

    def test_when_the_refund_after_expiry_fails_the_event_is_502_and_applies_on_redelivery(
            self, stripe_settings, api_client, order, mug):
        payment = open_payment(api_client, order)
        confirm_at_localstripe(payment)
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))
        expire_unpaid_orders()
        body = event_body('evt_late', 'payment_intent.succeeded', intent_object(payment.provider_id, amount=2967))
        reachable = stripe_settings.STRIPE_API_BASE
        stripe_settings.STRIPE_API_BASE = f'http://127.0.0.1:{free_port()}'

        failed = post_event(api_client, body)

        assert failed.status_code == status.HTTP_502_BAD_GATEWAY
        assert Payment.objects.get(pk=payment.pk).status == 'pending'
        assert not PaymentEvent.objects.exists()  # not recorded: Stripe's redelivery is applied
        stripe_settings.STRIPE_API_BASE = reachable

        redelivered = post_event(api_client, body)

        assert redelivered.status_code == status.HTTP_200_OK
        payment = Payment.objects.get(pk=payment.pk)
        assert payment.status == 'refunded'
        assert get_provider('stripe').client.v1.refunds.retrieve(payment.refund_id).amount == 2967
        assert inventory(mug) == 10


# ---------------------------------------------------------------------------------------------------------------
# Reconciliation

def make_due(payment, settings):
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - settings.PAYMENT_RECONCILE_AFTER - timedelta(seconds=1))


@pytest.mark.django_db
class TestReconcilePayments:
    def test_an_intent_confirmed_without_a_webhook_marks_the_order_paid(
            self, stripe_settings, api_client, order, eager_tasks, mailoutbox, django_capture_on_commit_callbacks):
        payment = open_payment(api_client, order)
        confirm_at_localstripe(payment)
        make_due(payment, stripe_settings)

        with django_capture_on_commit_callbacks(execute=True):
            assert reconcile_payments() == {'succeeded': 1}

        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('C', 'succeeded')
        assert len([mail for mail in mailoutbox if mail.subject.startswith('Payment received')]) == 1

    def test_a_success_found_for_an_expired_order_is_refunded(self, stripe_settings, api_client, order):
        payment = open_payment(api_client, order)
        confirm_at_localstripe(payment)
        age(order, stripe_settings.PAYMENT_TIMEOUT + timedelta(seconds=1))
        expire_unpaid_orders()
        make_due(payment, stripe_settings)

        assert reconcile_payments() == {'refunded': 1}

        order, payment = reloaded(order, payment)
        assert order.cancelled_at is not None and order.payment_status != Order.PAYMENT_STATUS_COMPLETE
        assert get_provider('stripe').client.v1.refunds.retrieve(payment.refund_id).amount == 2967

    def test_recent_payments_are_not_looked_up(self, stripe_settings, api_client, order):
        payment = open_payment(api_client, order)
        confirm_at_localstripe(payment)

        assert reconcile_payments() == {}

        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'pending')

    def test_manual_payments_are_never_looked_up(self, settings, api_client, order, caplog):
        payment = open_payment(api_client, order)
        make_due(payment, settings)

        assert reconcile_payments() == {}

        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'pending')
        assert 'Could not reconcile' not in caplog.text

    def test_a_declined_card_marks_the_payment_and_order_failed(self, stripe_settings, api_client, order):
        payment = open_payment(api_client, order)
        with pytest.raises(stripe.CardError):
            confirm_at_localstripe(payment, card='pm_card_chargeCustomerFail')
        make_due(payment, stripe_settings)

        assert reconcile_payments() == {'failed': 1}

        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('F', 'failed')

    def test_an_unconfirmed_intent_stays_pending(self, stripe_settings, api_client, order):
        payment = open_payment(api_client, order)
        make_due(payment, stripe_settings)

        assert reconcile_payments() == {'pending': 1}

        assert Payment.objects.get(pk=payment.pk).status == 'pending'

    def test_a_provider_outage_is_logged_and_retried_next_time(self, stripe_settings, api_client, order, caplog):
        payment = open_payment(api_client, order)
        make_due(payment, stripe_settings)
        stripe_settings.STRIPE_API_BASE = f'http://127.0.0.1:{free_port()}'

        assert reconcile_payments() == {}

        assert Payment.objects.get(pk=payment.pk).status == 'pending'
        assert f'Could not reconcile payment {payment.pk}; trying again next time.' in caplog.text
