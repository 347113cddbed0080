"""The payment providers, each behind the same small interface: create, look up and cancel an intent to
collect an amount, refund it, and read the provider's webhook events.

- `manual`: bank transfer or cash on delivery. Staff mark the order paid; a refund is made by hand.
- `stripe`: PaymentIntents through the official SDK; on when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET
  are set (STRIPE_API_BASE may point it at a local Stripe-compatible server).
"""
import functools
import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings

from ..exceptions import InvalidWebhook, PaymentProviderError
from ..models import Payment

logger = logging.getLogger(__name__)

# ISO 4217 currencies without a minor unit, which Stripe counts in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset({'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX',
                                     'VND', 'VUV', 'XAF', 'XOF', 'XPF'})


def to_minor_units(amount, currency):
    """An amount (Decimal, in the currency's units) in minor units, as providers count: 12.34 USD is 1234."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return int((Decimal(amount) * 10 ** exponent).to_integral_value())


@dataclass(frozen=True)
class Intent:
    """An intent to collect `amount` (minor units) as the provider sees it; `status` is a Payment status."""
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None = None


@dataclass(frozen=True)
class Event:
    """A provider's webhook event, reduced to what the services apply. `amount` is what was received (or
    refunded, for a refund); `fully_refunded` only matters for refunds."""
    id: str
    type: str
    intent_id: str | None
    amount: int | None = None
    currency: str | None = None
    fully_refunded: bool = False


class ManualProvider:
    """Money collected outside the shop: nothing to call, and no webhooks."""
    name = 'manual'

    def create_intent(self, *, order, amount, currency, idempotency_key):
        return Intent(id=f'manual-order-{order.pk}', status=Payment.STATUS_PENDING, amount=amount, currency=currency)

    def retrieve_intent(self, intent_id):
        raise PaymentProviderError('Manual payments are confirmed by staff, not looked up.')

    def cancel_intent(self, intent_id):
        """Nothing was asked of anyone: nothing to void."""

    def refund(self, *, intent_id, amount, idempotency_key):
        """Staff return the money by hand (the admin shows the order refunded)."""
        return f'manual-refund-{intent_id}'


class StripeProvider:
    name = 'stripe'
    # A PaymentIntent's status as a Payment status; the others (requires_confirmation, requires_action,
    # processing, requires_capture) are still pending.
    STATUSES = {'succeeded': Payment.STATUS_SUCCEEDED, 'canceled': Payment.STATUS_CANCELED}
    EVENT_TYPES = frozenset({'payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled',
                             'charge.refunded'})

    def __init__(self, *, secret_key, webhook_secret, api_base=''):
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key, base_addresses={'api': api_base} if api_base else None,
            # The SDK retries connection errors and 409/429/5xx, with the same idempotency key.
            max_network_retries=2)

    def call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except stripe.CardError as error:  # its message is written for the customer
            raise PaymentProviderError(f'The payment provider refused the request: {error.user_message}') from error
        except stripe.StripeError as error:
            # The SDK's text may name hosts and internals: logged, not answered.
            logger.warning('Stripe call %s failed: %s', getattr(method, '__name__', method), error)
            raise PaymentProviderError('The payment provider refused the request or could not be reached.') from error

    def intent(self, stripe_intent):
        data = stripe_intent.to_dict(recursive=False)  # the SDK's objects are not dicts
        status = self.STATUSES.get(data['status'], Payment.STATUS_PENDING)
        if data['status'] == 'requires_payment_method' and data.get('last_payment_error'):
            status = Payment.STATUS_FAILED
        return Intent(id=data['id'], status=status, amount=data['amount'], currency=data['currency'].upper(),
                      client_secret=data.get('client_secret'))

    def create_intent(self, *, order, amount, currency, idempotency_key):
        return self.intent(self.call(
            self.client.v1.payment_intents.create,
            params={'amount': amount, 'currency': currency.lower(), 'metadata': {'order_id': str(order.pk)}},
            options={'idempotency_key': idempotency_key}))

    def retrieve_intent(self, intent_id):
        return self.intent(self.call(self.client.v1.payment_intents.retrieve, intent_id))

    def cancel_intent(self, intent_id):
        self.call(self.client.v1.payment_intents.cancel, intent_id)

    def refund(self, *, intent_id, amount, idempotency_key):
        refund = self.call(self.client.v1.refunds.create, params={'payment_intent': intent_id, 'amount': amount},
                           options={'idempotency_key': idempotency_key})
        return refund.id

    def parse_event(self, payload, signature):
        """The event in a webhook's body, once its Stripe-Signature verifies (InvalidWebhook if not)."""
        try:
            event = self.client.construct_event(payload, signature, self.webhook_secret).to_dict()
        except stripe.SignatureVerificationError:
            raise InvalidWebhook('The webhook signature does not verify.') from None
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            # A correctly signed body that is not a JSON event object.
            raise InvalidWebhook('The webhook body is not an event.') from None
        try:
            return self.event(event)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
            raise InvalidWebhook('The webhook body is not an event.') from None

    def event(self, event):
        event_id, event_type = identifier(event['id']), event['type']
        if event_type not in self.EVENT_TYPES:
            return Event(id=event_id, type=str(event_type)[:100], intent_id=None)
        data = event['data']['object']
        if event_type == 'charge.refunded':
            return Event(id=event_id, type=event_type, intent_id=identifier(data['payment_intent']),
                         amount=int(data['amount_refunded']), currency=currency_code(data['currency']),
                         fully_refunded=data['refunded'] is True)
        return Event(id=event_id, type=event_type, intent_id=identifier(data['id']),
                     amount=int(data.get('amount_received') or data['amount']), currency=currency_code(data['currency']))


def identifier(value):
    """A provider's id as this shop stores it (at most 255 characters); ValueError for anything else."""
    if not isinstance(value, str) or not 0 < len(value) <= 255:
        raise ValueError(value)
    return value


def currency_code(value):
    if not isinstance(value, str) or len(value) != 3:
        raise ValueError(value)
    return value.upper()


@functools.cache
def stripe_provider(secret_key, webhook_secret, api_base):
    return StripeProvider(secret_key=secret_key, webhook_secret=webhook_secret, api_base=api_base)


def get_provider(name=None):
    """The provider called `name` (PAYMENT_PROVIDER by default); PaymentProviderError if it is not set up."""
    name = name or settings.PAYMENT_PROVIDER
    if name == ManualProvider.name:
        return ManualProvider()
    if name == StripeProvider.name and settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET:
        return stripe_provider(settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_API_BASE)
    raise PaymentProviderError(f'The payment provider "{name}" is not configured here.')
