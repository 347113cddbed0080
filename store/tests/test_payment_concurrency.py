"""Payments under real concurrency (issue 15): duplicate webhooks, repeated payment calls, the last units
sold and paid, expiry racing payments and webhooks, an owner's cancel racing the payment. Stripe is localstripe, driven through the SDK; the
workers run in threads of their own (store.tests.concurrency_helpers.run_workers) and really race for the
row locks on MariaDB and PostgreSQL. Celery tasks run in-process (eager_tasks), so the payment-received
e-mail reaches the outbox when its on_commit callback runs.
"""
import json
import threading
import time
from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from rest_framework import status

from store import services
from store.models import Order, OrderItem, Payment, PaymentEvent, Product
from store.payments.providers import get_provider, to_minor_units
from store.payments.tasks import expire_unpaid_orders, reconcile_payments
from tests.servers import free_port

from .concurrency_helpers import SKIP_ON_SQLITE_REASON, THREAD_TIMEOUT, api_request, run_workers
from .factories import inventory, make_cart, make_product
from .orders_helpers import ORDERS_URL, order_url, place
from .payments_helpers import event_body, post_event, stripe_signature

WORKERS = 8
ROUNDS = 5
EXPIRY_ROUNDS = 12

CANCELLED = {'detail': 'This order is cancelled: it cannot be paid.'}
EXPIRED = {'detail': 'This order has expired: its stock is being returned. Place a new order.'}
RECEIVED = {'received': True}

