"""The world the security tests (test_security_*.py) run against, and the builders they share.

The security tests, in the OWASP API Security Top 10 sense:
- API1 broken object-level authorization (test_security_object_level.py): a customer reaches only their own
  orders and profile; someone else's order is a 404, exactly like an order that does not exist (not even its
  existence is revealed).
- API5 broken function-level authorization (test_security_matrix.py): the permission matrix states, for every
  route, method and role, the exact status; staff-only writes are 401 for anonymous callers and 403 for customers.
- API3 mass assignment (broken object property level authorization, test_security_mass_assignment.py): no
  client sets through any endpoint what is not theirs (membership, owner, payment status, ids, timestamps,
  prices, staff flags).
- API2 broken authentication (test_security_jwt.py): forged, orphaned, expired or misused JWTs are refused with 401.
"""
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import Image

from store.models import (
    Cart,
    CartItem,
    Collection,
    Customer,
    Order,
    OrderItem,
    Product,
    ProductImage,
    Review,
)


def image_file(name='x.png'):
    buffer = io.BytesIO()
    Image.new('RGB', (4, 4), color=(10, 200, 30)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


# ---------------------------------------------------------------------------------------------------------------
# The world every case runs against, built afresh per test (function scope), so destructive cases cannot leak.

@dataclass
class World:
    collection: Collection         # holds the products
    empty_collection: Collection   # deletable (a collection with products is guarded by a 405)
    product: Product               # 10.00, 100 in stock, with a review, an image and a cart line; never ordered
    ordered_product: Product       # the product of the owner's order line
    review: Review
    image: ProductImage
    cart: Cart
    cart_item: CartItem
    owner: object                  # customer A: has an order
    owner_customer: Customer
    other: object                  # customer B: no orders
    other_customer: Customer
    staff: object                  # is_staff, not superuser, no extra permissions
    order: Order                   # the owner's pending order of one item
    profileless_user: object       # a user whose customer profile was removed: staff may create one for them


def make_world(django_user_model):
    collection = baker.make(Collection, title='Main')
    empty_collection = baker.make(Collection, title='Empty')
    product = baker.make(Product, title='Widget', slug='widget', collection=collection,
                         unit_price=Decimal('10.00'), inventory=100)
    ordered_product = baker.make(Product, title='Gadget', slug='gadget', collection=collection,
                                 unit_price=Decimal('20.00'), inventory=100)
    review = Review.objects.create(product=product, name='Ann', description='Good')
    image = ProductImage.objects.create(product=product, image=image_file())
    cart = Cart.objects.create()
    cart_item = CartItem.objects.create(cart=cart, product=product, quantity=2)

    owner = baker.make(django_user_model, username='owner')
    other = baker.make(django_user_model, username='other')
    staff = baker.make(django_user_model, username='staff', is_staff=True, is_superuser=False)
    owner_customer = Customer.objects.get(user=owner)
    other_customer = Customer.objects.get(user=other)
    order = Order.objects.create(customer=owner_customer)
    OrderItem.objects.create(order=order, product=ordered_product, quantity=1, unit_price=ordered_product.unit_price)

    profileless_user = baker.make(django_user_model, username='profileless')
    Customer.objects.filter(user=profileless_user).delete()

    return World(collection=collection, empty_collection=empty_collection, product=product,
                 ordered_product=ordered_product, review=review, image=image, cart=cart, cart_item=cart_item,
                 owner=owner, owner_customer=owner_customer, other=other, other_customer=other_customer,
                 staff=staff, order=order, profileless_user=profileless_user)


def product_body(w):
    return {'title': 'New', 'slug': 'new', 'description': 'd', 'inventory': 5, 'unit_price': 12.5,
            'collection': w.collection.pk}
