"""Two web nodes of one shop, driven over real HTTP as a load balancer would spread a client's requests.

Usage: python .ci/two_nodes.py NODE_A NODE_B --staff USER:PASSWORD --stripe-api URL --stripe-key KEY
Both nodes run prod settings on the same database, Redis and S3 bucket; localstripe posts its webhooks to
node A. Checked, each step sending requests to both nodes:
- a price edited on A is served at once by B, whose cache held the product list and detail before;
- an image uploaded through A is in B's product detail, its bytes served by the object store;
- an Idempotency-Key order placed on A and replayed on B returns A's order, and no second one;
- a cart made on A is filled and ordered on B;
- an order paid through Stripe, whose webhook reaches A, shows paid on B;
- login throttling counts the attempts of one client address on both nodes together.
Every unexpected answer ends the run with exit code 1 (`FAIL …`).
"""
import argparse
import http.client
import io
import json
import random
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from PIL import Image

from http_flow import CENT, TAX_RATE, Client, check, fail, stripe_js, wait_until_serving
from media_flow import call, multipart

# A page no other CI flow changes prices on (http_flow's promotion is on the first page).
CATALOGUE_PAGE = '/store/products/?page=2'


def price_with_tax(price):
    return (price * (1 + TAX_RATE)).quantize(CENT, ROUND_HALF_UP)


def edited_price_is_never_stale(writer, reader, product_id, new_price, what):
    """Warm the reader's cached list page and detail, set the price through the writer, and require the
    reader's very next answers to show it (the cache is shared and keyed by the catalogue's version)."""
    detail = f'/store/products/{product_id}/'
    for _ in range(2):  # the second answers come from the cache
        reader.request('GET', CATALOGUE_PAGE)
        old_price = reader.request('GET', detail)['unit_price']
    edited = writer.request('PATCH', detail, {'unit_price': str(new_price)})
    check(Decimal(str(edited['unit_price'])) == new_price, f'the edit took: {edited}')
    shown = reader.request('GET', detail)
    listed = next((p for p in reader.request('GET', CATALOGUE_PAGE)['results'] if p['id'] == product_id), None)
    for where, seen in (('detail', shown), ('list', listed)):
        check(seen is not None and Decimal(str(seen['unit_price'])) == new_price
              and Decimal(str(seen['price_with_tax'])) == price_with_tax(new_price),
              f'{what}: the {where} still shows {seen and seen["unit_price"]} after the edit to {new_price}')
    print(f'ok  {what}: product {product_id} {old_price} -> {new_price}, the reader\'s next list and detail '
          'showed it')


def image_is_shared(staff_a, staff_b, product_id):
    """Upload through A; B's product detail names the object, which the store serves; delete through B."""
    buffer = io.BytesIO()
    Image.new('RGB', (16, 16), color=(200, 80, 20)).save(buffer, format='PNG')
    picture = buffer.getvalue()
    body, content_type = multipart('image', 'two-nodes.png', picture, 'image/png')
    images = f'{staff_a.base_url}/store/products/{product_id}/images/'
    image = json.loads(call('POST', images, body, {'Authorization': f'JWT {staff_a.token}',
                                                   'Content-Type': content_type}, expect=201))
    url = image['image']
    check(not url.startswith((staff_a.base_url, staff_b.base_url)), f'the image {url} is on a node, not the store')
    shown = staff_b.request('GET', f'/store/products/{product_id}/')
    check({'id': image['id'], 'image': url} in shown['images'], f'node B does not show image {url}: {shown["images"]}')
    check(call('GET', url) == picture, f'{url} does not serve the bytes uploaded through node A')
    print(f'ok  an image uploaded through node A is in node B\'s product detail, served by the store: {url}')
    staff_b.request('DELETE', f'/store/products/{product_id}/images/{image["id"]}/', expect=204)
    gone = staff_a.request('GET', f'/store/products/{product_id}/')
    check(all(i['id'] != image['id'] for i in gone['images']), f'node A still shows the deleted image: {gone}')
    print('ok  deleted through node B, node A no longer shows it')


