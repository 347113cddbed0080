"""Deletes racing updates (issue 14, items 6 and 7): a deleted row stays deleted, and no request is a 5xx.

Django saves a loaded object with an UPDATE that, finding no row, becomes an INSERT: an update that read a
row before a concurrent DELETE removed it would bring it back. Every update in store locks the row, or
updates by primary key, and answers 404 when the row is gone. Each test races one DELETE (or order
placement) against several updates of the same row, in real threads, for ROUNDS rounds.
"""
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from model_bakery import baker
from rest_framework import status

from store import services
from store.models import Cart, CartItem, Collection, Customer, Order, Product, ProductImage, Review

from .concurrency_helpers import SKIP_ON_SQLITE_REASON, api_request, run_workers
from .factories import inventory, make_cart, make_product
from .products_helpers import make_image

ROUNDS = 15
UPDATERS = 7

pytestmark = [
    pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON),
    pytest.mark.django_db(transaction=True),
]


def not_found(*models):
    return [{'detail': f'No {model.__name__} matches the given query.'} for model in models]


def race(deleter, updater):
    """One deleter against UPDATERS updaters: the deleter's (status, body), then the updaters' status codes.

    No request is a 5xx, and every 404 is the usual JSON.
    """
    outcomes = run_workers([deleter] + [updater] * UPDATERS)
    assert [outcome for outcome in outcomes if outcome[0] >= 500] == []
    assert all(body in not_found(Cart, CartItem, Collection, Customer, Order, Product, ProductImage, Review)
               for code, body in outcomes if code == status.HTTP_404_NOT_FOUND)
    return outcomes[0], [code for code, _ in outcomes[1:]]


@pytest.fixture
def staff(django_user_model):
    return baker.make(django_user_model, is_staff=True)


class TestCartItemRaces:
    def test_a_deleted_cart_item_is_not_resurrected_by_a_concurrent_patch(self, db):
        product = make_product(inventory=50)
        for _ in range(ROUNDS):
            cart = make_cart((product, 1))
            item = cart.items.get()
            url = f'/store/carts/{cart.pk}/items/{item.pk}/'

            deleted, updates = race(api_request(None, 'delete', url), api_request(None, 'patch', url, {'quantity': 2}))

            assert deleted == (status.HTTP_204_NO_CONTENT, None)
            assert set(updates) <= {status.HTTP_200_OK, status.HTTP_404_NOT_FOUND}
            assert not CartItem.objects.filter(pk=item.pk).exists()

    def test_patching_a_cart_item_while_its_cart_is_ordered_is_never_a_500(self, make_customer):
        product = make_product(inventory=10 * ROUNDS)
        for _ in range(ROUNDS):
            customer = make_customer()
            cart = make_cart((product, 1))
            item = cart.items.get()
            url = f'/store/carts/{cart.pk}/items/{item.pk}/'

            ordered, updates = race(api_request(customer.user, 'post', '/store/orders/', {'cart_id': str(cart.pk)}),
                                    api_request(None, 'patch', url, {'quantity': 2}))

            assert ordered[0] == status.HTTP_201_CREATED
            assert set(updates) <= {status.HTTP_200_OK, status.HTTP_404_NOT_FOUND}
            assert not Cart.objects.filter(pk=cart.pk).exists()
            assert not CartItem.objects.filter(pk=item.pk).exists()
            # The order holds the quantity the line had when the cart was ordered.
            assert ordered[1]['items'][0]['quantity'] in (1, 2)


