"""Security tests, in the OWASP API Security Top 10 sense.

- API1 broken object-level authorization: a customer reaches only their own orders and profile; someone else's
  order is a 404, exactly like an order that does not exist (not even its existence is revealed).
- API5 broken function-level authorization: the permission matrix below states, for every route, method and
  role, the exact status; staff-only writes are 401 for anonymous callers and 403 for customers.
- API3 mass assignment (broken object property level authorization): no client sets through any endpoint
  what is not theirs (membership, owner, payment status, ids, timestamps, prices, staff flags).
- API2 broken authentication: forged, orphaned, expired or misused JWTs are refused with 401.

Carts are anonymous by design (course part 2, DECISIONS §3): a cart's unguessable UUID is its capability, so
anyone holding it may read, fill, delete or order it. The matrix records that as intended, not as a hole.
"""
import io
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from jwt.utils import base64url_encode
from model_bakery import baker
from PIL import Image
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

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

ANONYMOUS, OWNER, OTHER, STAFF = 'anonymous', 'owner', 'other', 'staff'
ROLES = [ANONYMOUS, OWNER, OTHER, STAFF]
NOT_FOUND = {'detail': 'No Order matches the given query.'}


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


@pytest.fixture
def world(db, django_user_model):
    return make_world(django_user_model)


def log_in(api_client, world, role):
    user = {ANONYMOUS: None, OWNER: world.owner, OTHER: world.other, STAFF: world.staff}[role]
    api_client.force_authenticate(user=user)
    return user


# ---------------------------------------------------------------------------------------------------------------
# 1. The permission matrix (API1 + API5)

ROUTES = {
    'api-root': lambda w: '/store/',
    'products-list': lambda w: '/store/products/',
    'products-detail': lambda w: f'/store/products/{w.product.pk}/',
    'collections-list': lambda w: '/store/collections/',
    'collections-detail': lambda w: f'/store/collections/{w.collection.pk}/',
    'collections-detail-empty': lambda w: f'/store/collections/{w.empty_collection.pk}/',
    'reviews-list': lambda w: f'/store/products/{w.product.pk}/reviews/',
    'reviews-detail': lambda w: f'/store/products/{w.product.pk}/reviews/{w.review.pk}/',
    'images-list': lambda w: f'/store/products/{w.product.pk}/images/',
    'images-detail': lambda w: f'/store/products/{w.product.pk}/images/{w.image.pk}/',
    'carts-list': lambda w: '/store/carts/',
    'carts-detail': lambda w: f'/store/carts/{w.cart.pk}/',
    'cart-items-list': lambda w: f'/store/carts/{w.cart.pk}/items/',
    'cart-items-detail': lambda w: f'/store/carts/{w.cart.pk}/items/{w.cart_item.pk}/',
    'customers-list': lambda w: '/store/customers/',
    'customers-detail': lambda w: f'/store/customers/{w.owner_customer.pk}/',           # the owner's profile
    'customers-detail-no-orders': lambda w: f'/store/customers/{w.other_customer.pk}/',  # deletable profile
    'customers-me': lambda w: '/store/customers/me/',
    'customers-history': lambda w: f'/store/customers/{w.owner_customer.pk}/history/',
    'orders-list': lambda w: '/store/orders/',
    'orders-detail': lambda w: f'/store/orders/{w.order.pk}/',                           # the owner's order
    'orders-cancel': lambda w: f'/store/orders/{w.order.pk}/cancel/',
    'users-list': lambda w: '/auth/users/',
    'users-me': lambda w: '/auth/users/me/',
}

JSON = 'json'
MULTIPART = 'multipart'


def product_body(w):
    return {'title': 'New', 'slug': 'new', 'description': 'd', 'inventory': 5, 'unit_price': 12.5,
            'collection': w.collection.pk}


