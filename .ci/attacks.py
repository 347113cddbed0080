"""The attacks a schema fuzzer does not generate, against a running Storefront: none may get a 5xx.

- every write operation with JSON nested 2,000 deep, and with a body over the size limit;
- HEAD on every readable route, anonymous and with a token;
- numbers too big for any column or float (1e400, 10**400, -1e400) in every numeric body field.

Usage: python3 .ci/attacks.py BASE_URL ACCESS_TOKEN. Prints one line; exits 1 and lists the 5xx if any.
Standard library only: it runs with the machine's python3.
"""
import http.client
import json
import re
import sys
import urllib.parse

HUGE_NUMBERS = ['1e400', '-1e400', '1' + '0' * 400]
DEEP_JSON = b'[' * 2000 + b']' * 2000
OVERSIZE_BYTES = 64 * 1024 * 1024  # announced only: the server must refuse it before reading


def main(base_url, token):
    base = urllib.parse.urlsplit(base_url)
    schema = json.loads(request(base, 'GET', '/api/schema/?format=json')[1])
    cart_id = json.loads(request(base, 'POST', '/store/carts/', b'{}', json_body=True)[1])['id']
    ids = {'cart_pk': cart_id, 'pk': '1', 'product_pk': '1', 'id': '1'}
    server_errors, sent = [], 0

    def attack(method, path, body=b'', headers=None, json_body=False, label=''):
        nonlocal sent
        sent += 1
        status, _ = request(base, method, path, body, headers=headers, json_body=json_body)
        if status >= 500:
            server_errors.append(f'{status} {method} {path} {label}')

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
    if server_errors:
        print(f'FAIL attacks: {sent} requests, {len(server_errors)} server errors:')
        print('\n'.join(f'  {line}' for line in server_errors))
        return 1
    print(f'attacks: {sent} requests (deep JSON, oversize bodies, HEAD, huge numbers), 0 server errors')
    return 0


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
