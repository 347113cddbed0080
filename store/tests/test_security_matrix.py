"""Security (OWASP API1 + API5, see security_helpers.py): the permission matrix states, for every route, method
and role, the exact status; staff-only writes are 401 for anonymous callers and 403 for customers, and the
refusals carry DRF's messages.

The Stripe webhook is anonymous by design too (issue 15): Stripe authenticates by the body's signature alone, so
every role gets the same answer, a 400 for an unsigned body (the matrix turns Stripe on for that route).

Carts are anonymous by design (course part 2, DECISIONS §3): a cart's unguessable UUID is its capability, so
anyone holding it may read, fill, delete or order it. The matrix records that as intended, not as a hole.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from model_bakery import baker

from store import services
from store.models import Address, Order, Promotion

from .security_helpers import image_file, product_body

ANONYMOUS, OWNER, OTHER, STAFF = 'anonymous', 'owner', 'other', 'staff'
ROLES = [ANONYMOUS, OWNER, OTHER, STAFF]


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
    'customer-addresses-list': lambda w: '/store/customers/me/addresses/',
    'customer-addresses-detail': lambda w: f'/store/customers/me/addresses/{owner_address(w).pk}/',  # the owner's
    'customers-history': lambda w: f'/store/customers/{w.owner_customer.pk}/history/',
    'orders-list': lambda w: '/store/orders/',
    'orders-detail': lambda w: f'/store/orders/{w.order.pk}/',                           # the owner's order
    'orders-cancel': lambda w: f'/store/orders/{w.order.pk}/cancel/',
    'orders-payment': lambda w: f'/store/orders/{w.order.pk}/payment/',
    'orders-address': lambda w: f'/store/orders/{w.order.pk}/address/',
    'orders-ship': lambda w: f'/store/orders/{w.order.pk}/ship/',
    'orders-deliver': lambda w: f'/store/orders/{w.order.pk}/deliver/',
    'orders-events': lambda w: f'/store/orders/{w.order.pk}/events/',
    'payments-stripe-webhook': lambda w: '/store/payments/stripe/webhook/',
    'promotions-list': lambda w: '/store/promotions/',
    'promotions-detail': lambda w: f'/store/promotions/{promotion(w, "active").pk}/',
    'promotions-detail-ended': lambda w: f'/store/promotions/{promotion(w, "ended").pk}/',  # staff see it only
    'promotions-detail-ordered': lambda w: f'/store/promotions/{promotion(w, "ordered").pk}/',  # an order used it
    'users-list': lambda w: '/auth/users/',
    'users-me': lambda w: '/auth/users/me/',
}

def owner_address(world):
    """The owner's address (one per world, made when a route first needs it)."""
    if not hasattr(world, 'owner_address'):
        world.owner_address = baker.make(Address, customer=world.owner_customer, **ADDRESS)
    return world.owner_address


def promotion(world, kind):
    """A promotion of the world's product (made when a route first needs it): 'active' (since yesterday, no end),
    'ended' (yesterday) or 'ordered' (active, and the owner's order line was charged at it)."""
    promotions = world.__dict__.setdefault('promotions', {})
    if kind not in promotions:
        now = timezone.now()
        starts_at, ends_at = (now - timedelta(days=2), now - timedelta(days=1)) if kind == 'ended' else \
            (now - timedelta(days=1), None)
        promotions[kind] = Promotion.objects.create(description=kind, discount=Decimal('10'), starts_at=starts_at,
                                                    ends_at=ends_at)
        promotions[kind].product_set.add(world.product)
        if kind == 'ordered':
            world.order.items.update(promotion=promotions[kind])
    return promotions[kind]


def promotion_body(w):
    return {'description': 'Flash sale', 'discount': '25', 'starts_at': timezone.now().isoformat(),
            'ends_at': None, 'products': [w.product.pk]}


def shippable(world):
    """The owner's order, given an address: staff may ship it (unpaid: manual provider, override)."""
    Order.objects.filter(pk=world.order.pk).update(shipping_address={**ADDRESS, 'phone': ''})
    return {'carrier': 'DHL', 'tracking_number': '42', 'override': True}


def shipped(world):
    services.ship_order(order=world.order, **shippable(world))
    return {}


ADDRESS = {'name': 'Ada', 'street': '1 Main St', 'city': 'Springfield', 'zip': '12345', 'country': 'US'}