# Valid bodies, so that authorization is the only reason a write can fail: (method, route) -> (body, format).
BODIES = {
    ('POST', 'products-list'): lambda w: (product_body(w), JSON),
    ('PUT', 'products-detail'): lambda w: (product_body(w), JSON),
    ('PATCH', 'products-detail'): lambda w: ({'title': 'x'}, JSON),
    ('POST', 'collections-list'): lambda w: ({'title': 'New'}, JSON),
    ('PUT', 'collections-detail'): lambda w: ({'title': 'Renamed'}, JSON),
    ('PATCH', 'collections-detail'): lambda w: ({'title': 'x'}, JSON),
    ('POST', 'reviews-list'): lambda w: ({'name': 'Bob', 'description': 'Fine'}, JSON),
    ('PUT', 'reviews-detail'): lambda w: ({'name': 'Bob', 'description': 'Edited'}, JSON),
    ('PATCH', 'reviews-detail'): lambda w: ({'description': 'Edited'}, JSON),
    ('POST', 'images-list'): lambda w: ({'image': image_file('new.png')}, MULTIPART),
    ('PUT', 'images-detail'): lambda w: ({'image': image_file('put.png')}, MULTIPART),
    ('PATCH', 'images-detail'): lambda w: ({'image': image_file('patch.png')}, MULTIPART),
    ('POST', 'carts-list'): lambda w: ({}, JSON),
    ('PUT', 'carts-detail'): lambda w: ({}, JSON),
    ('POST', 'cart-items-list'): lambda w: ({'product_id': w.ordered_product.pk, 'quantity': 1}, JSON),
    ('PATCH', 'cart-items-detail'): lambda w: ({'quantity': 3}, JSON),
    ('PUT', 'cart-items-detail'): lambda w: ({'quantity': 3}, JSON),
    ('POST', 'customers-list'): lambda w: ({'user_id': w.profileless_user.pk, 'phone': '555'}, JSON),
    ('PUT', 'customers-detail'): lambda w: ({'phone': '555', 'birth_date': '1990-01-01'}, JSON),
    ('PATCH', 'customers-detail'): lambda w: ({'phone': '555'}, JSON),
    ('PUT', 'customers-me'): lambda w: ({'phone': '555', 'birth_date': '1990-01-01'}, JSON),
    ('PATCH', 'customers-me'): lambda w: ({'phone': '555'}, JSON),
    ('POST', 'orders-list'): lambda w: ({'cart_id': str(w.cart.pk)}, JSON),
    ('PATCH', 'orders-detail'): lambda w: ({'payment_status': 'C'}, JSON),
    ('PUT', 'orders-detail'): lambda w: ({'payment_status': 'C'}, JSON),
    ('POST', 'orders-cancel'): lambda w: ({}, JSON),
}

