"""API tests for /store/customers/: staff CRUD, every user's own profile (`me`), and order history.

CRUD is staff only (IsAdminUser); `me` is any logged-in user's own profile; `history` needs
`store.view_history` (course-part3 §8.2, §9, §11). Customers cannot raise their own membership nor pick
their user (DECISIONS §3); users that predate the customer signal still get a profile; bad input is a 4xx,
never a 500.
"""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from model_bakery import baker
from rest_framework import status
from rest_framework.fields import DateTimeField

from store.models import Customer, Order, OrderItem, Product

# The customers (one query, no per-row lookups), whatever their number.
CUSTOMER_LIST_MAX_QUERIES = 1

# The caller's permissions (user + group permissions), the customer, their orders, the orders' items with
# their products (one prefetch): the same for 1 order as for 10 with several items each.
CUSTOMER_HISTORY_MAX_QUERIES = 5

CUSTOMERS_URL = '/store/customers/'
ME_URL = '/store/customers/me/'
UNKNOWN_ID = 999999

CUSTOMER_FIELDS = {'id', 'user_id', 'phone', 'birth_date', 'membership'}
ORDER_FIELDS = {'id', 'customer', 'placed_at', 'payment_status', 'items', 'cancelled_at'}
NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}
NOT_PERMITTED = {'detail': 'You do not have permission to perform this action.'}
NOT_FOUND = {'detail': 'No Customer matches the given query.'}
REQUIRED = ['This field is required.']


def detail_url(customer_id):
    return f'{CUSTOMERS_URL}{customer_id}/'


def history_url(customer_id):
    return f'{CUSTOMERS_URL}{customer_id}/history/'


def customer_of(user):
    return Customer.objects.get(user=user)


def as_json(customer):
    return {'id': customer.id, 'user_id': customer.user_id, 'phone': customer.phone,
            'birth_date': customer.birth_date.isoformat() if customer.birth_date else None,
            'membership': customer.membership}


def make_order(customer, item_count=2, **fields):
    """An order written directly with `item_count` lines of distinct products (quantities 1, 2, …)."""
    order = Order.objects.create(customer=customer, **fields)
    for quantity in range(1, item_count + 1):
        product = baker.make(Product, unit_price=Decimal('10.00'), inventory=5)
        OrderItem.objects.create(order=order, product=product, quantity=quantity, unit_price=Decimal('12.50'))
    return order


def order_json(order):
    items = order.items.select_related('product').order_by('id')
    return {
        'id': order.id,
        'customer': order.customer_id,
        'placed_at': DateTimeField().to_representation(order.placed_at),
        'payment_status': order.payment_status,
        'items': [{'id': item.id,
                   'product': {'id': item.product.id, 'title': item.product.title, 'unit_price': 10.0},
                   'unit_price': 12.5,
                   'quantity': item.quantity} for item in items],
        'cancelled_at': None,
    }


def user_without_customer(django_user_model, **fields):
    """A user as they were before the create-customer signal existed: no Customer row."""
    user = baker.make(django_user_model, **fields)
    Customer.objects.filter(user=user).delete()
    return user


def grant_view_history(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label='store', codename='view_history'))


