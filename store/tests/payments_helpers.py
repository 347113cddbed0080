"""Payments under test: a real localstripe server (a stateful Stripe-compatible server, a dev dependency)
driven through the official SDK, and webhook bodies signed as Stripe signs them (HMAC-SHA256 over
"{timestamp}.{body}" with the endpoint's secret, in a `Stripe-Signature: t=…,v1=…` header)."""
import hashlib
import hmac
import json
import shutil
import sys
import time
from pathlib import Path

from tests.servers import free_port, running

WEBHOOK_URL = '/store/payments/stripe/webhook/'
STRIPE_SECRET_KEY = 'sk_test_storefront'
STRIPE_WEBHOOK_SECRET = 'whsec_storefront_test'
LOCALSTRIPE = shutil.which('localstripe', path=str(Path(sys.executable).parent))


def start_localstripe(log_dir):
    """A context manager: a localstripe on a free port, from scratch; yields its base URL."""
    url = f'http://127.0.0.1:{free_port()}'
    port = url.rsplit(':', 1)[1]
    return url, running([LOCALSTRIPE, '--port', port, '--from-scratch'], env={'PATH': '/usr/bin:/bin'}, url=url,
                        log_path=Path(log_dir) / f'localstripe-{port}.log', name='localstripe', ready_path='/v1/')


def stripe_signature(body, secret=STRIPE_WEBHOOK_SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f'{timestamp}.'.encode() + body, hashlib.sha256).hexdigest()
    return f't={timestamp},v1={signed}'


def event_body(event_id, event_type, data_object):
    """A Stripe event as its webhook sends it."""
    return json.dumps({'id': event_id, 'object': 'event', 'type': event_type, 'api_version': '2024-06-20',
                       'created': int(time.time()), 'livemode': False, 'data': {'object': data_object}}).encode()


def intent_object(intent_id, *, amount, currency='usd', status='succeeded', **fields):
    return {'id': intent_id, 'object': 'payment_intent', 'amount': amount, 'amount_received': amount if status == 'succeeded' else 0,
            'currency': currency, 'status': status, **fields}


def charge_object(intent_id, *, amount, amount_refunded=None, currency='usd'):
    amount_refunded = amount if amount_refunded is None else amount_refunded
    return {'id': f'ch_{intent_id}', 'object': 'charge', 'payment_intent': intent_id, 'amount': amount,
            'amount_refunded': amount_refunded, 'refunded': amount_refunded == amount, 'currency': currency}


def post_event(client, body, signature=None):
    """POST a webhook body, signed (unless `signature` is given) with the test secret."""
    return client.post(WEBHOOK_URL, data=body, content_type='application/json',
                       HTTP_STRIPE_SIGNATURE=stripe_signature(body) if signature is None else signature)