# The expected status of every route x method x role.
#  method    route                          anonymous owner other staff
MATRIX_TABLE = [
    ('GET',    'api-root',                    200, 200, 200, 200),
    # Catalogue: anyone reads, only staff write.
    ('GET',    'products-list',               200, 200, 200, 200),
    ('POST',   'products-list',               401, 403, 403, 201),
    ('GET',    'products-detail',             200, 200, 200, 200),
    ('PUT',    'products-detail',             401, 403, 403, 200),
    ('PATCH',  'products-detail',             401, 403, 403, 200),
    ('DELETE', 'products-detail',             401, 403, 403, 204),
    ('GET',    'collections-list',            200, 200, 200, 200),
    ('POST',   'collections-list',            401, 403, 403, 201),
    ('GET',    'collections-detail',          200, 200, 200, 200),
    ('PUT',    'collections-detail',          401, 403, 403, 200),
    ('PATCH',  'collections-detail',          401, 403, 403, 200),
    ('DELETE', 'collections-detail-empty',    401, 403, 403, 204),
    # Reviews: anyone reads and posts one; only staff change or delete.
    ('GET',    'reviews-list',                200, 200, 200, 200),
    ('POST',   'reviews-list',                201, 201, 201, 201),
    ('GET',    'reviews-detail',              200, 200, 200, 200),
    ('PUT',    'reviews-detail',              401, 403, 403, 200),
    ('PATCH',  'reviews-detail',              401, 403, 403, 200),
    ('DELETE', 'reviews-detail',              401, 403, 403, 204),
    # Product images: anyone reads, only staff upload, replace or delete.
    ('GET',    'images-list',                 200, 200, 200, 200),
    ('POST',   'images-list',                 401, 403, 403, 201),
    ('GET',    'images-detail',               200, 200, 200, 200),
    ('PUT',    'images-detail',               401, 403, 403, 200),
    ('PATCH',  'images-detail',               401, 403, 403, 200),
    ('DELETE', 'images-detail',               401, 403, 403, 204),
    # Carts: anonymous by design (the UUID is the capability); no list, no update.
    ('POST',   'carts-list',                  201, 201, 201, 201),
    ('GET',    'carts-list',                  405, 405, 405, 405),
    ('GET',    'carts-detail',                200, 200, 200, 200),
    ('DELETE', 'carts-detail',                204, 204, 204, 204),
    ('PUT',    'carts-detail',                405, 405, 405, 405),
    ('GET',    'cart-items-list',             200, 200, 200, 200),
    ('POST',   'cart-items-list',             201, 201, 201, 201),
    ('GET',    'cart-items-detail',           200, 200, 200, 200),
    ('PATCH',  'cart-items-detail',           200, 200, 200, 200),
    ('DELETE', 'cart-items-detail',           204, 204, 204, 204),
    ('PUT',    'cart-items-detail',           405, 405, 405, 405),
    # Customer CRUD: staff only (IsAdminUser), 403 for every non-staff caller, whoever the profile belongs to.
    ('GET',    'customers-list',              401, 403, 403, 200),
    ('POST',   'customers-list',              401, 403, 403, 201),
    ('GET',    'customers-detail',            401, 403, 403, 200),
    ('PUT',    'customers-detail',            401, 403, 403, 200),
    ('PATCH',  'customers-detail',            401, 403, 403, 200),
    ('DELETE', 'customers-detail-no-orders',  401, 403, 403, 204),
    # Own profile: any authenticated user (staff too: their own profile).
    ('GET',    'customers-me',                401, 200, 200, 200),
    ('PUT',    'customers-me',                401, 200, 200, 200),
    ('PATCH',  'customers-me',                401, 200, 200, 200),
    # History needs store.view_history, which is_staff alone does not give.
    ('GET',    'customers-history',           401, 403, 403, 403),
    # Orders: authenticated; non-staff see only their own (someone else's is a 404); PATCH/DELETE staff only.
    ('GET',    'orders-list',                 401, 200, 200, 200),
    ('POST',   'orders-list',                 401, 201, 201, 201),
    ('GET',    'orders-detail',               401, 200, 404, 200),
    ('PATCH',  'orders-detail',               401, 403, 403, 200),
    ('DELETE', 'orders-detail',               401, 403, 403, 204),
    ('PUT',    'orders-detail',               401, 405, 405, 405),
    # Cancel: the owner while pending; holders of store.cancel_order any order; staff alone are not enough.
    ('POST',   'orders-cancel',               401, 200, 404, 403),
    # djoser: authenticated (non-staff see only themselves in the list).
    ('GET',    'users-list',                  401, 200, 200, 200),
    ('GET',    'users-me',                    401, 200, 200, 200),
]

MATRIX = [(method, route, role, expected)
          for method, route, *statuses in MATRIX_TABLE
          for role, expected in zip(ROLES, statuses)]


def test_matrix_covers_every_role_of_every_row():
    assert len(MATRIX) == 4 * len(MATRIX_TABLE)
    assert len({(method, route) for method, route, *_ in MATRIX_TABLE}) == len(MATRIX_TABLE)
    assert {route for _, route, *_ in MATRIX_TABLE} == set(ROUTES)
    assert set(BODIES) <= {(method, route) for method, route, *_ in MATRIX_TABLE}


@pytest.mark.parametrize('method, route, role, expected', MATRIX,
                         ids=[f'{method} {route} as {role}' for method, route, role, _ in MATRIX])
def test_permission_matrix(api_client, world, method, route, role, expected):
    log_in(api_client, world, role)
    body, body_format = BODIES.get((method, route), lambda w: (None, None))(world)
    url = ROUTES[route](world)

    response = api_client.generic(method, url) if body is None else \
        getattr(api_client, method.lower())(url, body, format=body_format)

    assert response.status_code == expected, (response.status_code, getattr(response, 'data', response.content))


def test_refusals_carry_the_drf_messages(api_client, world):
    response = api_client.get('/store/orders/')
    assert response.status_code == 401
    assert response.json() == {'detail': 'Authentication credentials were not provided.'}
    assert response.headers['WWW-Authenticate'].startswith('JWT')

    api_client.force_authenticate(user=world.owner)
    response = api_client.patch(f'/store/orders/{world.order.pk}/', {'payment_status': 'C'}, format='json')
    assert response.status_code == 403
    assert response.json() == {'detail': 'You do not have permission to perform this action.'}


# ---------------------------------------------------------------------------------------------------------------
# Object level (API1): what the matrix's statuses mean for the data.

