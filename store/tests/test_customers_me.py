"""API tests for /store/customers/me/: any logged-in user's own profile. Customers cannot
raise their own membership nor pick their user (DECISIONS §3); a user without a profile gets a 404 and
nothing is written."""
import pytest
from rest_framework import status

from store.models import Customer

from .customers_helpers import NOT_AUTHENTICATED, REQUIRED, UNKNOWN_ID, user_without_customer
from .factories import customer_of

ME_URL = '/store/customers/me/'


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
                                 'membership': 'B', 'liked_product_alerts': True}

    def test_head_of_me_never_writes(self, api_client, authenticate):
        user = authenticate()
        Customer.objects.filter(user=user).update(phone='1234')

        response = api_client.generic('HEAD', ME_URL, '{"phone": "9999", "birth_date": "2000-01-01"}',
                                      content_type='application/json')

        assert response.status_code == status.HTTP_200_OK
        assert response.content == b''
        assert Customer.objects.values_list('phone', 'birth_date').get(user=user) == ('1234', None)

    def test_put_updates_phone_and_birth_date(self, api_client, authenticate):
        user = authenticate()

        response = api_client.put(ME_URL, {'phone': '9876', 'birth_date': '1998-05-15'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        customer = customer_of(user)
        assert response.data == {'id': customer.id, 'user_id': user.id, 'phone': '9876',
                                 'birth_date': '1998-05-15', 'membership': 'B', 'liked_product_alerts': True}
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
