"""The attacks a schema fuzzer does not generate, against a running Storefront: none may get a 5xx.

- every write operation with JSON nested 2,000 deep, and with a body over the size limit;
- HEAD on every readable route, anonymous and with a token;
- numbers too big for any column or float (1e400, 10**400, -1e400) in every numeric body field;
- the Stripe webhook: garbage, oversize and deeply nested bodies, and bad Stripe-Signature headers
  (missing, malformed, stale, wrong secret), each of which must be a 400 (413 when too big); with the
  shop's STRIPE_WEBHOOK_SECRET in the environment, also correctly signed bodies that are no event;
- GET and HEAD on the payment routes, which take only POST: a 405 in JSON (401 before it for anonymous
  callers of the order's payment).

Usage: python3 .ci/attacks.py BASE_URL ACCESS_TOKEN. Prints one line; exits 1 and lists the 5xx (and the
answers other than the expected ones) if any. Standard library only: it runs with the machine's python3.
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

HUGE_NUMBERS = ['1e400', '-1e400', '1' + '0' * 400]
DEEP_JSON = b'[' * 2000 + b']' * 2000
OVERSIZE_BYTES = 64 * 1024 * 1024  # announced only: the server must refuse it before reading
WEBHOOK = '/store/payments/stripe/webhook/'
GARBAGE_BODIES = {
    'empty body': b'',
    'not JSON': b'this is not json',
    'binary': bytes(range(256)) * 4,
    'invalid UTF-8': b'{"id": "\xff\xfe"}',
    'deep JSON': DEEP_JSON,
    'a JSON array': b'[]',
    'a JSON string': b'"payment_intent.succeeded"',
    'an empty object': b'{}',
    'no data': b'{"id": "evt_attack", "object": "event", "type": "payment_intent.succeeded"}',
    'data not an object': b'{"id": "evt_attack", "object": "event", "type": "payment_intent.succeeded", "data": 7}',
    'object not an object': b'{"id": "evt_attack", "object": "event", "type": "payment_intent.succeeded", '
                            b'"data": {"object": [1, 2]}}',
    'huge amount': b'{"id": "evt_attack", "object": "event", "type": "payment_intent.succeeded", "data": '
                   b'{"object": {"id": "pi_attack", "object": "payment_intent", "amount": 1e400, "currency": "usd"}}}',
    'id not a string': b'{"id": 12, "object": "event", "type": "charge.refunded", "data": {"object": {"id": null}}}',
    'long event id': b'{"id": "evt_' + b'x' * 5000 + b'", "object": "event", "type": "customer.created", '
                     b'"data": {"object": {}}}',
    'long type': b'{"id": "evt_attack_type", "object": "event", "type": "' + b'x' * 5000 + b'", '
                 b'"data": {"object": {}}}',
}
IGNORED_TYPES = {'long type'}  # well-formed events of a type the shop does not act on


def main(base_url, token):
    base = urllib.parse.urlsplit(base_url)
    schema = json.loads(request(base, 'GET', '/api/schema/?format=json')[1])
    cart_id = json.loads(request(base, 'POST', '/store/carts/', b'{}', json_body=True)[1])['id']
    ids = {'cart_pk': cart_id, 'pk': '1', 'product_pk': '1', 'id': '1'}
    server_errors, sent = [], 0

    unexpected = []

    def attack(method, path, body=b'', headers=None, json_body=False, label='', expect=None):
        nonlocal sent
        sent += 1
        status, answer = request(base, method, path, body, headers=headers, json_body=json_body)
        if status >= 500:
            server_errors.append(f'{status} {method} {path} {label}')
        elif expect and status not in expect:
            unexpected.append(f'{status} (expected {"/".join(map(str, sorted(expect)))}) {method} {path} {label}: '
                              f'{answer[:200]!r}')

    for template, operations in schema['paths'].items():
        path = re.sub(r'\{(\w+)\}', lambda match: ids.get(match.group(1), '1'), template)
        if path.startswith('/store/carts/1'):
            path = path.replace('/store/carts/1', f'/store/carts/{cart_id}', 1)
        for method, operation in operations.items():
            method = method.upper()
            for auth in ({}, {'Authorization': f'JWT {token}'}):
                if method == 'GET':
                    attack('HEAD', path, headers=auth, label='HEAD')
                if method not in ('POST', 'PUT', 'PATCH'):
                    continue
                attack(method, path, DEEP_JSON, headers=auth, json_body=True, label='deep JSON')
                attack(method, path, headers={**auth, 'Content-Length': str(OVERSIZE_BYTES)}, json_body=True,
                       label='oversize body')
                for field in numeric_fields(schema, operation):
                    for number in HUGE_NUMBERS:
                        attack(method, path, f'{{"{field}": {number}}}'.encode(), headers=auth, json_body=True,
                               label=f'{field}={number[:8]}')
    webhook_attacks(attack, os.environ.get('STRIPE_WEBHOOK_SECRET', ''))
    order_id = json.loads(request(base, 'GET', '/store/orders/', headers={'Authorization': f'JWT {token}'})[1] or b'[]')
    payment_route = f'/store/orders/{order_id[0]["id"] if order_id else 1}/payment/'
    for path in (payment_route, WEBHOOK):
        for auth in ({}, {'Authorization': f'JWT {token}'}):
            expect = {401} if path == payment_route and not auth else {405}
            for method in ('GET', 'HEAD'):
                attack(method, path, headers={**auth, 'Accept': 'application/json'}, label='POST-only route',
                       expect=expect)
    if server_errors or unexpected:
        print(f'FAIL attacks: {sent} requests, {len(server_errors)} server errors, {len(unexpected)} unexpected answers:')
        print('\n'.join(f'  {line}' for line in server_errors + unexpected))
        return 1
    print(f'attacks: {sent} requests (deep JSON, oversize bodies, HEAD, huge numbers, forged and garbage webhooks, '
          f'GET/HEAD on POST-only routes), 0 server errors, 0 unexpected answers')
    return 0


def webhook_attacks(attack, secret):
    """What reaches the Stripe webhook from anyone on the internet: only a 400 (413 if too big) may come back."""
    now = int(time.time())
    forged = {
        'no signature': None,
        'empty signature': '',
        'signature garbage': 'garbage',
        'not hex': f't={now},v1=zz',
        'no timestamp': 'v1=' + '0' * 64,
        'timestamp not a number': 't=abc,v1=' + '0' * 64,
        'timestamp 10**400': 't=1' + '0' * 400 + ',v1=' + '0' * 64,
        'wrong secret': None,  # filled in per body below
        'many schemes': ','.join([f't={now}'] + ['v1=' + '0' * 64] * 60),  # within gunicorn's 8 KiB per header
        'long header': f't={now},v1=' + 'a' * 6000,
        'latin-1 header': f't={now},v1=\xe9\xe9',
    }
    for body_name, body in GARBAGE_BODIES.items():
        for header_name, header in forged.items():
            if header_name == 'wrong secret':
                header = signature(body, 'whsec_not_the_shops', now)
            headers = {} if header is None else {'Stripe-Signature': header}
            attack('POST', WEBHOOK, body, headers=headers, json_body=True, expect={400},
                   label=f'{body_name}, {header_name}')
        if secret:
            attack('POST', WEBHOOK, body, headers={'Stripe-Signature': signature(body, secret, now - 3600)},
                   json_body=True, expect={400}, label=f'{body_name}, stale signature')
            # Signed with the shop's own secret: the body itself must be refused, never crash the handler;
            # an event of a type the shop ignores is acknowledged, as Stripe expects, whatever its type says.
            attack('POST', WEBHOOK, body, headers={'Stripe-Signature': signature(body, secret, now)},
                   json_body=True, expect={200} if body_name in IGNORED_TYPES else {400},
                   label=f'{body_name}, correctly signed')
    # Announced only, as above: a body sent in full would race the server's early 413 and reset.
    for header_name, header in [('no signature', None), ('forged', f't={now},v1=' + '0' * 64),
                                ('signed', secret and signature(b'', secret, now))]:
        if header is not None or header_name == 'no signature':
            attack('POST', WEBHOOK, headers={'Content-Length': str(OVERSIZE_BYTES),
                                             **({'Stripe-Signature': header} if header else {})},
                   json_body=True, expect={413}, label=f'oversize body, {header_name}')


def signature(body, secret, timestamp):
    """Stripe-Signature as Stripe writes it: HMAC-SHA256 of "{t}.{body}" with the webhook secret."""
    digest = hmac.new(secret.encode(), f'{timestamp}.'.encode() + body, hashlib.sha256).hexdigest()
    return f't={timestamp},v1={digest}'


def numeric_fields(schema, operation):
    """The integer and number properties of the operation's JSON request body."""
    content = operation.get('requestBody', {}).get('content', {}).get('application/json', {})
    body = resolve(schema, content.get('schema', {}))
    return sorted(name for name, prop in body.get('properties', {}).items()
                  if resolve(schema, prop).get('type') in ('integer', 'number'))


def resolve(schema, node):
    """The node a `$ref` (or a one-item `allOf`, as drf-spectacular writes some) points at."""
    while True:
        if '$ref' in node:
            target = schema
            for part in node['$ref'].removeprefix('#/').split('/'):
                target = target[part]
            node = target
        elif len(node.get('allOf', [])) == 1:
            node = node['allOf'][0]
        else:
            return node


def request(base, method, path, body=b'', headers=None, json_body=False):
    headers = dict(headers or {})
    announced_only = 'Content-Length' in headers and not body
    # A server that waits for an announced body never sent would time out: that counts as a failure.
    connection = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=10 if announced_only else 60)
    if json_body:
        headers.setdefault('Content-Type', 'application/json')
    try:
        if announced_only:
            connection.putrequest(method, path)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (TimeoutError, http.client.HTTPException, ConnectionError) as error:
        return 599, str(error).encode()
    finally:
        connection.close()


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
