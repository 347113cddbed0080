"""API tests for /store/customers/, staff CRUD: list, create, retrieve, update, delete.

CRUD is staff only (IsAdminUser); `me` (any logged-in user's own profile, test_customers_me.py) and
`history` (needs `store.view_history`, test_customers_history.py) are tested beside it (course-part3 §8.2,
§9, §11). Staff cannot move a profile to another user; users that predate the customer signal still get a
profile; bad input is a 4xx, never a 500.
"""
import pytest
from django.contrib.auth.models import Group
from rest_framework import status

from store.models import Customer

from .customers_helpers import (
    CUSTOMERS_URL,
    NOT_AUTHENTICATED,
    NOT_PERMITTED,
    REQUIRED,
    UNKNOWN_ID,
    make_order,
    user_without_customer,
)
from .factories import customer_of

# The customers (one query, no per-row lookups), whatever their number.
CUSTOMER_LIST_MAX_QUERIES = 1

CUSTOMER_FIELDS = {'id', 'user_id', 'phone', 'birth_date', 'membership', 'liked_product_alerts'}
NOT_FOUND = {'detail': 'No Customer matches the given query.'}


def detail_url(customer_id):
    return f'{CUSTOMERS_URL}{customer_id}/'


def as_json(customer):
    return {'id': customer.id, 'user_id': customer.user_id, 'phone': customer.phone,
            'birth_date': customer.birth_date.isoformat() if customer.birth_date else None,
            'membership': customer.membership, 'liked_product_alerts': customer.liked_product_alerts}


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
                                 'membership': 'G', 'liked_product_alerts': True}
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
                                 'birth_date': '1998-05-15', 'membership': 'G',
                                 'liked_product_alerts': True}
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
