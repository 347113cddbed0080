"""Stripe's webhook, POST /store/payments/stripe/webhook/ (issue 15): signed with the endpoint's secret and
verified by the SDK's construct_event; a bad, stale or missing signature and any body that is not an event are
400s that say nothing of why, never 500s; each event is applied once, whatever order events arrive in; a
success pays the order only for its amount and currency. Bodies are built and signed here as Stripe builds and
signs them (localstripe does not deliver events to the test client); the intents are real ones at localstripe.
"""
import json
import time

import pytest
from rest_framework import status

from store.models import Order, Payment, PaymentEvent

from .factories import customer_of, inventory
from .orders_helpers import place
from .payments_helpers import WEBHOOK_URL, charge_object, event_body, intent_object, post_event, stripe_signature

RECEIVED = {'received': True}
BAD_SIGNATURE = {'detail': 'The webhook signature does not verify.'}
NOT_AN_EVENT = {'detail': 'The webhook body is not an event.'}


@pytest.fixture
def customer(authenticate):
    return customer_of(authenticate())


@pytest.fixture
def order(customer, mug):
    """The customer's order of 3 mugs (8.99): total 29.67 (2967 cents); 7 mugs are left in stock."""
    return place(customer, (mug, 3))


@pytest.fixture
def payment(stripe_settings, api_client, order):
    """The order's Stripe payment, opened through the endpoint: a real intent at localstripe."""
    response = api_client.post(f'/store/orders/{order.pk}/payment/')
    assert response.status_code == status.HTTP_201_CREATED
    return Payment.objects.get(order=order)


def succeeded(payment, event_id='evt_succeeded', **fields):
    return event_body(event_id, 'payment_intent.succeeded',
                      intent_object(payment.provider_id, **{'amount': payment.amount, **fields}))


def failed(payment, event_id='evt_failed'):
    return event_body(event_id, 'payment_intent.payment_failed',
                      intent_object(payment.provider_id, amount=payment.amount, status='requires_payment_method',
                                    last_payment_error={'code': 'card_declined'}))


def refunded(payment, event_id='evt_refunded', **fields):
    return event_body(event_id, 'charge.refunded', charge_object(payment.provider_id, amount=payment.amount, **fields))


def payment_received_mails(mailoutbox):
    return [mail for mail in mailoutbox if mail.subject.startswith('Payment received')]


def reloaded(order, payment):
    return Order.objects.get(pk=order.pk), Payment.objects.get(pk=payment.pk)


@pytest.mark.django_db
class TestSucceeded:
    def test_pays_the_order_and_mails_payment_received_after_commit(
            self, settings, api_client, order, payment, customer, eager_tasks, mailoutbox,
            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(api_client, succeeded(payment))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == RECEIVED
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status, payment.flagged_reason) == ('C', 'succeeded', '')
        [mail] = payment_received_mails(mailoutbox)
        assert mail.to == [customer.user.email]
        assert mail.subject == f'Payment received for your {settings.SITE_NAME} order #{order.pk}'
        assert f'we have received your payment of 29.67 USD for order #{order.pk}.' in mail.body
        assert PaymentEvent.objects.filter(provider='stripe', event_id='evt_succeeded',
                                           type='payment_intent.succeeded').count() == 1

    def test_the_e_mail_waits_for_the_commit(self, api_client, order, payment, eager_tasks, mailoutbox,
                                             django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post_event(api_client, succeeded(payment))

        assert len(callbacks) == 1 and payment_received_mails(mailoutbox) == []
        callbacks[0]()
        assert len(payment_received_mails(mailoutbox)) == 1

    def test_no_e_mail_for_a_success_that_is_not_accepted(self, api_client, order, payment, eager_tasks, mailoutbox,
                                                          django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(api_client, succeeded(payment, amount=1))

        assert payment_received_mails(mailoutbox) == []

    def test_the_same_event_twice_is_applied_once(self, api_client, order, payment, eager_tasks, mailoutbox,
                                                  django_capture_on_commit_callbacks):
        body = succeeded(payment)
        with django_capture_on_commit_callbacks(execute=True):
            first = post_event(api_client, body)
        with django_capture_on_commit_callbacks(execute=True):
            second = post_event(api_client, body)

        assert (first.status_code, second.status_code) == (status.HTTP_200_OK, status.HTTP_200_OK)
        assert second.json() == RECEIVED
        assert PaymentEvent.objects.filter(event_id='evt_succeeded').count() == 1
        assert len(payment_received_mails(mailoutbox)) == 1
        assert Order.objects.get(pk=order.pk).payment_status == 'C'

    def test_a_redelivered_event_id_is_not_applied_again_even_with_another_body(self, api_client, order, payment):
        post_event(api_client, failed(payment, event_id='evt_1'))

        response = post_event(api_client, succeeded(payment, event_id='evt_1'))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('F', 'failed')

    def test_an_amount_mismatch_is_never_accepted_and_is_flagged(self, api_client, order, payment, caplog):
        response = post_event(api_client, succeeded(payment, amount=payment.amount - 1))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'pending')
        assert payment.flagged_reason == ('The provider reported 2966 USD received; the order expects 2967 USD. '
                                          'Not accepted: check it at the provider.')
        assert payment.flagged_reason in caplog.text

    def test_a_currency_mismatch_is_never_accepted_and_is_flagged(self, api_client, order, payment):
        response = post_event(api_client, succeeded(payment, currency='eur'))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'pending')
        assert payment.flagged_reason.startswith('The provider reported 2967 EUR received; the order expects 2967 USD.')

    def test_an_intent_that_is_not_ours_changes_nothing(self, api_client, order, payment):
        body = event_body('evt_foreign', 'payment_intent.succeeded',
                          intent_object('pi_not_ours', amount=payment.amount))

        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == RECEIVED
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'pending')