@pytest.mark.django_db
class TestListCustomers:
    def test_anonymous_returns_401(self, api_client):
        response = api_client.get(CUSTOMERS_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data == NOT_AUTHENTICATED

    def test_non_staff_returns_403(self, api_client, authenticate):
        authenticate()

        response = api_client.get(CUSTOMERS_URL)

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.data == NOT_PERMITTED

    def test_non_staff_holding_every_customer_permission_still_returns_403(self, api_client, authenticate):
        user = authenticate()
        user.groups.add(Group.objects.get(name='Customer Service'))

        assert api_client.get(CUSTOMERS_URL).status_code == status.HTTP_403_FORBIDDEN

    def test_staff_sees_every_customer_by_id(self, api_client, authenticate, make_customer):
        first, second = make_customer(), make_customer()
        second.phone, second.membership = '555', Customer.MEMBERSHIP_GOLD
        second.save()
        staff = authenticate(is_staff=True)

        response = api_client.get(CUSTOMERS_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.data == [as_json(first), as_json(second), as_json(customer_of(staff))]

    @pytest.mark.parametrize('customer_count', [1, 20])
    def test_query_count_does_not_grow_with_the_customers(self, api_client, authenticate, make_customer,
                                                          django_assert_max_num_queries, customer_count):
        for _ in range(customer_count - 1):
            make_customer()
        authenticate(is_staff=True)

        with django_assert_max_num_queries(CUSTOMER_LIST_MAX_QUERIES):
            response = api_client.get(CUSTOMERS_URL)

        assert len(response.data) == customer_count


@pytest.mark.django_db
class TestCreateCustomer:
    def test_anonymous_returns_401(self, api_client, django_user_model):
        user = user_without_customer(django_user_model)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id, 'phone': '1'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert not Customer.objects.filter(user=user).exists()

    def test_non_staff_returns_403(self, api_client, authenticate, django_user_model):
        user = user_without_customer(django_user_model)
        authenticate()

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id, 'phone': '1'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert not Customer.objects.filter(user=user).exists()

    def test_staff_creates_the_profile_of_a_user_without_one(self, api_client, authenticate, django_user_model):
        user = user_without_customer(django_user_model)
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id, 'phone': '1', 'membership': 'G'},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        customer = customer_of(user)
        assert response.data == {'id': customer.id, 'user_id': user.id, 'phone': '1', 'birth_date': None,
                                 'membership': 'G'}
        assert customer.membership == Customer.MEMBERSHIP_GOLD

    def test_membership_defaults_to_bronze(self, api_client, authenticate, django_user_model):
        user = user_without_customer(django_user_model)
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id, 'phone': '1', 'birth_date': '2000-01-01'},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert (response.data['membership'], response.data['birth_date']) == ('B', '2000-01-01')

    def test_user_with_a_profile_returns_400(self, api_client, authenticate, make_customer):
        existing = make_customer()
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': existing.user_id, 'phone': '1'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'user_id': ['This user already has a customer profile.']}
        assert Customer.objects.filter(user_id=existing.user_id).count() == 1

    def test_unknown_user_returns_400(self, api_client, authenticate):
        authenticate(is_staff=True)
        count = Customer.objects.count()

        response = api_client.post(CUSTOMERS_URL, {'user_id': UNKNOWN_ID, 'phone': '1'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'user_id': ['No user with the given ID was found.']}
        assert Customer.objects.count() == count

    def test_missing_user_id_returns_400(self, api_client, authenticate):
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'phone': '1', 'membership': 'G'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'user_id': REQUIRED}

    def test_missing_phone_returns_400(self, api_client, authenticate, django_user_model):
        user = user_without_customer(django_user_model)
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'phone': REQUIRED}

    @pytest.mark.parametrize('user_id', [0, -1, 'abc', None, 10 ** 30])
    def test_malformed_user_id_returns_400(self, api_client, authenticate, user_id):
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user_id, 'phone': '1'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.data) == ['user_id']

    def test_unknown_membership_returns_400(self, api_client, authenticate, django_user_model):
        user = user_without_customer(django_user_model)
        authenticate(is_staff=True)

        response = api_client.post(CUSTOMERS_URL, {'user_id': user.id, 'phone': '1', 'membership': 'X'},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'membership': ['"X" is not a valid choice.']}