@pytest.mark.django_db
class TestObjectLevelAuthorization:
    def test_order_list_shows_customers_only_their_own_orders(self, api_client, world):
        others_order = Order.objects.create(customer=world.other_customer)

        api_client.force_authenticate(user=world.owner)
        assert [order['id'] for order in api_client.get('/store/orders/').json()] == [world.order.pk]
        api_client.force_authenticate(user=world.other)
        assert [order['id'] for order in api_client.get('/store/orders/').json()] == [others_order.pk]
        api_client.force_authenticate(user=world.staff)
        assert {order['id'] for order in api_client.get('/store/orders/').json()} == {world.order.pk, others_order.pk}

    def test_someone_elses_order_is_indistinguishable_from_a_missing_one(self, api_client, world):
        api_client.force_authenticate(user=world.other)
        missing_pk = Order.objects.order_by('-pk').first().pk + 1000

        for suffix, method in [('', 'get'), ('cancel/', 'post')]:
            existing = getattr(api_client, method)(f'/store/orders/{world.order.pk}/{suffix}')
            missing = getattr(api_client, method)(f'/store/orders/{missing_pk}/{suffix}')
            assert (existing.status_code, existing.json()) == (missing.status_code, missing.json()) == (404, NOT_FOUND)

    def test_another_customer_cannot_cancel_the_order(self, api_client, world):
        api_client.force_authenticate(user=world.other)

        assert api_client.post(f'/store/orders/{world.order.pk}/cancel/').status_code == 404
        world.order.refresh_from_db()
        assert world.order.cancelled_at is None
        assert Product.objects.get(pk=world.ordered_product.pk).inventory == 100

    def test_another_customer_cannot_patch_or_delete_the_order(self, api_client, world):
        api_client.force_authenticate(user=world.other)

        assert api_client.patch(f'/store/orders/{world.order.pk}/', {'payment_status': 'C'},
                                format='json').status_code == 403
        assert api_client.delete(f'/store/orders/{world.order.pk}/').status_code == 403
        order = Order.objects.get(pk=world.order.pk)
        assert order.payment_status == Order.PAYMENT_STATUS_PENDING

    def test_owner_cannot_cancel_an_order_once_paid(self, api_client, world):
        Order.objects.filter(pk=world.order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)
        api_client.force_authenticate(user=world.owner)

        response = api_client.post(f'/store/orders/{world.order.pk}/cancel/')

        assert response.status_code == 403
        assert Order.objects.get(pk=world.order.pk).cancelled_at is None

    def test_holder_of_cancel_order_permission_cancels_any_order(self, api_client, world):
        world.staff.user_permissions.add(Permission.objects.get(codename='cancel_order'))
        api_client.force_authenticate(user=world.staff)

        assert api_client.post(f'/store/orders/{world.order.pk}/cancel/').status_code == 200

    def test_history_needs_the_view_history_permission_not_staff(self, api_client, world):
        world.other.user_permissions.add(Permission.objects.get(codename='view_history'))
        api_client.force_authenticate(user=world.other)

        response = api_client.get(f'/store/customers/{world.owner_customer.pk}/history/')

        assert response.status_code == 200
        assert [order['id'] for order in response.json()] == [world.order.pk]

    def test_me_is_always_the_callers_own_profile(self, api_client, world):
        for user, customer in [(world.owner, world.owner_customer), (world.other, world.other_customer)]:
            api_client.force_authenticate(user=user)
            assert api_client.get('/store/customers/me/').json()['id'] == customer.pk

    def test_me_put_changes_only_the_callers_profile(self, api_client, world):
        api_client.force_authenticate(user=world.other)

        api_client.put('/store/customers/me/', {'phone': '999', 'id': world.owner_customer.pk}, format='json')

        assert Customer.objects.get(pk=world.other_customer.pk).phone == '999'
        assert Customer.objects.get(pk=world.owner_customer.pk).phone != '999'

    def test_users_list_shows_non_staff_only_themselves(self, api_client, world):
        api_client.force_authenticate(user=world.other)

        assert [user['id'] for user in api_client.get('/auth/users/').json()] == [world.other.pk]

    @pytest.mark.parametrize('method', ['get', 'patch', 'put'])
    def test_another_users_account_is_indistinguishable_from_a_missing_one(self, api_client, world, method):
        """Same status and same body as for an id nobody has: no user enumeration."""
        api_client.force_authenticate(user=world.other)
        missing_pk = get_user_model().objects.order_by('-pk').first().pk + 1000
        body = {'first_name': 'x', 'email': 'x@example.com'}

        existing = getattr(api_client, method)(f'/auth/users/{world.owner.pk}/', body, format='json')
        missing = getattr(api_client, method)(f'/auth/users/{missing_pk}/', body, format='json')

        assert existing.status_code == missing.status_code == 404
        assert existing.json() == missing.json()
        assert get_user_model().objects.get(pk=world.owner.pk).first_name != 'x'

    def test_staff_see_every_user(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        ids = {user['id'] for user in api_client.get('/auth/users/').json()}

        assert {world.owner.pk, world.other.pk, world.staff.pk} <= ids

    def test_staff_deleting_a_customer_with_orders_is_refused_not_a_500(self, api_client, world):
        """Order.customer is PROTECT: the delete must be refused with a 4xx naming why, like the other guards."""
        api_client.raise_request_exception = False
        api_client.force_authenticate(user=world.staff)

        response = api_client.delete(f'/store/customers/{world.owner_customer.pk}/')

        assert 400 <= response.status_code < 500, response.status_code
        assert 'error' in response.json()
        assert Customer.objects.filter(pk=world.owner_customer.pk).exists()


    def test_an_idempotency_key_is_scoped_to_its_customer(self, api_client, world):
        """Another customer reusing the owner's Idempotency-Key gets their own new order, never the owner's."""
        api_client.force_authenticate(user=world.owner)
        owners = api_client.post('/store/orders/', {'cart_id': str(world.cart.pk)}, format='json',
                                 HTTP_IDEMPOTENCY_KEY='shared-key')
        assert owners.status_code == 201
        other_cart = Cart.objects.create()
        CartItem.objects.create(cart=other_cart, product=world.product, quantity=1)

        api_client.force_authenticate(user=world.other)
        response = api_client.post('/store/orders/', {'cart_id': str(other_cart.pk)}, format='json',
                                   HTTP_IDEMPOTENCY_KEY='shared-key')

        assert response.status_code == 201
        assert 'Idempotent-Replayed' not in response.headers
        assert response.json()['id'] != owners.json()['id']
        assert Order.objects.get(pk=response.json()['id']).customer_id == world.other_customer.pk


@pytest.mark.django_db
class TestAccountDeletion:
    """DELETE /auth/users/{id}/ and /auth/users/me/ (djoser): yourself only, staff anyone; never a 500."""
    PASSWORD = 'a-Strong-passw0rd!'

    def with_password(self, user):
        user.set_password(self.PASSWORD)
        user.save()
        return user

    def test_a_customer_cannot_delete_another_user_nor_learn_that_it_exists(self, api_client, world):
        """HIDE_USERS: someone else's account is a 404 like a missing one (djoser does so for GET/PUT/PATCH)."""
        api_client.force_authenticate(user=self.with_password(world.other))
        missing_pk = get_user_model().objects.order_by('-pk').first().pk + 1000

        existing = api_client.delete(f'/auth/users/{world.owner.pk}/', {'current_password': self.PASSWORD},
                                     format='json')
        missing = api_client.delete(f'/auth/users/{missing_pk}/', {'current_password': self.PASSWORD},
                                    format='json')

        assert get_user_model().objects.filter(pk=world.owner.pk).exists()
        assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())
        assert existing.status_code == 404

    def test_a_user_deletes_their_own_account(self, api_client, world):
        api_client.raise_request_exception = False
        api_client.force_authenticate(user=self.with_password(world.other))

        response = api_client.delete('/auth/users/me/', {'current_password': self.PASSWORD}, format='json')

        assert response.status_code == 204, response.content
        assert not get_user_model().objects.filter(pk=world.other.pk).exists()

    def test_staff_deleting_a_user_with_orders_is_refused_not_a_500(self, api_client, world):
        """User -> Customer cascades, Order.customer is PROTECT: a 4xx naming why, and nothing deleted."""
        api_client.raise_request_exception = False
        api_client.force_authenticate(user=self.with_password(world.staff))

        response = api_client.delete(f'/auth/users/{world.owner.pk}/', {'current_password': self.PASSWORD},
                                     format='json')

        assert 400 <= response.status_code < 500, response.status_code
        assert 'error' in response.json()
        assert get_user_model().objects.filter(pk=world.owner.pk).exists()
        assert Order.objects.filter(pk=world.order.pk).exists()