JSON = 'json'
MULTIPART = 'multipart'


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
    ('POST', 'customer-addresses-list'): lambda w: (ADDRESS, JSON),
    ('PUT', 'customer-addresses-detail'): lambda w: (ADDRESS, JSON),
    ('PATCH', 'customer-addresses-detail'): lambda w: ({'city': 'Shelbyville'}, JSON),
    ('POST', 'orders-list'): lambda w: ({'cart_id': str(w.cart.pk)}, JSON),
    ('PATCH', 'orders-detail'): lambda w: ({'payment_status': 'C'}, JSON),
    ('PUT', 'orders-detail'): lambda w: ({'payment_status': 'C'}, JSON),
    ('POST', 'orders-cancel'): lambda w: ({}, JSON),
    ('POST', 'orders-payment'): lambda w: ({}, JSON),
    ('POST', 'orders-address'): lambda w: ({'shipping_address': ADDRESS}, JSON),
    ('POST', 'orders-ship'): lambda w: (shippable(w), JSON),
    ('POST', 'orders-deliver'): lambda w: (shipped(w), JSON),
    ('POST', 'promotions-list'): lambda w: (promotion_body(w), JSON),
    ('PUT', 'promotions-detail'): lambda w: (promotion_body(w), JSON),
    ('PATCH', 'promotions-detail'): lambda w: ({'discount': '15'}, JSON),
    ('PATCH', 'promotions-detail-ended'): lambda w: ({'description': 'Renamed'}, JSON),
    # Unsigned: whoever posts it, the signature is all that authenticates a webhook.
    ('POST', 'payments-stripe-webhook'): lambda w: ({'id': 'evt_1', 'type': 'payment_intent.succeeded'}, JSON),
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
    # Address book: any authenticated user's own addresses; anyone else's is a 404 (staff's too).
    ('GET',    'customer-addresses-list',     401, 200, 200, 200),
    ('POST',   'customer-addresses-list',     401, 201, 201, 201),
    ('GET',    'customer-addresses-detail',   401, 200, 404, 404),
    ('PUT',    'customer-addresses-detail',   401, 200, 404, 404),
    ('PATCH',  'customer-addresses-detail',   401, 200, 404, 404),
    ('DELETE', 'customer-addresses-detail',   401, 204, 404, 404),
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
    # Paying: the owner only (manual, the default provider); others' orders are hidden, staff pay for none.
    ('POST',   'orders-payment',              401, 201, 404, 403),
    # The shipping address: the owner only while unpaid (others' orders are hidden; staff set none).
    ('POST',   'orders-address',              401, 200, 404, 403),
    # Fulfilment: staff only.
    ('POST',   'orders-ship',                 401, 403, 403, 200),
    ('POST',   'orders-deliver',              401, 403, 403, 200),
    # The order's history: its owner and staff; others' orders are hidden.
    ('GET',    'orders-events',               401, 200, 404, 200),
    # The Stripe webhook: no authentication, the signature decides (an unsigned body is a 400 for anyone).
    ('POST',   'payments-stripe-webhook',     400, 400, 400, 400),
    # Promotions: anyone reads the active ones (an ended one is a 404 to non-staff); only staff write, and a
    # promotion an order line was charged at cannot be deleted (405).
    ('GET',    'promotions-list',             200, 200, 200, 200),
    ('POST',   'promotions-list',             401, 403, 403, 201),
    ('GET',    'promotions-detail',           200, 200, 200, 200),
    ('PUT',    'promotions-detail',           401, 403, 403, 200),
    ('PATCH',  'promotions-detail',           401, 403, 403, 200),
    ('DELETE', 'promotions-detail',           401, 403, 403, 204),
    ('GET',    'promotions-detail-ended',     404, 404, 404, 200),
    ('PATCH',  'promotions-detail-ended',     401, 403, 403, 200),
    ('DELETE', 'promotions-detail-ended',     401, 403, 403, 204),
    ('DELETE', 'promotions-detail-ordered',   401, 403, 403, 405),
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
def test_permission_matrix(request, api_client, world, method, route, role, expected):
    if route == 'payments-stripe-webhook':
        request.getfixturevalue('stripe_settings')  # the webhook is a 404 unless Stripe is on
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