@pytest.mark.django_db
class TestFailedAndCanceled:
    def test_payment_failed_marks_the_payment_and_order_failed(self, api_client, order, payment):
        response = post_event(api_client, failed(payment))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('F', 'failed')

    def test_after_a_failure_the_customer_may_pay_again_with_the_same_intent(self, api_client, order, payment):
        first_secret = api_client.post(f'/store/orders/{order.pk}/payment/').json()['client_secret']
        post_event(api_client, failed(payment))

        response = api_client.post(f'/store/orders/{order.pk}/payment/')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['client_secret'] == first_secret
        assert Payment.objects.filter(order=order).count() == 1

    def test_a_late_payment_failed_never_unpays_a_paid_order(self, api_client, order, payment):
        post_event(api_client, succeeded(payment))

        response = post_event(api_client, failed(payment))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('C', 'succeeded')

    def test_a_success_after_a_failure_pays_the_order(self, api_client, order, payment):
        post_event(api_client, failed(payment))

        post_event(api_client, succeeded(payment))

        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('C', 'succeeded')

    def test_canceled_marks_the_payment_canceled(self, api_client, order, payment):
        body = event_body('evt_canceled', 'payment_intent.canceled',
                          intent_object(payment.provider_id, amount=payment.amount, status='canceled'))

        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('P', 'canceled')


@pytest.mark.django_db
class TestChargeRefunded:
    def test_a_full_refund_refunds_the_order_and_returns_its_stock(self, api_client, order, payment, mug):
        post_event(api_client, succeeded(payment))
        assert inventory(mug) == 7

        response = post_event(api_client, refunded(payment))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('R', 'refunded')
        assert order.cancelled_at is not None
        assert inventory(mug) == 10

    def test_a_partial_refund_is_flagged_and_the_order_stays_paid(self, api_client, order, payment, mug):
        post_event(api_client, succeeded(payment))

        response = post_event(api_client, refunded(payment, amount_refunded=1000))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status, order.cancelled_at) == ('C', 'succeeded', None)
        assert payment.flagged_reason == 'Partly refunded at the provider (1000 of 2967).'
        assert inventory(mug) == 7

    def test_a_success_after_a_full_refund_leaves_it_refunded(self, api_client, order, payment, mug):
        post_event(api_client, succeeded(payment, event_id='evt_1'))
        post_event(api_client, refunded(payment))

        response = post_event(api_client, succeeded(payment, event_id='evt_2'))

        assert response.status_code == status.HTTP_200_OK
        order, payment = reloaded(order, payment)
        assert (order.payment_status, payment.status) == ('R', 'refunded')
        assert inventory(mug) == 10

    def test_the_same_refund_twice_returns_the_stock_once(self, api_client, order, payment, mug):
        post_event(api_client, succeeded(payment))
        post_event(api_client, refunded(payment, event_id='evt_r1'))

        response = post_event(api_client, refunded(payment, event_id='evt_r2'))

        assert response.status_code == status.HTTP_200_OK
        assert inventory(mug) == 10


