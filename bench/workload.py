"""What the benchmark asks of the shop and of the floor, the same in a single run, a scale comparison and an A/B.

The endpoint rows (each read uncached, with a query parameter no request has used before, and from
a warm cache), the write flow with its floor reference (4 requests each), and the Stripe webhook's
signed events.
"""
import hashlib
import hmac
import json
import random
import secrets
import time

from bench import loadgen

CONCURRENCY = 8
WEBHOOK_PATH = '/store/payments/stripe/webhook/'
# bench/dataset.py's common title word; not imported from there, as dataset needs Django set up.
SEARCH_WORD = 'classic'
# In a row's path: each request searches the code word of another of the first CODED_PRODUCTS products.
CODE = '{code}'
CODED_PRODUCTS = 1000


def product_code(i):
    """Product i's code word in the data set's descriptions: six letters, different for every product,
    its trigrams spread evenly (a bijection of i modulo 26**6, written in base 26)."""
    x = i * 2654435761 % 26 ** 6
    return ''.join(chr(ord('a') + x // 26 ** k % 26) for k in range(6))


def unique_suffix():
    """Cache-busting query parameters unique across the whole run: '_=<token>-<n>'."""
    token = secrets.token_hex(3)
    counter = iter(range(10 ** 12))
    return lambda: f'_={token}-{next(counter)}'


def endpoint_rows(info):
    deep, detail, cart = info['deep_page'], info['detail_id'], info['cart_5_lines']
    cached = [
        ('product list page 1', '/store/products/'),
        ('deep page', f'/store/products/?page={deep}'),
        ('collection filter', '/store/products/?collection_id=3'),
        ('order by price', '/store/products/?ordering=unit_price'),
        ('search', f'/store/products/?search={SEARCH_WORD}'),
        ('product detail', f'/store/products/{detail}/'),
        ('collections', '/store/collections/'),
    ]
    rows = []
    for name, path in cached:
        rows.append((f'{name} (uncached)', path, True))
        rows.append((f'{name} (warm cache)', path, False))
    # One product's code: a search no request made before, so the listing's count is not cached either.
    rows.append(('never-seen search (uncached)', f'/store/products/?search={CODE}', True))
    rows.append(('cart with 5 lines', f'/store/carts/{cart}/', False))
    return rows


def busting(path, suffix):
    sep = '&' if '?' in path else '?'
    if CODE in path:
        # 7919 is prime to 1000: the first CODED_PRODUCTS requests all search different codes.
        return lambda n: f'{path.replace(CODE, product_code(n * 7919 % CODED_PRODUCTS + 1))}{sep}{suffix()}'
    return lambda n: f'{path}{sep}{suffix()}'


def write_flow(products):
    """Create a cart, add 3 distinct random products: True when all 4 requests succeed."""
    def operation(client, n):
        status, _, body = client.request('POST', '/store/carts/', b'{}')
        if status != 201:
            raise loadgen.HTTPError(f'POST /store/carts/ answered {status}: {body[:200]!r}')
        cart = json.loads(body)['id']
        for product_id in random.Random(n).sample(range(1, products + 1), 3):
            payload = json.dumps({'product_id': product_id, 'quantity': 1}).encode()
            status, _, body = client.request('POST', f'/store/carts/{cart}/items/', payload)
            if status != 201:
                raise loadgen.HTTPError(f'POST items answered {status}: {body[:200]!r}')
        return True
    return operation


def floor_flow(client, n):
    for _ in range(4):
        status, _, _ = client.request('POST', '/floor/', b'{}')
        if status != 200:
            raise loadgen.HTTPError(f'floor answered {status}')
    return True


def succeeded_event(intent_id, amount, secret):
    """A distinct payment_intent.succeeded event for `intent_id`, as Stripe signs it: (body, headers).

    Stripe-Signature is HMAC-SHA256 of "{t}.{body}" with the webhook secret, `t=<t>,v1=<hex>`.
    """
    event = {'id': f'evt_bench_{secrets.token_hex(8)}', 'object': 'event', 'type': 'payment_intent.succeeded',
             'api_version': '2024-06-20', 'created': int(time.time()), 'livemode': False,
             'data': {'object': {'id': intent_id, 'object': 'payment_intent', 'amount': amount,
                                 'amount_received': amount, 'currency': 'usd', 'status': 'succeeded'}}}
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f'{timestamp}.'.encode() + body, hashlib.sha256).hexdigest()
    return body, {'Stripe-Signature': f't={timestamp},v1={digest}'}