def in_stock(client, count):
    products = [p for p in client.request('GET', '/store/products/?page=3')['results'] if p['inventory'] >= 5]
    check(len(products) >= count, f'{count} products in stock on page 3')
    return products[:count]


def idempotent_across_nodes(customer_a, customer_b):
    """An order placed on A with an Idempotency-Key, retried on B (the first answer was lost, say)."""
    product, = in_stock(customer_a, 1)
    cart = customer_a.request('POST', '/store/carts/', {}, expect=201)
    customer_a.request('POST', f'/store/carts/{cart["id"]}/items/', {'product_id': product['id'], 'quantity': 3},
                       expect=201)
    key = {'Idempotency-Key': uuid.uuid4().hex}
    order = customer_a.request('POST', '/store/orders/', {'cart_id': cart['id']}, headers=key, expect=201)
    replay = customer_b.request('POST', '/store/orders/', {'cart_id': cart['id']}, headers=key, expect=201)
    check(replay['id'] == order['id'] and replay['items'] == order['items'], f'B answered another order: {replay}')
    orders = [o['id'] for o in customer_b.request('GET', '/store/orders/')]
    check(orders == [order['id']], f'the customer has orders {orders}, expected only {order["id"]}')
    after = customer_b.request('GET', f'/store/products/{product["id"]}/')
    check(after['inventory'] == product['inventory'] - 3, f'stock taken once: {after["inventory"]}, '
          f'was {product["inventory"]}')
    print(f'ok  order {order["id"]} placed on node A, its Idempotency-Key replayed on node B: the same order, '
          'no second one, stock taken once')


def cart_moves_between_nodes(customer_a, customer_b):
    """A cart made on A, filled on B, read on A, ordered on B."""
    products = in_stock(customer_a, 2)
    cart = customer_a.request('POST', '/store/carts/', {}, expect=201)
    for product in products:
        customer_b.request('POST', f'/store/carts/{cart["id"]}/items/', {'product_id': product['id'], 'quantity': 1},
                           expect=201)
    seen = customer_a.request('GET', f'/store/carts/{cart["id"]}/')
    check(sorted(i['product']['id'] for i in seen['items']) == sorted(p['id'] for p in products),
          f'node A does not see the lines added on node B: {seen["items"]}')
    order = customer_b.request('POST', '/store/orders/', {'cart_id': cart['id']}, expect=201)
    check(sorted(i['product']['id'] for i in order['items']) == sorted(p['id'] for p in products),
          f'the order placed on node B does not hold the cart: {order["items"]}')
    customer_a.request('GET', f'/store/carts/{cart["id"]}/', expect=404)
    print(f'ok  cart {cart["id"]} made on node A, filled on node B, ordered on node B as order {order["id"]}')
    return order


def paid_by_webhook_on_a(customer_b, args, order):
    """Pay through Stripe (local) as Stripe.js would; its webhook reaches A; B must show the order paid."""
    payment = customer_b.request('POST', f'/store/orders/{order["id"]}/payment/', expect=201)
    check(payment['status'] == 'pending' and '_secret_' in (payment['client_secret'] or ''), f'an intent: {payment}')
    intent_id = payment['client_secret'].split('_secret_')[0]
    stripe_js(args.stripe_api, args.stripe_key, f'/v1/payment_intents/{intent_id}', {'payment_method': 'pm_card_visa'})
    intent = stripe_js(args.stripe_api, args.stripe_key, f'/v1/payment_intents/{intent_id}/confirm', {})
    check(intent['status'] == 'succeeded', f'the card was charged: {intent}')
    deadline = time.monotonic() + 30
    while (seen := customer_b.request('GET', f'/store/orders/{order["id"]}/'))['payment_status'] != 'C':
        if time.monotonic() > deadline:
            fail(f'node B shows order {order["id"]} as {seen["payment_status"]!r} 30 s after the charge')
        time.sleep(0.5)
    print(f'ok  order {order["id"]} paid through Stripe, the webhook posted to node A: node B shows it paid')