class TestCatalogueAndCustomerRaces:
    """The same rule for every other update in store: a vanished row is a 404, never re-inserted."""

    def assert_stays_deleted(self, staff, model, url, change):
        row_pk = int(url.rstrip('/').rsplit('/', 1)[1])
        deleted, updates = race(api_request(staff, 'delete', url), api_request(staff, 'patch', url, change))

        assert deleted == (status.HTTP_204_NO_CONTENT, None)
        assert set(updates) <= {status.HTTP_200_OK, status.HTTP_404_NOT_FOUND}
        assert not model.objects.filter(pk=row_pk).exists()

    def test_a_deleted_product_is_not_resurrected_by_a_concurrent_patch(self, staff):
        for _ in range(ROUNDS):
            product = make_product()
            self.assert_stays_deleted(staff, Product, f'/store/products/{product.pk}/', {'title': 'Renamed'})

    def test_a_deleted_collection_is_not_resurrected_by_a_concurrent_patch(self, staff):
        for _ in range(ROUNDS):
            collection = baker.make(Collection)
            self.assert_stays_deleted(staff, Collection, f'/store/collections/{collection.pk}/', {'title': 'Renamed'})

    def test_a_deleted_review_is_not_resurrected_by_a_concurrent_patch(self, staff):
        product = make_product()
        for _ in range(ROUNDS):
            review = baker.make(Review, product=product)
            self.assert_stays_deleted(staff, Review, f'/store/products/{product.pk}/reviews/{review.pk}/',
                                      {'name': 'Renamed'})

    def test_a_deleted_product_image_is_not_resurrected_by_a_concurrent_patch(self, staff):
        product = make_product()
        for _ in range(ROUNDS):
            image = make_image(product)
            self.assert_stays_deleted(staff, ProductImage, f'/store/products/{product.pk}/images/{image.pk}/', {})

    def test_a_deleted_customer_is_not_resurrected_by_a_concurrent_patch(self, staff, make_customer):
        for _ in range(ROUNDS):
            customer = make_customer()
            self.assert_stays_deleted(staff, Customer, f'/store/customers/{customer.pk}/', {'phone': '555'})

    def test_a_deleted_customer_is_not_resurrected_by_their_own_concurrent_patch_of_me(self, staff, make_customer):
        for _ in range(ROUNDS):
            customer = make_customer()

            deleted, updates = race(api_request(staff, 'delete', f'/store/customers/{customer.pk}/'),
                                    api_request(customer.user, 'patch', '/store/customers/me/', {'phone': '555'}))

            assert deleted == (status.HTTP_204_NO_CONTENT, None)
            assert set(updates) <= {status.HTTP_200_OK, status.HTTP_404_NOT_FOUND}
            assert not Customer.objects.filter(pk=customer.pk).exists()


class TestOrderRaces:
    def test_a_deleted_order_is_not_resurrected_by_a_concurrent_payment_update(self, staff, make_customer):
        product = make_product(inventory=10)
        for _ in range(ROUNDS):
            order, _ = services.place_order(customer=make_customer(), cart_id=make_cart((product, 3)).pk)
            url = f'/store/orders/{order.pk}/'

            deleted, updates = race(api_request(staff, 'delete', url),
                                    api_request(staff, 'patch', url, {'payment_status': 'C'}))

            assert deleted == (status.HTTP_204_NO_CONTENT, None)
            assert set(updates) <= {status.HTTP_200_OK, status.HTTP_404_NOT_FOUND}
            assert not Order.objects.filter(pk=order.pk).exists()
            assert inventory(product) == 10  # returned once, by the delete

    def test_cancelling_and_deleting_an_order_at_once_is_never_a_500(self, staff, make_customer):
        product = make_product(inventory=10)
        staff.user_permissions.add(Permission.objects.get(content_type__app_label='store', codename='cancel_order'))
        for _ in range(ROUNDS):
            order, _ = services.place_order(customer=make_customer(), cart_id=make_cart((product, 3)).pk)
            url = f'/store/orders/{order.pk}/'

            deleted, cancels = race(api_request(staff, 'delete', url), api_request(staff, 'post', f'{url}cancel/'))

            assert deleted == (status.HTTP_204_NO_CONTENT, None)
            # One cancel may come first; after it the others find it cancelled (400), after the delete gone (404).
            assert cancels.count(status.HTTP_200_OK) <= 1
            assert set(cancels) <= {status.HTTP_200_OK, status.HTTP_400_BAD_REQUEST, status.HTTP_404_NOT_FOUND}
            assert not Order.objects.filter(pk=order.pk).exists()
            assert inventory(product) == 10  # returned once, by whichever came first
