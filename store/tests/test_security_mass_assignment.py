"""Security (OWASP API3, see security_helpers.py): mass assignment. No client sets through any endpoint what is
not theirs: membership, owner, payment status, ids, timestamps, prices, carts, staff flags."""
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from store.models import Cart, CartItem, Collection, Customer, Order, Product, ProductImage, Review

from .security_helpers import product_body


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
                                   'birth_date': None, 'membership': Customer.MEMBERSHIP_BRONZE,
                                   'liked_product_alerts': True}
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
