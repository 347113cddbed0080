"""Drive a running Storefront over real HTTP: browse, cart, register, log in, order. Stdlib only.

Usage: python .ci/http_flow.py http://127.0.0.1:8800 [--smtp-log FILE] [--redis-down]
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
from urllib.request import Request, urlopen


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
    replay = client.request('POST', '/store/orders/', {'cart_id': cart['id']}, headers=key, expect=201)
    check(replay['id'] == order['id'], 'a retried POST returns the same order')
    orders = client.request('GET', '/store/orders/')
    check([o['id'] for o in orders] == [order['id']], 'the customer sees exactly their order')
    client.request('GET', f'/store/carts/{cart["id"]}/', expect=404)
    after = client.request('GET', f'/store/products/{first["id"]}/')
    check(after['inventory'] == first['inventory'] - 2, 'stock went down by the ordered quantity, at once')

    if args.smtp_log:
        subject = f'Your Storefront order #{order["id"]} is confirmed'
        for _ in range(60):
            with open(args.smtp_log, encoding='utf-8', errors='replace') as log:
                if subject in log.read():
                    print(f'ok  the worker e-mailed "{subject}"')
                    break
            time.sleep(0.5)
        else:
            fail(f'no confirmation e-mail "{subject}" reached the SMTP server')

    print('The HTTP flow passed.')


if __name__ == '__main__':
    main()