def bad_login(base_url, source):
    """A login with a made-up username from the client address `source` (any 127.x.y.z is this machine):
    the address's own count, untouched by the rest of this run, and no real account locked out."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    body = json.dumps({'username': f'nobody-{uuid.uuid4().hex[:12]}', 'password': 'wrong-password'})
    try:
        connection.request('POST', '/auth/jwt/create/', body, {'Content-Type': 'application/json',
                                                              'Accept': 'application/json'})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def logins_until_refused(nodes, source):
    """Bad logins from one address, taking the nodes in turn, until one answers 429: how many it allowed."""
    for attempt in range(1000):
        status = bad_login(nodes[attempt % len(nodes)], source)
        if status == 429:
            return attempt
        check(status == 401, f'bad login {attempt + 1} from {source}: expected 401, got {status}')
    fail(f'{source} was never throttled in 1000 bad logins')


def random_loopback():
    return f'127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}'


def login_throttle_is_shared(node_a, node_b):
    """One node alone allows N bad logins a minute from an address; A and B in turn allow the same N in
    all, not N each, and once it is spent both refuse."""
    alone = logins_until_refused([node_a], random_loopback())
    print(f'ok  node A alone allows {alone} bad logins from one address, then answers 429')
    source = random_loopback()
    both = logins_until_refused([node_a, node_b], source)
    check(both == alone, f'taking A and B in turn, {both} bad logins were allowed, one node allows {alone}')
    statuses = [bad_login(node, source) for node in (node_a, node_b)]
    check(statuses == [429, 429], f'after the limit, A and B answered {statuses}')
    print(f'ok  taking A and B in turn, {both} bad logins were allowed in all (not {2 * alone}), then both answer 429')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('node_a')
    parser.add_argument('node_b')
    parser.add_argument('--staff', required=True, help='USERNAME:PASSWORD of a staff user')
    parser.add_argument('--stripe-api', required=True,
                        help="the local Stripe-compatible server the shop's STRIPE_API_BASE names, posting to node A")
    parser.add_argument('--stripe-key', default='sk_test_ci', help="the shop's STRIPE_SECRET_KEY")
    args = parser.parse_args()
    for node in (args.node_a, args.node_b):
        wait_until_serving(node)

    # One login, on A; B takes A's token (one SECRET_KEY), so the staff account is logged in once.
    username, password = args.staff.split(':', 1)
    staff_a, staff_b = Client(args.node_a), Client(args.node_b)
    staff_a.token = staff_a.request('POST', '/auth/jwt/create/', {'username': username, 'password': password})['access']
    staff_b.token = staff_a.token
    check(staff_b.request('GET', '/auth/users/me/')['username'] == username, 'node B takes node A\'s token')
    print('ok  node B accepts the token node A issued')

    product = staff_b.request('GET', CATALOGUE_PAGE)['results'][0]
    price = Decimal(str(product['unit_price']))
    edited_price_is_never_stale(staff_a, Client(args.node_b), product['id'], price + Decimal('1.25'),
                                'edited on A, read on B')
    # Back the other way, which also leaves the catalogue as the later steps expect it.
    edited_price_is_never_stale(staff_b, Client(args.node_a), product['id'], price, 'edited on B, read on A')
    image_is_shared(staff_a, staff_b, product['id'])

    customer_a, customer_b = Client(args.node_a), Client(args.node_b)
    customer = f'nodes-{uuid.uuid4().hex[:10]}'
    customer_a.request('POST', '/auth/users/', {'username': customer, 'password': 'Correct-Horse-42',
                                                'email': f'{customer}@example.com'}, expect=201)
    customer_a.token = customer_b.token = customer_b.request(
        'POST', '/auth/jwt/create/', {'username': customer, 'password': 'Correct-Horse-42'})['access']
    idempotent_across_nodes(customer_a, customer_b)
    order = cart_moves_between_nodes(customer_a, customer_b)
    paid_by_webhook_on_a(customer_b, args, order)

    login_throttle_is_shared(args.node_a, args.node_b)
    print('The two-node flow passed.')


if __name__ == '__main__':
    main()