@pytest.mark.django_db
class TestRetrieveCustomer:
    def test_anonymous_returns_401(self, api_client, make_customer):
        assert api_client.get(detail_url(make_customer().id)).status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_returns_403_even_for_their_own_profile(self, api_client, authenticate):
        user = authenticate()

        response = api_client.get(detail_url(customer_of(user).id))

        assert response.status_code == status.HTTP_403_FORBIDDEN

    def test_staff_gets_the_profile(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.get(detail_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert response.data == as_json(customer)

    @pytest.mark.parametrize('customer_id', [UNKNOWN_ID, 'abc'])
    def test_unknown_customer_returns_404(self, api_client, authenticate, customer_id):
        authenticate(is_staff=True)

        assert api_client.get(detail_url(customer_id)).status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestUpdateCustomer:
    def test_anonymous_returns_401(self, api_client, make_customer):
        customer = make_customer()

        response = api_client.patch(detail_url(customer.id), {'membership': 'G'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert customer_of(customer.user).membership == Customer.MEMBERSHIP_BRONZE

    def test_non_staff_returns_403_even_for_their_own_profile(self, api_client, authenticate):
        customer = customer_of(authenticate())

        response = api_client.patch(detail_url(customer.id), {'membership': 'G'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert customer_of(customer.user).membership == Customer.MEMBERSHIP_BRONZE

    def test_staff_put_replaces_the_profile(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.put(detail_url(customer.id),
                                  {'phone': '9876', 'birth_date': '1998-05-15', 'membership': 'G'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.data == {'id': customer.id, 'user_id': customer.user_id, 'phone': '9876',
                                 'birth_date': '1998-05-15', 'membership': 'G'}
        assert as_json(customer_of(customer.user)) == response.data

    def test_staff_patch_sets_the_membership(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.patch(detail_url(customer.id), {'membership': 'S'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.data['membership'] == 'S'
        assert customer_of(customer.user).membership == Customer.MEMBERSHIP_SILVER

    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_staff_cannot_move_a_profile_to_another_user(self, api_client, authenticate, make_customer,
                                                         django_user_model, method):
        customer = make_customer()
        other = user_without_customer(django_user_model)
        authenticate(is_staff=True)

        response = getattr(api_client, method)(detail_url(customer.id), {'user_id': other.id, 'phone': '1'},
                                               format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.data['user_id'] == customer.user_id
        assert Customer.objects.get(pk=customer.pk).user_id == customer.user_id
        assert not Customer.objects.filter(user=other).exists()

    def test_staff_put_without_phone_returns_400(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.put(detail_url(customer.id), {'membership': 'G'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'phone': REQUIRED}

    def test_unknown_membership_returns_400(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.patch(detail_url(customer.id), {'membership': 'X'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.data) == ['membership']


@pytest.mark.django_db
class TestDeleteCustomer:
    def test_anonymous_returns_401(self, api_client, make_customer):
        customer = make_customer()

        assert api_client.delete(detail_url(customer.id)).status_code == status.HTTP_401_UNAUTHORIZED
        assert Customer.objects.filter(pk=customer.pk).exists()

    def test_non_staff_returns_403(self, api_client, authenticate, make_customer):
        customer = make_customer()
        authenticate()

        assert api_client.delete(detail_url(customer.id)).status_code == status.HTTP_403_FORBIDDEN
        assert Customer.objects.filter(pk=customer.pk).exists()

    def test_staff_deletes_the_profile_and_keeps_the_user(self, api_client, authenticate, make_customer,
                                                          django_user_model):
        customer = make_customer()
        authenticate(is_staff=True)

        response = api_client.delete(detail_url(customer.id))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not Customer.objects.filter(pk=customer.pk).exists()
        assert django_user_model.objects.filter(pk=customer.user_id).exists()

    def test_unknown_customer_returns_404(self, api_client, authenticate):
        authenticate(is_staff=True)

        assert api_client.delete(detail_url(UNKNOWN_ID)).status_code == status.HTTP_404_NOT_FOUND

    def test_customer_with_orders_is_refused_not_a_500(self, api_client, authenticate, make_customer):
        """Order.customer is PROTECT: like the product and collection guards, a 405 with an `error`."""
        customer = make_customer()
        make_order(customer)
        authenticate(is_staff=True)
        api_client.raise_request_exception = False

        response = api_client.delete(detail_url(customer.id))

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert response.data['error']
        assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db
class TestMe:
    def test_anonymous_returns_401(self, api_client):
        for method in ('get', 'put', 'patch'):
            response = getattr(api_client, method)(ME_URL, {'phone': '1'}, format='json')
            assert response.status_code == status.HTTP_401_UNAUTHORIZED
            assert response.data == NOT_AUTHENTICATED

    @pytest.mark.parametrize('is_staff', [False, True])
    def test_get_returns_the_callers_own_profile(self, api_client, authenticate, make_customer, is_staff):
        make_customer()
        user = authenticate(is_staff=is_staff)
        customer = customer_of(user)

        response = api_client.get(ME_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.data == {'id': customer.id, 'user_id': user.id, 'phone': '', 'birth_date': None,
                                 'membership': 'B'}

    def test_put_updates_phone_and_birth_date(self, api_client, authenticate):
        user = authenticate()

        response = api_client.put(ME_URL, {'phone': '9876', 'birth_date': '1998-05-15'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        customer = customer_of(user)
        assert response.data == {'id': customer.id, 'user_id': user.id, 'phone': '9876',
                                 'birth_date': '1998-05-15', 'membership': 'B'}
        assert (customer.phone, customer.birth_date.isoformat()) == ('9876', '1998-05-15')

    def test_put_requires_phone(self, api_client, authenticate):
        user = authenticate()

        response = api_client.put(ME_URL, {'birth_date': '1998-05-15'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'phone': REQUIRED}
        assert customer_of(user).birth_date is None

    def test_patch_updates_only_what_is_sent(self, api_client, authenticate):
        user = authenticate()
        Customer.objects.filter(user=user).update(phone='1234')

        response = api_client.patch(ME_URL, {'birth_date': '2000-01-01'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert (response.data['phone'], response.data['birth_date']) == ('1234', '2000-01-01')

    def test_invalid_birth_date_returns_400(self, api_client, authenticate):
        authenticate()

        response = api_client.patch(ME_URL, {'birth_date': 'yesterday'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.data) == ['birth_date']

    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_customer_cannot_raise_their_membership_nor_change_their_user(
            self, api_client, authenticate, django_user_model, method):
        other = user_without_customer(django_user_model)
        user = authenticate()

        response = getattr(api_client, method)(
            ME_URL, {'phone': '1', 'membership': 'G', 'user_id': other.id, 'id': UNKNOWN_ID}, format='json')

        assert response.status_code == status.HTTP_200_OK
        customer = customer_of(user)
        assert (response.data['membership'], response.data['user_id'], response.data['id']) == \
            ('B', user.id, customer.id)
        assert (customer.membership, customer.phone) == (Customer.MEMBERSHIP_BRONZE, '1')
        assert not Customer.objects.filter(user=other).exists()

    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_staff_may_change_their_own_membership(self, api_client, authenticate, django_user_model, method):
        other = user_without_customer(django_user_model)
        user = authenticate(is_staff=True)

        response = getattr(api_client, method)(ME_URL, {'phone': '1', 'membership': 'G', 'user_id': other.id},
                                               format='json')

        assert response.status_code == status.HTTP_200_OK
        assert (response.data['membership'], response.data['user_id']) == ('G', user.id)
        assert customer_of(user).membership == Customer.MEMBERSHIP_GOLD
        assert not Customer.objects.filter(user=other).exists()

    # Profiles are made with the user (store's post_save receiver; migration store.0005 gave one to every
    # older user). A user whose profile staff deleted has none, and reading never makes one.
    def test_user_without_a_profile_returns_404_on_get_and_nothing_is_written(self, api_client, django_user_model):
        user = user_without_customer(django_user_model)
        api_client.force_authenticate(user=user)

        response = api_client.get(ME_URL)

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.data == {'detail': 'No Customer matches the given query.'}
        assert not Customer.objects.filter(user=user).exists()

    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_user_without_a_profile_returns_404_on_update(self, api_client, django_user_model, method):
        user = user_without_customer(django_user_model)
        api_client.force_authenticate(user=user)

        response = getattr(api_client, method)(ME_URL, {'phone': '42'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Customer.objects.filter(user=user).exists()

    @pytest.mark.parametrize('method', ['post', 'delete'])
    def test_other_methods_return_405(self, api_client, authenticate, method):
        user = authenticate()

        response = getattr(api_client, method)(ME_URL)

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert Customer.objects.filter(user=user).exists()


@pytest.mark.django_db
class TestHistory:
    def test_anonymous_returns_401(self, api_client, make_customer):
        response = api_client.get(history_url(make_customer().id))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data == NOT_AUTHENTICATED

    def test_non_staff_without_the_permission_returns_403(self, api_client, authenticate):
        customer = customer_of(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.data == NOT_PERMITTED

    def test_staff_without_the_permission_returns_403(self, api_client, authenticate, make_customer):
        authenticate(is_staff=True)

        response = api_client.get(history_url(make_customer().id))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.data == NOT_PERMITTED

    def test_holder_of_view_history_gets_the_customers_orders_newest_first(
            self, api_client, authenticate, make_customer):
        customer = make_customer()
        older, newer = make_order(customer, item_count=1), make_order(customer, item_count=3)
        make_order(make_customer())
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert response.data == [order_json(newer), order_json(older)]
        assert set(response.data[0]) == ORDER_FIELDS

    def test_the_permission_alone_is_enough_without_staff(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        user = authenticate()
        grant_view_history(user)

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert len(response.data) == 1
        assert api_client.get(CUSTOMERS_URL).status_code == status.HTTP_403_FORBIDDEN

    def test_customer_service_group_grants_it(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        authenticate().groups.add(Group.objects.get(name='Customer Service'))

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert [order['customer'] for order in response.data] == [customer.id]

    def test_superuser_gets_it(self, api_client, authenticate, make_customer):
        customer = make_customer()
        make_order(customer)
        authenticate(is_staff=True, is_superuser=True)

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert len(response.data) == 1

    def test_shows_a_cancelled_order_with_its_cancellation_time(self, api_client, authenticate, make_customer):
        customer = make_customer()
        order = make_order(customer, payment_status=Order.PAYMENT_STATUS_FAILED)
        Order.objects.filter(pk=order.pk).update(cancelled_at=order.placed_at)
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.data[0]['payment_status'] == 'F'
        assert response.data[0]['cancelled_at'] == DateTimeField().to_representation(order.placed_at)

    def test_customer_without_orders_returns_an_empty_list(self, api_client, authenticate, make_customer):
        customer = make_customer()
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer.id))

        assert response.status_code == status.HTTP_200_OK
        assert response.data == []

    @pytest.mark.parametrize('customer_id', [UNKNOWN_ID, 'abc'])
    def test_unknown_customer_returns_404(self, api_client, authenticate, customer_id):
        grant_view_history(authenticate())

        response = api_client.get(history_url(customer_id))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_is_read_only(self, api_client, authenticate, make_customer):
        grant_view_history(authenticate(is_staff=True))

        response = api_client.post(history_url(make_customer().id), {}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED

    @pytest.mark.parametrize('order_count', [1, 10])
    def test_query_count_does_not_grow_with_the_orders(self, api_client, authenticate, make_customer,
                                                       django_assert_max_num_queries, order_count):
        customer = make_customer()
        for _ in range(order_count):
            make_order(customer, item_count=3)
        grant_view_history(authenticate())

        with django_assert_max_num_queries(CUSTOMER_HISTORY_MAX_QUERIES):
            response = api_client.get(history_url(customer.id))

        assert len(response.data) == order_count
        assert all(len(order['items']) == 3 for order in response.data)
