"""Throttles on the account endpoints (issue 14, items 1 and 3): every caller is counted by address,
with or without a token, and by the account or address a request names, from any address."""
import pytest
from django.contrib.auth.tokens import default_token_generator
from djoser.utils import encode_uid
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

USERS_URL = '/auth/users/'
JWT_CREATE_URL = '/auth/jwt/create/'
PASSWORD = 'ILoveDjango-42'


@pytest.fixture(autouse=True)
def rates(small_throttle_rates, settings):
    settings.DJOSER = {**settings.DJOSER, 'SEND_ACTIVATION_EMAIL': True}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username='ann', email='ann@example.com', password=PASSWORD)


def with_token(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f'JWT {RefreshToken.for_user(user).access_token}')
    return api_client


def from_address(api_client, address):
    api_client.defaults['REMOTE_ADDR'] = address
    return api_client


@pytest.mark.django_db
class TestRegistrationThrottle:
    def test_registration_throttle_counts_callers_with_a_valid_token(self, api_client, user, django_user_model):
        client = with_token(api_client, user)

        statuses = [client.post(USERS_URL, {'username': f'new{n}', 'password': PASSWORD,
                                            'email': f'new{n}@example.com'}, format='json').status_code
                    for n in range(4)]

        assert statuses == [201, 201, 201, 429]
        assert django_user_model.objects.filter(username__startswith='new').count() == 3


@pytest.mark.django_db
class TestLoginThrottle:
    def login(self, client, username='ann'):
        return client.post(JWT_CREATE_URL, {'username': username, 'password': PASSWORD}, format='json')

    def test_login_throttle_counts_callers_with_a_valid_token(self, api_client, user):
        client = with_token(api_client, user)

        assert [self.login(client).status_code for _ in range(4)] == [200, 200, 200, 429]

    def test_login_throttle_counts_one_username_from_every_address(self, api_client, user):
        statuses = [self.login(from_address(api_client, f'10.0.0.{n}')).status_code for n in range(4)]
        other_account = self.login(from_address(api_client, '10.0.0.9'), username='bob')

        assert statuses == [200, 200, 200, 429]
        assert other_account.status_code == status.HTTP_401_UNAUTHORIZED

    def test_the_username_is_counted_whatever_its_case(self, api_client, user):
        statuses = [self.login(from_address(api_client, f'10.0.0.{n}'), username=name).status_code
                    for n, name in enumerate(['ann', 'ANN', 'Ann', 'aNN'])]

        assert statuses[-1] == status.HTTP_429_TOO_MANY_REQUESTS


EMAIL_URLS = ['/auth/users/reset_password/', '/auth/users/reset_username/', '/auth/users/resend_activation/']


@pytest.mark.django_db
class TestAccountEmailThrottles:
    @pytest.mark.parametrize('url', EMAIL_URLS)
    def test_reset_password_is_throttled_per_target_address_from_every_client(self, api_client, user, url,
                                                                              mailoutbox):
        user.is_active = url != '/auth/users/resend_activation/'  # resend_activation mails inactive accounts
        user.save()

        statuses = [from_address(api_client, f'10.0.1.{n}').post(url, {'email': 'ann@example.com'},
                                                                  format='json').status_code for n in range(4)]

        assert statuses == [204, 204, 204, 429]
        assert len(mailoutbox) == 3

    @pytest.mark.parametrize('url', EMAIL_URLS)
    def test_reset_password_is_throttled_per_client(self, api_client, user, url):
        client = with_token(api_client, user)

        statuses = [client.post(url, {'email': f'someone{n}@example.com'}, format='json').status_code
                    for n in range(4)]

        assert statuses == [204, 204, 204, 429]

    def test_unknown_addresses_are_throttled_like_known_ones(self, api_client, db):
        statuses = [from_address(api_client, f'10.0.2.{n}').post(
            EMAIL_URLS[0], {'email': 'nobody@example.com'}, format='json').status_code for n in range(4)]

        assert statuses == [204, 204, 204, 429]

    def test_the_429_is_json_with_a_retry_after(self, api_client, db):
        for _ in range(3):
            api_client.post(EMAIL_URLS[0], {'email': 'nobody@example.com'}, format='json')

        response = api_client.post(EMAIL_URLS[0], {'email': 'nobody@example.com'}, format='json')

        assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
        assert response['Content-Type'] == 'application/json'
        assert response.json()['detail'].startswith('Request was throttled.')
        assert int(response['Retry-After']) > 0

    def test_the_confirm_step_is_not_throttled_by_the_request_step(self, api_client, user):
        for _ in range(4):
            api_client.post(EMAIL_URLS[0], {'email': 'ann@example.com'}, format='json')

        response = api_client.post('/auth/users/reset_password_confirm/', {
            'uid': encode_uid(user.pk), 'token': default_token_generator.make_token(user),
            'new_password': 'Brand-New-Secret-77'}, format='json')

        assert response.status_code == status.HTTP_204_NO_CONTENT


@pytest.mark.django_db
class TestPasswordCheckThrottle:
    @pytest.mark.parametrize('url, data', [
        ('/auth/users/set_password/', {'new_password': 'Brand-New-Secret-77'}),
        ('/auth/users/set_username/', {'new_username': 'annie'}),
    ])
    def test_set_password_is_throttled_per_user(self, user, url, data):
        statuses = [with_token(from_address(APIClient(), f'10.0.3.{n}'), user).post(
            url, {**data, 'current_password': f'guess-{n}'}, format='json').status_code for n in range(4)]

        assert statuses == [400, 400, 400, 429]

    def test_deleting_the_account_is_throttled_per_user(self, api_client, user, django_user_model):
        client = with_token(api_client, user)

        statuses = [client.delete('/auth/users/me/', {'current_password': f'guess-{n}'}, format='json').status_code
                    for n in range(4)]

        assert statuses == [400, 400, 400, 429]
        assert django_user_model.objects.filter(pk=user.pk).exists()

    def test_email_changes_are_throttled_per_user(self, api_client, user):
        client = with_token(api_client, user)

        statuses = [client.patch('/auth/users/me/', {'email': 'new@example.com', 'current_password': f'guess-{n}'},
                                 format='json').status_code for n in range(4)]

        assert statuses == [400, 400, 400, 429]

    def test_other_profile_edits_are_not_throttled(self, api_client, user):
        client = with_token(api_client, user)

        statuses = [client.patch('/auth/users/me/', {'first_name': f'Ann{n}'}, format='json').status_code
                    for n in range(5)]

        assert statuses == [200] * 5
