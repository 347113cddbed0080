"""Drive a running Storefront over real HTTP: browse, cart, register, log in, order, pay. Stdlib only.

Usage: python .ci/http_flow.py http://127.0.0.1:8800 [--smtp-log FILE] [--redis-down]
                               [--stripe-api http://127.0.0.1:12111 --stripe-key sk_test_… --staff USER:PASSWORD]
With --stripe-api (a localstripe the shop's STRIPE_API_BASE points at, its webhook registered there),
the order is paid as Stripe.js would pay it, the signed webhook must mark it paid, and staff then
cancel it: refunded, stock back. A second order, with a shipping address, is paid and shipped by staff:
its events read placed, payment started, paid, shipped, and the "shipped" e-mail arrives.
Every response is checked; the first unexpected one ends the run with exit code 1.
"""
import argparse
import json
import re
import sys
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

CENT = Decimal('0.01')
TAX_RATE = Decimal('0.1')  # the shop's default TAX_RATE, which CI does not change


class Client:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip('/')
        self.token = None

    def request(self, method, path, body=None, headers=None, expect=200):
        data = json.dumps(body).encode() if body is not None else None
        request = Request(self.base_url + path, data=data, method=method, headers={
            'Accept': 'application/json',
            **({'Content-Type': 'application/json'} if data is not None else {}),
            **({'Authorization': f'JWT {self.token}'} if self.token else {}),
            **(headers or {}),
        })
        try:
            with urlopen(request, timeout=30) as response:
                status, raw, response_headers = response.status, response.read(), response.headers
        except HTTPError as error:
            status, raw, response_headers = error.code, error.read(), error.headers
        if status != expect:
            fail(f'{method} {path}: expected {expect}, got {status}: {raw[:500]!r}')
        print(f'ok  {status} {method} {path}')
        content_type = response_headers.get('Content-Type', '')
        return json.loads(raw) if content_type.startswith('application/json') and raw else raw