@pytest.mark.django_db
class TestSignature:
    @pytest.fixture
    def body(self, payment):
        return succeeded(payment)

    def assert_refused_and_unapplied(self, response, order, expected=BAD_SIGNATURE):
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == expected
        assert Order.objects.get(pk=order.pk).payment_status == 'P'
        assert not PaymentEvent.objects.exists()

    def test_a_bad_signature_is_400(self, api_client, order, body):
        response = post_event(api_client, body, signature=f't={int(time.time())},v1={"0" * 64}')

        self.assert_refused_and_unapplied(response, order)

    def test_a_signature_with_the_wrong_secret_is_400(self, api_client, order, body):
        response = post_event(api_client, body, signature=stripe_signature(body, secret='whsec_someone_else'))

        self.assert_refused_and_unapplied(response, order)

    def test_a_stale_signature_older_than_300_seconds_is_400(self, api_client, order, body):
        response = post_event(api_client, body, signature=stripe_signature(body, timestamp=int(time.time()) - 301))

        self.assert_refused_and_unapplied(response, order)

    def test_a_signature_of_another_body_is_400(self, api_client, order, body, payment):
        response = post_event(api_client, body, signature=stripe_signature(succeeded(payment, event_id='evt_other')))

        self.assert_refused_and_unapplied(response, order)

    def test_a_missing_signature_header_is_400(self, api_client, order, body):
        response = api_client.post(WEBHOOK_URL, data=body, content_type='application/json')

        self.assert_refused_and_unapplied(response, order)

    def test_a_malformed_signature_header_is_400(self, api_client, order, body):
        response = post_event(api_client, body, signature='not a signature')

        self.assert_refused_and_unapplied(response, order)

    def test_a_signature_within_300_seconds_is_accepted(self, api_client, order, body):
        response = post_event(api_client, body, signature=stripe_signature(body, timestamp=int(time.time()) - 240))

        assert response.status_code == status.HTTP_200_OK
        assert Order.objects.get(pk=order.pk).payment_status == 'C'


@pytest.mark.django_db
class TestGarbageBodies:
    @pytest.mark.parametrize('body', [
        b'not json at all',
        b'[1, 2, 3]',
        b'"a string"',
        b'null',
        b'{"id": "evt_x", "type": "payment_intent.succeeded"}',                     # no data
        b'{"id": "evt_x", "type": "payment_intent.succeeded", "data": {}}',         # no data.object
        b'{"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": []}}',
        b'{"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x"}}}',
        b'{"id": "evt_x", "type": "charge.refunded", "data": {"object": {"payment_intent": "pi_x"}}}',
        b'{"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x", "amount": 1, "currency": "usd"}}}',
        b'\xff\xfe\x00 binary',
    ], ids=['not-json', 'json-array', 'json-string', 'json-null', 'no-data', 'no-object', 'object-is-an-array',
            'intent-without-amount', 'charge-without-amounts', 'no-event-id', 'binary'])
    def test_a_signed_body_that_is_not_an_event_is_400(self, stripe_settings, api_client, body):
        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == NOT_AN_EVENT
        assert not PaymentEvent.objects.exists()

    @pytest.mark.parametrize('body', [b'not json at all', b'[1, 2, 3]', b'', b'{}'])
    def test_an_unsigned_garbage_body_is_400(self, stripe_settings, api_client, body):
        response = api_client.post(WEBHOOK_URL, data=body, content_type='application/json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == BAD_SIGNATURE

    def test_an_event_type_it_ignores_is_200_and_leaves_no_row(self, stripe_settings, api_client):
        body = event_body('evt_customer', 'customer.created', {'id': 'cus_1', 'object': 'customer'})

        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == RECEIVED
        # Nothing to apply: not even the event is stored (its id and type are anyone's to choose).
        assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
class TestStripeOff:
    def test_the_webhook_is_404_when_stripe_is_not_configured(self, settings, api_client):
        assert settings.PAYMENT_PROVIDER == 'manual'
        body = json.dumps({'id': 'evt_1', 'type': 'payment_intent.succeeded'}).encode()

        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
class TestSignedBodiesThatAreNoEvent:
    """Correctly signed with the shop's secret (a leaked secret, or a buggy sender): still a 400, never a 500."""

    @pytest.mark.parametrize('body', [
        b'[' * 5000 + b']' * 5000,
        b'{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": '
        b'{"id": "pi_1", "object": "payment_intent", "amount": 1e400, "currency": "usd"}}}',
        b'{"id": "evt_' + b'x' * 5000 + b'", "object": "event", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_1", "amount": 100, "currency": "usd"}}}',
        b'{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_' + b'x' * 5000 + b'", "amount": 100, "currency": "usd"}}}',
        b'{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_1", "amount": 100, "currency": "dollars"}}}',
        b'{"id": 12, "object": "event", "type": "charge.refunded", "data": {"object": {"id": null}}}',
    ], ids=['deeply nested', 'amount 1e400', 'event id too long', 'intent id too long', 'not a currency code',
            'id not a string'])
    def test_is_400(self, stripe_settings, api_client, body):
        response = post_event(api_client, body)

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'detail': 'The webhook body is not an event.'}
        assert not PaymentEvent.objects.exists()

    def test_a_long_type_it_ignores_is_200_and_leaves_no_row(self, stripe_settings, api_client):
        response = post_event(api_client, event_body('evt_long', 'x' * 5000, {}))

        assert response.status_code == status.HTTP_200_OK
        assert not PaymentEvent.objects.exists()
