"""Security (OWASP API1, see security_helpers.py): object-level authorization. A customer reaches only their
own orders, profile and account; someone else's order or account is a 404, exactly like one that does not
exist; deleting a user or customer with orders is refused, not a 500."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from store.models import Cart, CartItem, Customer, Order, Product

NOT_FOUND = {'detail': 'No Order matches the given query.'}


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
