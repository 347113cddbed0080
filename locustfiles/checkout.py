"""A buying user: signs up and logs in once, then keeps filling a new cart and placing an order.

On start: POST /auth/users/ (a unique username and e-mail address), then POST /auth/jwt/create/. Then,
in a loop: create a cart, add 1–3 random products (1–1000, as `seed_db` makes), POST /store/orders/
with an Idempotency-Key and `Authorization: JWT <access>`. A 400 naming a product that is short of stock
is the shop working as intended (the demo stock runs out under load), so it counts as a success.

Registration, login and anonymous writes (the carts) are throttled per client address
(THROTTLE_REGISTRATION_RATE and THROTTLE_LOGIN_RATE, default 30/min; THROTTLE_ANON_WRITE_RATE, 300/min):
start the server with them raised for a load test, e.g.

    THROTTLE_REGISTRATION_RATE=100000/min THROTTLE_LOGIN_RATE=100000/min THROTTLE_ANON_WRITE_RATE=100000/min \
      pipenv run python manage.py runserver
    pipenv run locust -f locustfiles/checkout.py --headless -u 20 -r 5 -t 1m --host http://127.0.0.1:8000
"""
import uuid
from random import randint, sample

from locust import HttpUser, between, task

PRODUCT_IDS = range(1, 1001)
PASSWORD = 'Locust-checkout-2024!'


def out_of_stock(response):
    """A 400 whose message says some units are not available (see store.services.OutOfStock)."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    messages = body.get('cart_id') or body.get('quantity') or []
    return bool(messages) and all('units of' in message and 'available' in message for message in messages)


class CheckoutUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        name = f'locust-{uuid.uuid4().hex[:16]}'
        self.client.post('/auth/users/', name='/auth/users',
                         json={'username': name, 'email': f'{name}@example.com', 'password': PASSWORD})
        response = self.client.post('/auth/jwt/create/', name='/auth/jwt/create',
                                    json={'username': name, 'password': PASSWORD})
        self.headers = {'Authorization': f'JWT {response.json()["access"]}'}

    @task
    def checkout(self):
        cart_id = self.client.post('/store/carts/', name='/store/carts').json()['id']
        added = 0
        for product_id in sample(PRODUCT_IDS, randint(1, 3)):
            with self.client.post(f'/store/carts/{cart_id}/items/', name='/store/carts/items',
                                  json={'product_id': product_id, 'quantity': 1}, catch_response=True) as response:
                if response.status_code == 201:
                    added += 1
                    response.success()
                elif out_of_stock(response):
                    response.success()
                else:
                    response.failure(f'{response.status_code}: {response.text[:200]}')
        if not added:
            return  # every product it picked was sold out: nothing to order
        with self.client.post('/store/orders/', name='/store/orders', json={'cart_id': cart_id},
                              headers={**self.headers, 'Idempotency-Key': uuid.uuid4().hex},
                              catch_response=True) as response:
            if response.status_code == 201 or out_of_stock(response):
                response.success()
            else:
                response.failure(f'{response.status_code}: {response.text[:200]}')