# ---------------------------------------------------------------------------------------------------------------
# 2. Mass assignment (API3)

@pytest.mark.django_db
class TestCustomerMassAssignment:
    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_customer_cannot_set_membership_or_user_id_on_me(self, api_client, world, method):
        api_client.force_authenticate(user=world.owner)

        response = getattr(api_client, method)('/store/customers/me/', {
            'phone': '123', 'membership': Customer.MEMBERSHIP_GOLD, 'user_id': world.other.pk,
            'id': world.other_customer.pk,
        }, format='json')

        assert response.status_code == 200
        assert response.json() == {'id': world.owner_customer.pk, 'user_id': world.owner.pk, 'phone': '123',
                                   'birth_date': None, 'membership': Customer.MEMBERSHIP_BRONZE}
        owner_customer = Customer.objects.get(pk=world.owner_customer.pk)
        assert (owner_customer.user_id, owner_customer.membership) == (world.owner.pk, Customer.MEMBERSHIP_BRONZE)
        assert Customer.objects.get(pk=world.other_customer.pk).user_id == world.other.pk

    def test_staff_sets_membership_but_not_the_user_of_an_existing_profile(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        response = api_client.patch(f'/store/customers/{world.owner_customer.pk}/', {
            'membership': Customer.MEMBERSHIP_GOLD, 'user_id': world.profileless_user.pk}, format='json')

        assert response.status_code == 200
        customer = Customer.objects.get(pk=world.owner_customer.pk)
        assert (customer.membership, customer.user_id) == (Customer.MEMBERSHIP_GOLD, world.owner.pk)


@pytest.mark.django_db
class TestOrderMassAssignment:
    def test_order_post_ignores_owner_status_ids_timestamps_and_prices(self, api_client, world):
        api_client.force_authenticate(user=world.other)
        past = '2000-01-01T00:00:00Z'
        before = timezone.now()

        response = api_client.post('/store/orders/', {
            'cart_id': str(world.cart.pk),
            'customer': world.owner_customer.pk,
            'payment_status': Order.PAYMENT_STATUS_COMPLETE,
            'id': 424242,
            'placed_at': past,
            'cancelled_at': past,
            'items': [{'product': world.product.pk, 'product_id': world.product.pk,
                       'unit_price': 1, 'quantity': 2}],
        }, format='json')

        assert response.status_code == 201, response.data
        order = Order.objects.get(pk=response.json()['id'])
        assert order.pk != 424242
        assert order.customer_id == world.other_customer.pk
        assert order.payment_status == Order.PAYMENT_STATUS_PENDING
        assert order.placed_at >= before
        assert order.cancelled_at is None
        assert list(order.items.values_list('product_id', 'quantity', 'unit_price')) == [
            (world.product.pk, 2, Decimal('10.00'))]
        assert response.json()['items'][0]['unit_price'] == 10

    def test_non_staff_cannot_patch_payment_status(self, api_client, world):
        api_client.force_authenticate(user=world.owner)

        response = api_client.patch(f'/store/orders/{world.order.pk}/', {'payment_status': 'C'}, format='json')

        assert response.status_code == 403
        assert Order.objects.get(pk=world.order.pk).payment_status == Order.PAYMENT_STATUS_PENDING

    def test_staff_patch_changes_only_payment_status(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        response = api_client.patch(f'/store/orders/{world.order.pk}/', {
            'payment_status': 'C', 'customer': world.other_customer.pk, 'id': 424242,
            'placed_at': '2000-01-01T00:00:00Z', 'cancelled_at': '2000-01-01T00:00:00Z',
            'items': [{'unit_price': 1, 'quantity': 9}],
        }, format='json')

        assert response.status_code == 200
        assert response.json() == {'payment_status': 'C'}
        order = Order.objects.get(pk=world.order.pk)
        assert (order.payment_status, order.customer_id, order.cancelled_at) == (
            'C', world.owner_customer.pk, None)
        assert order.placed_at.year != 2000
        assert list(order.items.values_list('quantity', 'unit_price')) == [(1, Decimal('20.00'))]


@pytest.mark.django_db
class TestCartMassAssignment:
    def test_cart_post_ignores_a_client_id(self, api_client, world):
        chosen = uuid4()

        response = api_client.post('/store/carts/', {'id': str(chosen), 'total_price': 1}, format='json')

        assert response.status_code == 201
        assert UUID(response.json()['id']) != chosen
        assert not Cart.objects.filter(pk=chosen).exists()

    def test_cart_post_cannot_take_over_an_existing_cart(self, api_client, world):
        response = api_client.post('/store/carts/', {'id': str(world.cart.pk)}, format='json')

        assert response.status_code == 201
        assert response.json()['id'] != str(world.cart.pk)
        assert list(CartItem.objects.filter(cart=world.cart).values_list('pk', flat=True)) == [world.cart_item.pk]

    def test_cart_item_post_cannot_set_id_cart_or_price(self, api_client, world):
        other_cart = Cart.objects.create()

        response = api_client.post(f'/store/carts/{world.cart.pk}/items/', {
            'product_id': world.ordered_product.pk, 'quantity': 3,
            'id': world.cart_item.pk, 'cart': str(other_cart.pk), 'cart_id': str(other_cart.pk),
            'unit_price': 1, 'total_price': 1,
        }, format='json')

        assert response.status_code == 201
        item = CartItem.objects.get(pk=response.json()['id'])
        assert item.pk != world.cart_item.pk
        assert item.cart_id == world.cart.pk
        assert not other_cart.items.exists()
        assert CartItem.objects.get(pk=world.cart_item.pk).product_id == world.product.pk
        cart = api_client.get(f'/store/carts/{world.cart.pk}/').json()
        line = next(line for line in cart['items'] if line['id'] == item.pk)
        assert (line['product']['unit_price'], line['total_price']) == (20, 60)

    def test_cart_item_patch_changes_only_the_quantity(self, api_client, world):
        response = api_client.patch(f'/store/carts/{world.cart.pk}/items/{world.cart_item.pk}/', {
            'quantity': 3, 'product_id': world.ordered_product.pk, 'product': world.ordered_product.pk,
            'unit_price': 1, 'total_price': 1, 'id': 424242,
        }, format='json')

        assert response.status_code == 200
        item = CartItem.objects.get(pk=world.cart_item.pk)
        assert (item.quantity, item.product_id, item.cart_id) == (3, world.product.pk, world.cart.pk)
        line = api_client.get(f'/store/carts/{world.cart.pk}/items/{item.pk}/').json()
        assert (line['product']['unit_price'], line['total_price']) == (10, 30)


@pytest.mark.django_db
class TestCatalogueMassAssignment:
    def test_review_post_cannot_attach_to_another_product(self, api_client, world):
        response = api_client.post(f'/store/products/{world.product.pk}/reviews/', {
            'name': 'Eve', 'description': 'x', 'product': world.ordered_product.pk,
            'product_id': world.ordered_product.pk, 'id': world.review.pk, 'date': '2000-01-01',
        }, format='json')

        assert response.status_code == 201
        review = Review.objects.get(pk=response.json()['id'])
        assert review.pk != world.review.pk
        assert review.product_id == world.product.pk
        assert review.date == timezone.localdate()
        assert not world.ordered_product.reviews.exists()
        assert Review.objects.get(pk=world.review.pk).description == 'Good'

    def test_staff_product_post_ignores_read_only_fields(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        response = api_client.post('/store/products/', {
            **product_body(world), 'id': world.product.pk, 'price_with_tax': 1,
            'images': [{'id': world.image.pk, 'image': 'evil.png'}],
        }, format='json')

        assert response.status_code == 201
        body = response.json()
        assert body['id'] != world.product.pk
        assert body['price_with_tax'] == 13.75
        assert body['images'] == []
        assert ProductImage.objects.get(pk=world.image.pk).product_id == world.product.pk
        assert Product.objects.get(pk=world.product.pk).title == 'Widget'

    def test_staff_product_patch_ignores_read_only_fields(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        response = api_client.patch(f'/store/products/{world.product.pk}/', {
            'title': 'x', 'id': world.ordered_product.pk, 'price_with_tax': 1, 'images': [],
        }, format='json')

        assert response.status_code == 200
        body = response.json()
        assert (body['id'], body['title'], body['price_with_tax']) == (world.product.pk, 'x', 11)
        assert [image['id'] for image in body['images']] == [world.image.pk]
        assert Product.objects.get(pk=world.ordered_product.pk).title == 'Gadget'

    def test_staff_collection_post_ignores_products_count_and_id(self, api_client, world):
        api_client.force_authenticate(user=world.staff)

        response = api_client.post('/store/collections/', {
            'title': 'New', 'products_count': 99, 'id': world.collection.pk}, format='json')

        assert response.status_code == 201
        body = response.json()
        assert body['id'] != world.collection.pk
        assert body['products_count'] == 0
        assert Collection.objects.get(pk=world.collection.pk).title == 'Main'


@pytest.mark.django_db
class TestRegistrationMassAssignment:
    def test_registration_cannot_create_staff_or_superuser(self, api_client):
        response = api_client.post('/auth/users/', {
            'username': 'mallory', 'password': 'a-Strong-passw0rd!', 'email': 'mallory@example.com',
            'first_name': 'Mal', 'last_name': 'Lory',
            'is_staff': True, 'is_superuser': True, 'is_active': True,
            'groups': [1], 'user_permissions': [1],
        }, format='json')

        assert response.status_code == 201, response.data
        user = get_user_model().objects.get(username='mallory')
        assert not user.is_staff
        assert not user.is_superuser
        assert not user.groups.exists()
        assert not user.user_permissions.exists()
        assert set(response.json()) == {'id', 'username', 'email', 'first_name', 'last_name'}

    def test_user_cannot_make_themselves_staff_through_users_me(self, api_client, authenticate):
        user = authenticate()

        api_client.patch('/auth/users/me/', {'is_staff': True, 'is_superuser': True}, format='json')
        api_client.put('/auth/users/me/', {'email': 'new@example.com', 'is_staff': True}, format='json')

        user.refresh_from_db()
        assert not user.is_staff
        assert not user.is_superuser


# ---------------------------------------------------------------------------------------------------------------
# 3. JWT (API2)

@pytest.mark.django_db
class TestJwt:
    @pytest.fixture
    def user(self, django_user_model):
        return baker.make(django_user_model)

    @staticmethod
    def get_orders(api_client, token, prefix='JWT'):
        api_client.credentials(HTTP_AUTHORIZATION=f'{prefix} {token}')
        return api_client.get('/store/orders/')

    def test_a_valid_token_is_accepted(self, api_client, user):
        assert self.get_orders(api_client, AccessToken.for_user(user)).status_code == 200
        assert self.get_orders(api_client, AccessToken.for_user(user), prefix='Bearer').status_code == 200

    def test_a_token_signed_with_another_key_is_refused(self, api_client, user):
        forged = TokenBackend('HS256', 'another-signing-key-long-enough-for-hs256').encode(
            AccessToken.for_user(user).payload)

        assert self.get_orders(api_client, forged).status_code == 401

    def test_a_token_of_a_deleted_user_is_refused(self, api_client, user):
        token = str(AccessToken.for_user(user))
        user.delete()

        assert self.get_orders(api_client, token).status_code == 401

    def test_an_expired_token_is_refused(self, api_client, user):
        token = AccessToken.for_user(user)
        token.set_exp(from_time=timezone.now() - timedelta(days=2), lifetime=timedelta(days=1))

        assert self.get_orders(api_client, token).status_code == 401

    def test_a_token_with_a_swapped_user_id_is_refused(self, api_client, user, django_user_model):
        victim = baker.make(django_user_model, is_staff=True)
        token = AccessToken.for_user(user)
        header, _, signature = str(token).split('.')
        tampered_payload = base64url_encode(json.dumps({**token.payload, 'user_id': str(victim.pk)}).encode()).decode()

        assert self.get_orders(api_client, f'{header}.{tampered_payload}.{signature}').status_code == 401

    def test_an_unsigned_alg_none_token_is_refused(self, api_client, user):
        unsigned = jwt.encode(AccessToken.for_user(user).payload, None, algorithm='none')

        assert self.get_orders(api_client, unsigned).status_code == 401

    def test_a_refresh_token_is_not_an_access_token(self, api_client, user):
        assert self.get_orders(api_client, RefreshToken.for_user(user)).status_code == 401

    def test_a_token_of_a_deactivated_user_is_refused(self, api_client, user):
        token = str(AccessToken.for_user(user))
        type(user).objects.filter(pk=user.pk).update(is_active=False)

        assert self.get_orders(api_client, token).status_code == 401