def fail(message):
    print(f'FAIL {message}', file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_for_mail(smtp_log, subject, what):
    for _ in range(60):
        with open(smtp_log, encoding='utf-8', errors='replace') as log:
            if subject in log.read():
                print(f'ok  the worker e-mailed "{subject}"')
                return
        time.sleep(0.5)
    fail(f'no {what} e-mail "{subject}" reached the SMTP server')


def stripe_js(api_base, secret_key, path, fields):
    """What Stripe.js does in the customer's browser, against the local Stripe-compatible server."""
    request = Request(api_base.rstrip('/') + path, data=urlencode(fields).encode(), method='POST', headers={
        'Authorization': f'Bearer {secret_key}', 'Content-Type': 'application/x-www-form-urlencoded'})
    try:
        with urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except HTTPError as error:
        status, raw = error.code, error.read()
    if status != 200:
        fail(f'Stripe POST {path}: expected 200, got {status}: {raw[:500]!r}')
    print(f'ok  {status} Stripe POST {path}')
    return json.loads(raw)


def wait_until_serving(base_url, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urlopen(f'{base_url.rstrip("/")}/healthz/', timeout=5):
                return
        except (OSError, HTTPError):
            if time.monotonic() > deadline:
                fail(f'{base_url} did not answer within {seconds} s')
            time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('base_url')
    parser.add_argument('--smtp-log', help='a file the test SMTP server writes received mail to')
    parser.add_argument('--redis-down', action='store_true',
                        help='Redis (cache and broker) is stopped: expect a degraded but fully working shop')
    parser.add_argument('--stripe-api', help="the local Stripe-compatible server the shop's STRIPE_API_BASE names")
    parser.add_argument('--stripe-key', default='sk_test_ci', help="the shop's STRIPE_SECRET_KEY")
    parser.add_argument('--staff', help='USERNAME:PASSWORD of a superuser, who cancels (refunds) the paid order')
    args = parser.parse_args()
    wait_until_serving(args.base_url)
    client = Client(args.base_url)

    home = client.request('GET', '/', headers={'Accept': 'text/html'})
    check(b'Storefront' in home, 'the home page names the shop')
    stylesheet = re.search(rb'href="(/static/core/styles\.[0-9a-f]{12}\.css)"', home)
    check(stylesheet is not None, 'the home page links its stylesheet under a hashed name')
    client.request('GET', stylesheet.group(1).decode(), headers={'Accept': 'text/css'})

    health = client.request('GET', '/healthz/')
    expected_health = ({'status': 'degraded', 'database': 'ok', 'cache': 'unavailable'} if args.redis_down
                       else {'status': 'ok', 'database': 'ok', 'cache': 'ok'})
    check(health == expected_health, f'health: {health}')

    products = client.request('GET', '/store/products/')
    check(products['count'] >= 1000 and len(products['results']) == 10, 'the seeded catalogue, 10 per page')
    collections = client.request('GET', '/store/collections/')
    check(len(collections) == 10 and all('products_count' in c for c in collections), 'ten collections')
    collection_id = collections[0]['id']
    in_collection = client.request('GET', f'/store/products/?collection_id={collection_id}&ordering=-unit_price')
    prices = [p['unit_price'] for p in in_collection['results']]
    check(prices == sorted(prices, reverse=True), 'ordered by price, descending')
    first, second = [p for p in products['results'] if p['inventory'] >= 2][:2]
    detail = client.request('GET', f'/store/products/{first["id"]}/')
    expected_price = (Decimal(str(detail['unit_price'])) * Decimal('1.1')).quantize(Decimal('0.01'), ROUND_HALF_UP)
    check(Decimal(str(detail['price_with_tax'])) == expected_price, 'price_with_tax rounded to cents')

    cart = client.request('POST', '/store/carts/', {}, expect=201)
    check(cart['items'] == [] and cart['total_price'] == 0, 'a new cart is empty')
    for product in (first, second):
        client.request('POST', f'/store/carts/{cart["id"]}/items/', {'product_id': product['id'], 'quantity': 2},
                       expect=201)
    cart = client.request('GET', f'/store/carts/{cart["id"]}/')
    check(len(cart['items']) == 2, 'two lines in the cart')

    username = f'ci-{uuid.uuid4().hex[:10]}'
    password = 'Correct-Horse-42'
    user = client.request('POST', '/auth/users/', {
        'username': username, 'password': password, 'email': f'{username}@example.com',
        'first_name': 'Casey', 'last_name': 'Integration'}, expect=201)
    check(user['username'] == username and 'password' not in user, 'registered')
    tokens = client.request('POST', '/auth/jwt/create/', {'username': username, 'password': password})
    client.token = tokens['access']
    me = client.request('GET', '/auth/users/me/')
    check(me['id'] == user['id'], 'logged in as the new user')

    key = {'Idempotency-Key': uuid.uuid4().hex}
    order = client.request('POST', '/store/orders/', {'cart_id': cart['id']}, headers=key, expect=201)
    check(len(order['items']) == 2 and order['payment_status'] == 'P', f'the order holds the cart: {order}')
    subtotal = sum(charged_price(p) * 2 for p in (first, second))
    tax = (subtotal * TAX_RATE).quantize(CENT, ROUND_HALF_UP)
    money = {k: Decimal(str(order[k])) for k in ('subtotal', 'tax', 'total')}
    check(money == {'subtotal': subtotal, 'tax': tax, 'total': subtotal + tax} and order['currency'] == 'USD',
          f'the order fixed its money at placement: {money}, {order["currency"]}; expected {subtotal} + {tax} USD')
    replay = client.request('POST', '/store/orders/', {'cart_id': cart['id']}, headers=key, expect=201)
    check(replay['id'] == order['id'], 'a retried POST returns the same order')
    orders = client.request('GET', '/store/orders/')
    check([o['id'] for o in orders] == [order['id']], 'the customer sees exactly their order')
    client.request('GET', f'/store/carts/{cart["id"]}/', expect=404)
    after = client.request('GET', f'/store/products/{first["id"]}/')
    check(after['inventory'] == first['inventory'] - 2, 'stock went down by the ordered quantity, at once')

    if args.smtp_log:
        wait_for_mail(args.smtp_log, f'Your Storefront order #{order["id"]} is confirmed', 'confirmation')
    if args.stripe_api:
        pay_and_refund(client, args, order, first)
        ship(client, args, first)
    print('The HTTP flow passed.')


def charged_price(product):
    """What a unit of the product costs now (its JSON as the catalogue shows it): the sale price if any."""
    return Decimal(str(product['unit_price'] if product['sale_price'] is None else product['sale_price']))


def staff_client(args):
    username, password = args.staff.split(':', 1)
    staff = Client(args.base_url)
    staff.token = staff.request('POST', '/auth/jwt/create/', {'username': username, 'password': password})['access']
    return staff


def pay(client, args, order):
    """Pay the order through Stripe (local) as Stripe.js would, and wait for the signed webhook to mark it paid."""
    total_cents = int(Decimal(str(order['total'])) * 100)
    payment = client.request('POST', f'/store/orders/{order["id"]}/payment/', expect=201)
    check(payment['provider'] == 'stripe' and payment['amount'] == total_cents and payment['currency'] == 'USD'
          and payment['status'] == 'pending' and '_secret_' in (payment['client_secret'] or ''),
          f'a Stripe PaymentIntent for the total, in cents: {payment}')
    again = client.request('POST', f'/store/orders/{order["id"]}/payment/', expect=201)
    check(again['client_secret'] == payment['client_secret'], 'asking again returns the same intent')
    intent_id = payment['client_secret'].split('_secret_')[0]
    stripe_js(args.stripe_api, args.stripe_key, f'/v1/payment_intents/{intent_id}', {'payment_method': 'pm_card_visa'})
    intent = stripe_js(args.stripe_api, args.stripe_key, f'/v1/payment_intents/{intent_id}/confirm', {})
    check(intent['status'] == 'succeeded' and intent['amount'] == total_cents, f'the card was charged: {intent}')
    deadline = time.monotonic() + 30
    while True:
        paid = client.request('GET', f'/store/orders/{order["id"]}/')
        if paid['payment_status'] == 'C':
            print('ok  the signed payment_intent.succeeded webhook marked the order paid')
            break
        if time.monotonic() > deadline:
            fail(f'the order is still {paid["payment_status"]!r} 30 s after the charge: no webhook applied')
        time.sleep(0.5)
    if args.smtp_log:
        wait_for_mail(args.smtp_log, f'Payment received for your Storefront order #{order["id"]}', 'payment received')


def pay_and_refund(client, args, order, product):
    """Pay the order, then refund it by cancelling it as staff."""
    pay(client, args, order)
    client.request('POST', f'/store/orders/{order["id"]}/payment/', expect=400)  # paid: nothing more to pay
    client.request('POST', f'/store/orders/{order["id"]}/cancel/', expect=403)  # owners cancel unpaid orders only

    staff = staff_client(args)
    cancelled = staff.request('POST', f'/store/orders/{order["id"]}/cancel/')
    check(cancelled['payment_status'] == 'R' and cancelled['cancelled_at'], f'refunded and cancelled: {cancelled}')
    refunded = client.request('GET', f'/store/orders/{order["id"]}/')
    check(refunded['payment_status'] == 'R', f'the customer sees the refund: {refunded["payment_status"]}')
    restocked = client.request('GET', f'/store/products/{product["id"]}/')
    check(restocked['inventory'] == product['inventory'],
          f'the stock came back: {restocked["inventory"]}, was {product["inventory"]} before the order')



def ship(client, args, product):
    """A second order, at the sale price of a promotion staff start, with a shipping address given inline,
    paid and then shipped by staff: its history reads placed, payment started, paid, shipped, and the
    customer is e-mailed the tracking number."""
    staff = staff_client(args)
    starts_at = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 60))
    promotion = staff.request('POST', '/store/promotions/', {
        'description': 'CI flash sale', 'discount': 40, 'starts_at': starts_at, 'products': [product['id']]},
        expect=201)
    on_sale = client.request('GET', f'/store/products/{product["id"]}/')
    sale_price = (Decimal(str(on_sale['unit_price'])) * Decimal('0.6')).quantize(CENT, ROUND_HALF_UP)
    check(Decimal(str(on_sale['sale_price'])) == sale_price, f'the cached catalogue shows the sale at once: {on_sale}')
    active = [p['id'] for p in client.request('GET', '/store/promotions/')]
    check(promotion['id'] in active, f'anyone lists the running promotion: {active}')
    cart = client.request('POST', '/store/carts/', {}, expect=201)
    client.request('POST', f'/store/carts/{cart["id"]}/items/', {'product_id': product['id'], 'quantity': 1},
                   expect=201)
    address = {'name': 'Casey Integration', 'street': '1 Test Street', 'city': 'Springfield', 'zip': '12345',
               'country': 'US', 'phone': ''}
    order = client.request('POST', '/store/orders/', {'cart_id': cart['id'], 'shipping_address': address}, expect=201)
    check(order['shipping_address'] == address and order['fulfilment_status'] == 'unfulfilled',
          f'the order keeps its shipping address: {order["shipping_address"]}')
    line = order['items'][0]
    check(Decimal(str(line['unit_price'])) == sale_price and line['promotion'] == promotion['id']
          and line['list_price'] == on_sale['unit_price'], f'charged the sale price, list price kept: {line}')
    pay(client, args, order)
    shipped = staff.request('POST', f'/store/orders/{order["id"]}/ship/',
                                         {'carrier': 'CI Post', 'tracking_number': 'CI123456789'})
    check(shipped['fulfilment_status'] == 'shipped' and shipped['tracking_number'] == 'CI123456789'
          and shipped['shipped_at'], f'shipped: {shipped["fulfilment_status"]}')
    events = [event['type'] for event in client.request('GET', f'/store/orders/{order["id"]}/events/')]
    check(events == ['placed', 'payment_started', 'paid', 'shipped'], f'the order history: {events}')
    if args.smtp_log:
        wait_for_mail(args.smtp_log, f'Your Storefront order #{order["id"]} has shipped', 'shipped')


if __name__ == '__main__':
    main()