pytestmark = [
    pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def stripe(stripe_settings, eager_tasks):
    """The Stripe provider, against localstripe; its SDK client plays the customer's and Stripe's parts."""
    return get_provider('stripe')


def payment_url(order_id):
    return f'{order_url(order_id)}payment/'


def confirm_at_stripe(stripe, intent_id, payment_method='pm_card_visa'):
    """The customer confirms the intent with a card (what Stripe.js does in the SPA)."""
    stripe.client.v1.payment_intents.update(intent_id, params={'payment_method': payment_method})
    stripe.client.v1.payment_intents.confirm(intent_id)


def succeeded_event(stripe, intent_id):
    """The signed-to-be body of the payment_intent.succeeded event Stripe sends for a confirmed intent,
    carrying the intent as localstripe now holds it (localstripe cannot post to the test client)."""
    intent = stripe.client.v1.payment_intents.retrieve(intent_id).to_dict(for_json=True)
    return event_body(f'evt_{uuid4().hex}', 'payment_intent.succeeded', intent)


def webhook(body):
    """A worker delivering one webhook body (Stripe needs no login); it returns (status code, JSON or content)."""
    def worker():
        response = post_event(Client(raise_request_exception=False), body)
        if response.status_code >= 500:
            return response.status_code, response.content[:200]
        return response.status_code, response.json()
    return worker


def stripe_status(stripe, intent_id):
    return stripe.client.v1.payment_intents.retrieve(intent_id).status


def refunds_at_stripe(stripe, intent_id):
    return [(refund.amount, refund.status)
            for refund in stripe.client.v1.refunds.list(params={'payment_intent': intent_id}).data]


def receipts(mailoutbox, order):
    """The payment-received e-mails sent for `order`."""
    return [message.to for message in mailoutbox
            if message.subject.startswith('Payment received') and message.subject.endswith(f' order #{order.pk}')]


def make_old(*orders):
    """Backdate the orders past PAYMENT_TIMEOUT (from the stripe_settings fixture: 30 minutes)."""
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(
        placed_at=F('placed_at') - timedelta(minutes=31))


# How many other connections to this test database are running a statement that locks an order, each engine's
# way (the last statement counts). PostgreSQL shows its activity view as of the transaction's first look at
# it, so the look is renewed first.
OTHER_CONNECTIONS_LOCKING_AN_ORDER = {
    'mysql': ["SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
              "AND ID <> CONNECTION_ID() AND INFO LIKE '%%store_order%%FOR UPDATE%%'"],
    'postgresql': ['SELECT pg_stat_clear_snapshot()',
                   "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%%store_order%%FOR UPDATE%%'"],
}


def wait_for_another_order_lock():
    """Wait until another connection to this test database waits for (or holds) an order's row lock."""
    deadline = time.monotonic() + THREAD_TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            for statement in OTHER_CONNECTIONS_LOCKING_AN_ORDER[connection.vendor]:
                cursor.execute(statement)
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise TimeoutError('no other connection asked for an order lock')


def assert_no_server_errors(outcomes):
    assert [outcome for outcome in outcomes if outcome[0] >= 500] == []


class TestDuplicateWebhooks:
    def test_concurrently_delivered_duplicates_apply_once(self, stripe, make_customer, mailoutbox):
        product = make_product(inventory=10 * ROUNDS)
        for _ in range(ROUNDS):
            customer = make_customer()
            order = place(customer, (product, 2))
            payment, intent = services.start_payment(order=order)
            confirm_at_stripe(stripe, intent.id)
            body = succeeded_event(stripe, intent.id)

            outcomes = run_workers([webhook(body) for _ in range(WORKERS)])

            assert outcomes == [(status.HTTP_200_OK, RECEIVED)] * WORKERS
            assert PaymentEvent.objects.filter(event_id=json.loads(body)['id']).count() == 1
            order.refresh_from_db()
            payment.refresh_from_db()
            assert (order.payment_status, order.cancelled_at) == (Order.PAYMENT_STATUS_COMPLETE, None)
            assert (payment.status, payment.refund_id) == (Payment.STATUS_SUCCEEDED, '')
            assert receipts(mailoutbox, order) == [[customer.user.email]]
            assert refunds_at_stripe(stripe, intent.id) == []
        assert PaymentEvent.objects.count() == Payment.objects.count() == ROUNDS
        assert inventory(product) == 8 * ROUNDS

    def test_concurrent_duplicates_of_a_success_after_expiry_refund_once(self, stripe, make_customer, mailoutbox):
        # localstripe ignores idempotency keys: a second application would show as a second refund there.
        product = make_product(inventory=10)
        for _ in range(3):
            customer = make_customer()
            order = place(customer, (product, 1))
            payment, intent = services.start_payment(order=order)
            confirm_at_stripe(stripe, intent.id)
            make_old(order)
            assert expire_unpaid_orders() == 1
            body = succeeded_event(stripe, intent.id)

            outcomes = run_workers([webhook(body) for _ in range(WORKERS)])

            assert outcomes == [(status.HTTP_200_OK, RECEIVED)] * WORKERS
            payment.refresh_from_db()
            assert payment.status == Payment.STATUS_REFUNDED
            assert refunds_at_stripe(stripe, intent.id) == [(payment.amount, 'succeeded')]
            assert receipts(mailoutbox, order) == []
        assert inventory(product) == 10

    def test_reconciliation_racing_the_webhook_pays_the_order_once(self, stripe, make_customer, mailoutbox):
        product = make_product(inventory=10 * ROUNDS)
        for _ in range(ROUNDS):
            customer = make_customer()
            order = place(customer, (product, 1))
            payment, intent = services.start_payment(order=order)
            confirm_at_stripe(stripe, intent.id)
            # The webhook is late enough that the reconciliation task looks the intent up meanwhile.
            Payment.objects.filter(pk=payment.pk).update(created_at=F('created_at') - timedelta(minutes=11))

            reconciled, delivered = run_workers([reconcile_payments, webhook(succeeded_event(stripe, intent.id))])

            assert delivered == (status.HTTP_200_OK, RECEIVED)
            assert reconciled in ({}, {Payment.STATUS_SUCCEEDED: 1})
            order.refresh_from_db()
            payment.refresh_from_db()
            assert (order.payment_status, order.cancelled_at) == (Order.PAYMENT_STATUS_COMPLETE, None)
            assert payment.status == Payment.STATUS_SUCCEEDED
            assert receipts(mailoutbox, order) == [[customer.user.email]]
            assert refunds_at_stripe(stripe, intent.id) == []

    def test_concurrent_duplicates_whose_refund_fails_are_all_502_and_the_next_delivery_applies(
            self, stripe, stripe_settings, localstripe, make_customer):
        product = make_product(inventory=10)
        order = place(make_customer(), (product, 1))
        payment, intent = services.start_payment(order=order)
        confirm_at_stripe(stripe, intent.id)
        make_old(order)
        assert expire_unpaid_orders() == 1
        body = succeeded_event(stripe, intent.id)
        # Stripe's API is down as the late success's webhooks arrive: the refund they call for fails, and
        # each delivery must be refused with a 502 (Stripe delivers it again), none recorded as applied.
        stripe_settings.STRIPE_API_BASE = f'http://127.0.0.1:{free_port()}'

        outcomes = run_workers([webhook(body) for _ in range(3)])

        assert [code for code, _ in outcomes] == [status.HTTP_502_BAD_GATEWAY] * 3
        assert all(json.loads(body) == {'detail': 'The payment provider refused the request or could not be reached.'}
                   for _, body in outcomes)
        assert not PaymentEvent.objects.exists()
        payment.refresh_from_db()
        assert payment.status == Payment.STATUS_PENDING
        # Stripe is back: its next delivery refunds the late success, once.
        stripe_settings.STRIPE_API_BASE = localstripe
        assert webhook(body)() == (status.HTTP_200_OK, RECEIVED)
        payment.refresh_from_db()
        assert payment.status == Payment.STATUS_REFUNDED
        assert refunds_at_stripe(stripe, intent.id) == [(payment.amount, 'succeeded')]


class TestRepeatedPaymentCalls:
    def test_concurrent_calls_for_one_order_open_one_intent(self, stripe, make_customer):
        product = make_product(inventory=10 * ROUNDS)
        for _ in range(ROUNDS):
            customer = make_customer()
            order = place(customer, (product, 3))

            outcomes = run_workers([api_request(customer.user, 'post', payment_url(order.pk)) for _ in range(WORKERS)])

            payment = Payment.objects.get(order=order)
            assert [code for code, _ in outcomes] == [status.HTTP_201_CREATED] * WORKERS
            secrets = {body['client_secret'] for _, body in outcomes}
            assert len(secrets) == 1 and secrets.pop().startswith(f'{payment.provider_id}_secret')
            assert {(body['provider'], body['status'], body['amount'], body['currency']) for _, body in outcomes} == {
                ('stripe', Payment.STATUS_PENDING, to_minor_units(order.total, 'USD'), 'USD')}
            assert (payment.provider, payment.status, payment.amount) == (
                'stripe', Payment.STATUS_PENDING, to_minor_units(order.total, 'USD'))
        assert Payment.objects.count() == ROUNDS

    def test_calls_racing_the_success_webhook_pay_the_order_once(self, stripe, make_customer, mailoutbox):
        # The SPA asks again right after Stripe.js confirmed the card, as the webhook arrives: the endpoint
        # looks the intent up, finds it succeeded and pays the order, or finds the order paid already.
        product = make_product(inventory=10 * ROUNDS)
        for _ in range(ROUNDS):
            customer = make_customer()
            order = place(customer, (product, 1))
            payment, intent = services.start_payment(order=order)
            confirm_at_stripe(stripe, intent.id)
            calls = [api_request(customer.user, 'post', payment_url(order.pk)) for _ in range(3)]

            delivered, *answers = run_workers([webhook(succeeded_event(stripe, intent.id))] + calls)

            assert delivered == (status.HTTP_200_OK, RECEIVED)
            paid_already = (status.HTTP_400_BAD_REQUEST, {'detail': 'This order is already paid.'})
            assert [answer for answer in answers if answer != paid_already and not (
                answer[0] == status.HTTP_201_CREATED and answer[1]['status'] == Payment.STATUS_SUCCEEDED)] == []
            order.refresh_from_db()
            assert (order.payment_status, order.cancelled_at) == (Order.PAYMENT_STATUS_COMPLETE, None)
            assert Payment.objects.get(order=order).status == Payment.STATUS_SUCCEEDED
            assert receipts(mailoutbox, order) == [[customer.user.email]]
            assert refunds_at_stripe(stripe, intent.id) == []


class TestLastUnitsSoldAndPaid:
    LAST_UNITS = 5

    def pay(self, stripe, user, order_id):
        """A worker: the winner pays as the SPA does (open the payment, confirm the card at Stripe), then
        Stripe reports the success to the webhook; it returns the two answers."""
        def worker():
            code, body = api_request(user, 'post', payment_url(order_id))()
            if code != status.HTTP_201_CREATED:
                return (code, body), None
            intent_id = Payment.objects.values_list('provider_id', flat=True).get(order_id=order_id)
            confirm_at_stripe(stripe, intent_id)
            return (code, body), webhook(succeeded_event(stripe, intent_id))()
        return worker

    def test_eight_buyers_race_for_five_units_then_pay_and_stock_orders_payments_agree(
            self, stripe, make_customer, tea, mailoutbox):
        last_units = make_product(title='Last Units', inventory=self.LAST_UNITS)
        # Each cart takes one of the last units, and some tea besides, so the orders' totals differ.
        buyers = [(make_customer(), make_cart((last_units, 1), *[(tea, buyer)] if buyer % 3 else []))
                  for buyer in range(WORKERS)]

        placed = run_workers([api_request(customer.user, 'post', ORDERS_URL, {'cart_id': str(cart.pk)})
                              for customer, cart in buyers])

        assert_no_server_errors(placed)
        assert sorted(code for code, _ in placed) == (
            [status.HTTP_201_CREATED] * self.LAST_UNITS + [status.HTTP_400_BAD_REQUEST] * (WORKERS - self.LAST_UNITS))
        assert [body for code, body in placed if code == status.HTTP_400_BAD_REQUEST] == (
            [{'cart_id': ['Only 0 units of "Last Units" are available.']}] * (WORKERS - self.LAST_UNITS))
        assert inventory(last_units) == 0
        winners = [(customer, body['id']) for (customer, _), (code, body) in zip(buyers, placed)
                   if code == status.HTTP_201_CREATED]
        assert Order.objects.count() == len(winners) == self.LAST_UNITS

        paid = run_workers([self.pay(stripe, customer.user, order_id) for customer, order_id in winners])

        assert [(opened[0], reported) for opened, reported in paid] == (
            [(status.HTTP_201_CREATED, (status.HTTP_200_OK, RECEIVED))] * self.LAST_UNITS)
        orders = Order.objects.in_bulk([order_id for _, order_id in winners])
        assert {(order.payment_status, order.cancelled_at) for order in orders.values()} == {
            (Order.PAYMENT_STATUS_COMPLETE, None)}
        payments = list(Payment.objects.all())
        assert sorted(payment.order_id for payment in payments) == sorted(orders)
        assert {payment.status for payment in payments} == {Payment.STATUS_SUCCEEDED}
        assert all((payment.amount, payment.currency) == (to_minor_units(orders[payment.order_id].total, 'USD'), 'USD')
                   for payment in payments)
        assert {(opened[1]['amount'], opened[1]['client_secret'].split('_secret')[0]) for opened, _ in paid} == {
            (payment.amount, payment.provider_id) for payment in payments}
        assert {stripe_status(stripe, payment.provider_id) for payment in payments} == {'succeeded'}
        assert PaymentEvent.objects.count() == self.LAST_UNITS
        assert {order_id: receipts(mailoutbox, orders[order_id]) for _, order_id in winners} == {
            order_id: [[customer.user.email]] for customer, order_id in winners}
        # The stock agrees with the orders: nothing oversold, nothing returned.
        assert inventory(last_units) == 0
        assert inventory(tea) == 20 - sum(OrderItem.objects.filter(product=tea).values_list('quantity', flat=True))
        assert not Product.objects.filter(inventory__lt=0).exists()


class TestExpiry:
    ORDERS = 4

    def test_expired_orders_return_their_stock_once_while_the_task_runs_twice_and_buyers_try_to_pay(
            self, stripe, make_customer):
        product = make_product(inventory=100)
        for _ in range(ROUNDS):
            customers = [make_customer() for _ in range(self.ORDERS)]
            orders = [place(customer, (product, quantity)) for quantity, customer in enumerate(customers, start=1)]
            # Half the buyers opened a payment before they gave up.
            intents = [services.start_payment(order=order)[0].provider_id for order in orders[::2]]
            make_old(*orders)
            assert inventory(product) == 100 - sum(range(1, self.ORDERS + 1))

            attempts = [api_request(customer.user, 'post', payment_url(order.pk))
                        for customer, order in zip(customers, orders)]

            outcomes = run_workers([expire_unpaid_orders] * 2 + attempts)

            # Each order expired once, by one of the two runs.
            assert sum(outcomes[:2]) == self.ORDERS
            # An attempt that came first found the order expired; one that came after, cancelled.
            refused = [(status.HTTP_400_BAD_REQUEST, EXPIRED), (status.HTTP_400_BAD_REQUEST, CANCELLED)]
            assert [outcome for outcome in outcomes[2:] if outcome not in refused] == []
            round_orders = Order.objects.filter(pk__in=[order.pk for order in orders])
            assert not round_orders.filter(cancelled_at__isnull=True).exists()
            assert set(round_orders.values_list('payment_status', flat=True)) == {Order.PAYMENT_STATUS_PENDING}
            # The stock came back once per order.
            assert inventory(product) == 100
            # No payment was opened for an expired order; the open ones were voided, here and at Stripe.
            assert sorted(Payment.objects.filter(order__in=orders).values_list('provider_id', 'status')) == sorted(
                (intent_id, Payment.STATUS_CANCELED) for intent_id in intents)
            assert {stripe_status(stripe, intent_id) for intent_id in intents} == {'canceled'}


class TestExpiryRacingPayment:
    def test_an_order_paid_as_it_expires_ends_paid_or_cancelled_and_refunded_never_both(
            self, stripe, make_customer, mailoutbox):
        product = make_product(inventory=100)
        for _ in range(EXPIRY_ROUNDS):
            customer = make_customer()
            order = place(customer, (product, 2))
            payment, intent = services.start_payment(order=order)
            # The customer pays just as the order's time runs out: Stripe took the money, and its webhook
            # arrives while the expiry task runs.
            confirm_at_stripe(stripe, intent.id)
            body = succeeded_event(stripe, intent.id)
            make_old(order)
            taken = inventory(product)

            expired, delivered = run_workers([expire_unpaid_orders, webhook(body)])

            assert delivered == (status.HTTP_200_OK, RECEIVED)
            assert PaymentEvent.objects.filter(event_id=json.loads(body)['id']).count() == 1
            order.refresh_from_db()
            payment.refresh_from_db()
            if expired == 0:
                # The webhook came first: the order is paid, keeps its stock, and the expiry let it be.
                assert (order.payment_status, order.cancelled_at) == (Order.PAYMENT_STATUS_COMPLETE, None)
                assert (payment.status, payment.refund_id) == (Payment.STATUS_SUCCEEDED, '')
                assert inventory(product) == taken
                assert refunds_at_stripe(stripe, intent.id) == []
                assert receipts(mailoutbox, order) == [[customer.user.email]]
            else:
                # The expiry came first (Stripe would not cancel the succeeded intent): the order is
                # cancelled, its stock returned once, and the late success refunded in full.
                assert expired == 1
                assert order.cancelled_at is not None
                assert order.payment_status == Order.PAYMENT_STATUS_REFUNDED
                assert payment.status == Payment.STATUS_REFUNDED and payment.refund_id.startswith('re_')
                assert inventory(product) == taken + 2
                assert refunds_at_stripe(stripe, intent.id) == [(payment.amount, 'succeeded')]
                assert receipts(mailoutbox, order) == []
        assert not Product.objects.filter(inventory__lt=0).exists()


class TestOwnerCancelRacingPayment:
    def test_an_owner_cancelling_as_the_payment_lands_never_refunds_the_paid_order(self, stripe, make_customer):
        product = make_product(inventory=10)
        customer = make_customer()
        order = place(customer, (product, 2))
        payment, intent = services.start_payment(order=order)
        confirm_at_stripe(stripe, intent.id)
        body = succeeded_event(stripe, intent.id)
        locked = threading.Event()

        def payment_lands():
            # The success webhook is applied while the owner's cancel, past its permission check on the
            # unpaid order, waits for the order's row (held here until it does, so the race is certain).
            with transaction.atomic():
                services.lock_order(order.pk)
                locked.set()
                wait_for_another_order_lock()
                return services.apply_payment_event(provider=stripe,
                                                    event=stripe.parse_event(body, stripe_signature(body)))

        def owner_cancels():
            locked.wait(THREAD_TIMEOUT)
            return api_request(customer.user, 'post', f'{order_url(order.pk)}cancel/')()

        applied, cancelled = run_workers([payment_lands, owner_cancels])

        assert applied is True
        # Owners cancel only unpaid orders: paid meanwhile, the cancel is refused and the order stays paid.
        assert cancelled[0] in (status.HTTP_400_BAD_REQUEST, status.HTTP_403_FORBIDDEN)
        order.refresh_from_db()
        assert (order.payment_status, order.cancelled_at) == (Order.PAYMENT_STATUS_COMPLETE, None)
        assert Payment.objects.get(pk=payment.pk).status == Payment.STATUS_SUCCEEDED
        assert refunds_at_stripe(stripe, intent.id) == []
        assert inventory(product) == 8
