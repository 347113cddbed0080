"""The course's browsing user (part 4, §7.1), against a seeded shop (`seed_db`: products 1–1000).

Weights as in the course: view products ×2, view a product ×4, add to cart ×1; a cart is created when
the user starts. Fixed: a product's URL ends with '/' (the course's script paid a 301 on every view),
and the course's /playground/hello/ task is gone (this project has no playground app).

    pipenv run locust -f locustfiles/browse_products.py --headless -u 50 -r 10 -t 1m --host http://127.0.0.1:8000
"""
from random import randint

from locust import HttpUser, between, task


class WebsiteUser(HttpUser):
    wait_time = between(1, 5)

    @task(2)
    def view_products(self):
        collection_id = randint(2, 6)
        self.client.get(f'/store/products/?collection_id={collection_id}', name='/store/products')

    @task(4)
    def view_product(self):
        product_id = randint(1, 1000)
        self.client.get(f'/store/products/{product_id}/', name='/store/products/:id')

    @task(1)
    def add_to_cart(self):
        product_id = randint(1, 10)
        self.client.post(f'/store/carts/{self.cart_id}/items/', name='/store/carts/items',
                         json={'product_id': product_id, 'quantity': 1})

    def on_start(self):
        response = self.client.post('/store/carts/', name='/store/carts')
        self.cart_id = response.json()['id']
