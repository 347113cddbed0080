"""API tests for /auth/: djoser registration and users, simplejwt tokens, JWT headers, throttling.

Registration returns the five user fields and the signal gives the new user a Customer (course-part3 §2, §6,
§7.1, §14). Tokens travel as `Authorization: JWT <access>`; `Bearer` is accepted too (DECISIONS §3). Login and
registration are throttled (DECISIONS §4). Error strings are the libraries' real ones (course-part3 §13.13).
"""
import base64
import json

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import status
from rest_framework.test import APIClient

from core.throttles import LoginRateThrottle, RegistrationRateThrottle
from store.models import Customer

USERS_URL = '/auth/users/'
ME_URL = '/auth/users/me/'
JWT_CREATE_URL = '/auth/jwt/create/'
JWT_REFRESH_URL = '/auth/jwt/refresh/'
JWT_VERIFY_URL = '/auth/jwt/verify/'

USER_FIELDS = {'id', 'username', 'email', 'first_name', 'last_name'}
PASSWORD = 'ILoveDjango-42'
REGISTRATION = {'username': 'user2', 'password': PASSWORD, 'email': 'user2@domain.com',
                'first_name': 'Joe', 'last_name': 'Smith'}

NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}
NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials'
REQUIRED = ['This field is required.']
TOO_SHORT = 'This password is too short. It must contain at least 8 characters.'
TOO_COMMON = 'This password is too common.'
ENTIRELY_NUMERIC = 'This password is entirely numeric.'

# Small rates for the throttling tests: the 4th attempt within the minute is refused.
TEST_THROTTLE_RATES = {'login': '3/min', 'registration': '3/min'}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username='user1', email='user1@domain.com', password=PASSWORD, first_name='Ann', last_name='Lee')


@pytest.fixture
def tokens(api_client, user):
    """A real access/refresh pair obtained by logging in as `user`."""
    response = api_client.post(JWT_CREATE_URL, {'username': user.username, 'password': PASSWORD}, format='json')
    assert response.status_code == status.HTTP_200_OK
    return response.data


def client_with(authorization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def tampered(token, **claims):
    """The token with its payload changed but the original signature kept."""
    header, payload, signature = token.split('.')
    data = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    data.update(claims)
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b'=').decode()
    return f'{header}.{payload}.{signature}'


@pytest.mark.django_db
class TestRegister:
    def test_returns_201_with_the_five_user_fields_and_no_password(self, api_client, django_user_model):
        response = api_client.post(USERS_URL, REGISTRATION, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert set(response.data) == USER_FIELDS
        user = django_user_model.objects.get(username='user2')
        assert response.data == {'id': user.id, 'username': 'user2', 'email': 'user2@domain.com',
                                 'first_name': 'Joe', 'last_name': 'Smith'}
        assert user.check_password(PASSWORD)
        assert not user.is_staff and not user.is_superuser

    def test_creates_the_new_users_customer(self, api_client):
        response = api_client.post(USERS_URL, REGISTRATION, format='json')

        customer = Customer.objects.get(user_id=response.data['id'])
        assert (customer.phone, customer.birth_date, customer.membership) == ('', None, Customer.MEMBERSHIP_BRONZE)

    def test_names_are_optional(self, api_client):
        data = {key: REGISTRATION[key] for key in ('username', 'password', 'email')}

        response = api_client.post(USERS_URL, data, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert (response.data['first_name'], response.data['last_name']) == ('', '')

    def test_cannot_make_oneself_staff(self, api_client, django_user_model):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'is_staff': True, 'is_superuser': True}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        user = django_user_model.objects.get(username='user2')
        assert not user.is_staff and not user.is_superuser

    def test_duplicate_username_returns_400(self, api_client, user):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'username': user.username}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'username': ['A user with that username already exists.']}

    def test_duplicate_email_returns_400(self, api_client, user, django_user_model):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'email': user.email}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'email': ['user with this email already exists.']}
        assert django_user_model.objects.count() == 1

    @pytest.mark.parametrize('password, messages', [
        ('Xy7#kq', [TOO_SHORT]),
        ('password123', [TOO_COMMON]),
        ('98127364519', [ENTIRELY_NUMERIC]),
        ('1234567', [TOO_SHORT, TOO_COMMON, ENTIRELY_NUMERIC]),
    ])
    def test_weak_password_returns_400_with_djangos_messages(self, api_client, django_user_model, password, messages):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'password': password}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'password': messages}
        assert not django_user_model.objects.exists()

    def test_password_like_the_username_returns_400(self, api_client):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'username': 'joesmithson', 'password': 'joesmithson'},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'password': ['The password is too similar to the username.']}

    @pytest.mark.parametrize('missing', ['username', 'password', 'email'])
    def test_missing_required_field_returns_400(self, api_client, django_user_model, missing):
        data = {key: value for key, value in REGISTRATION.items() if key != missing}

        response = api_client.post(USERS_URL, data, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {missing: REQUIRED}
        assert not django_user_model.objects.exists()

    def test_empty_body_returns_400_naming_each_required_field(self, api_client):
        response = api_client.post(USERS_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'username': REQUIRED, 'password': REQUIRED, 'email': REQUIRED}

    def test_invalid_email_returns_400(self, api_client):
        response = api_client.post(USERS_URL, {**REGISTRATION, 'email': 'not-an-email'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'email': ['Enter a valid email address.']}


@pytest.mark.django_db
class TestCurrentUser:
    def test_anonymous_returns_401(self, api_client):
        response = api_client.get(ME_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data == NOT_AUTHENTICATED

    def test_returns_the_five_user_fields(self, api_client, user):
        api_client.force_authenticate(user=user)

        response = api_client.get(ME_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.data == {'id': user.id, 'username': 'user1', 'email': 'user1@domain.com',
                                 'first_name': 'Ann', 'last_name': 'Lee'}


@pytest.mark.django_db
class TestListUsers:
    def test_anonymous_returns_401(self, api_client):
        response = api_client.get(USERS_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data == NOT_AUTHENTICATED

    def test_non_staff_user_sees_only_themselves(self, api_client, authenticate, django_user_model):
        django_user_model.objects.create_user(username='other', email='other@domain.com', password=PASSWORD)
        me = authenticate()

        response = api_client.get(USERS_URL)

        assert response.status_code == status.HTTP_200_OK
        assert [item['id'] for item in response.data] == [me.id]
        assert set(response.data[0]) == USER_FIELDS

    def test_non_staff_user_cannot_retrieve_another_user(self, api_client, authenticate, django_user_model):
        other = django_user_model.objects.create_user(username='other', email='other@domain.com', password=PASSWORD)
        authenticate()

        response = api_client.get(f'{USERS_URL}{other.id}/')

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_staff_sees_every_user(self, api_client, authenticate, django_user_model):
        other = django_user_model.objects.create_user(username='other', email='other@domain.com', password=PASSWORD)
        me = authenticate(is_staff=True)

        response = api_client.get(USERS_URL)

        assert response.status_code == status.HTTP_200_OK
        assert {item['id'] for item in response.data} == {me.id, other.id}


@pytest.mark.django_db
class TestCreateToken:
    def test_returns_200_with_access_and_refresh(self, api_client, user):
        response = api_client.post(JWT_CREATE_URL, {'username': 'user1', 'password': PASSWORD}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert set(response.data) == {'access', 'refresh'}
        assert all(isinstance(token, str) and token.count('.') == 2 for token in response.data.values())

    def test_access_token_names_the_user(self, tokens, user):
        header, payload, _ = tokens['access'].split('.')
        claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))

        assert claims['user_id'] in (user.id, str(user.id))
        assert claims['token_type'] == 'access'

    def test_wrong_password_returns_401(self, api_client, user):
        response = api_client.post(JWT_CREATE_URL, {'username': 'user1', 'password': 'wrong-password'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == NO_ACTIVE_ACCOUNT

    def test_unknown_user_returns_401(self, api_client, db):
        response = api_client.post(JWT_CREATE_URL, {'username': 'nobody', 'password': PASSWORD}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == NO_ACTIVE_ACCOUNT

    def test_inactive_user_returns_401(self, api_client, user):
        user.is_active = False
        user.save()

        response = api_client.post(JWT_CREATE_URL, {'username': 'user1', 'password': PASSWORD}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == NO_ACTIVE_ACCOUNT

    @pytest.mark.parametrize('data, expected', [
        ({}, {'username': REQUIRED, 'password': REQUIRED}),
        ({'username': 'user1'}, {'password': REQUIRED}),
        ({'password': PASSWORD}, {'username': REQUIRED}),
    ])
    def test_missing_fields_return_400(self, api_client, user, data, expected):
        response = api_client.post(JWT_CREATE_URL, data, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == expected


@pytest.mark.django_db
class TestRefreshToken:
    def test_returns_200_with_a_new_access_token_and_a_rotated_refresh_token(self, api_client, tokens):
        response = api_client.post(JWT_REFRESH_URL, {'refresh': tokens['refresh']}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert set(response.data) == {'access', 'refresh'}
        assert client_with(f'JWT {response.data["access"]}').get(ME_URL).status_code == status.HTTP_200_OK

    @pytest.mark.parametrize('refresh', ['garbage', 'a.b.c'])
    def test_bad_refresh_token_returns_401(self, api_client, db, refresh):
        response = api_client.post(JWT_REFRESH_URL, {'refresh': refresh}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['code'] == 'token_not_valid'

    def test_access_token_is_not_a_refresh_token(self, api_client, tokens):
        response = api_client.post(JWT_REFRESH_URL, {'refresh': tokens['access']}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_missing_refresh_returns_400(self, api_client, db):
        response = api_client.post(JWT_REFRESH_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'refresh': REQUIRED}


@pytest.mark.django_db
class TestVerifyToken:
    @pytest.mark.parametrize('kind', ['access', 'refresh'])
    def test_valid_token_returns_200(self, api_client, tokens, kind):
        response = api_client.post(JWT_VERIFY_URL, {'token': tokens[kind]}, format='json')

        assert response.status_code == status.HTTP_200_OK

    def test_tampered_token_returns_401(self, api_client, tokens, user):
        token = tampered(tokens['access'], user_id=user.id + 1)

        response = api_client.post(JWT_VERIFY_URL, {'token': token}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['code'] == 'token_not_valid'

    def test_garbage_returns_401(self, api_client, db):
        response = api_client.post(JWT_VERIFY_URL, {'token': 'garbage'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_missing_token_returns_400(self, api_client, db):
        response = api_client.post(JWT_VERIFY_URL, {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'token': REQUIRED}


@pytest.mark.django_db
class TestJwtHeader:
    @pytest.mark.parametrize('prefix', ['JWT', 'Bearer'])
    def test_real_access_token_authenticates(self, tokens, user, prefix):
        response = client_with(f'{prefix} {tokens["access"]}').get(ME_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.data['id'] == user.id

    def test_real_access_token_reaches_the_store_api(self, tokens, user):
        response = client_with(f'JWT {tokens["access"]}').get('/store/customers/me/')

        assert response.status_code == status.HTTP_200_OK
        assert response.data['user_id'] == user.id

    def test_refresh_token_does_not_authenticate(self, tokens):
        response = client_with(f'JWT {tokens["refresh"]}').get(ME_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_tampered_token_returns_401(self, tokens, user, django_user_model):
        other = django_user_model.objects.create_user(username='other', email='other@domain.com', password=PASSWORD)

        response = client_with(f'JWT {tampered(tokens["access"], user_id=other.id)}').get(ME_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['code'] == 'token_not_valid'

    def test_token_of_a_deleted_user_returns_401(self, tokens, user):
        user.delete()

        response = client_with(f'JWT {tokens["access"]}').get(ME_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    @pytest.mark.parametrize('authorization', [
        'JWT garbage',
        'Bearer not.a.token',
        'JWT',
        'JWT one two',
        'garbage',
        'Token abc',
    ])
    def test_garbage_header_returns_401(self, db, authorization):
        response = client_with(authorization).get(ME_URL)

        assert response.status_code == status.HTTP_401_UNAUTHORIZED


@pytest.fixture
def small_throttle_rates(monkeypatch):
    """DRF reads the rates into the throttle classes at import time: patch the classes, not the settings."""
    for throttle_class in (LoginRateThrottle, RegistrationRateThrottle):
        monkeypatch.setattr(throttle_class, 'THROTTLE_RATES', TEST_THROTTLE_RATES)
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures('small_throttle_rates')
class TestThrottling:
    def login(self, client, password=PASSWORD):
        return client.post(JWT_CREATE_URL, {'username': 'user1', 'password': password}, format='json')

    def register(self, client, number):
        return client.post(USERS_URL, {**REGISTRATION, 'username': f'user{number}x',
                                       'email': f'user{number}x@domain.com'}, format='json')

    def test_fourth_login_within_the_minute_returns_429(self, api_client, user):
        statuses = [self.login(api_client).status_code for _ in range(4)]

        assert statuses == [200, 200, 200, 429]

    def test_failed_logins_count_too(self, api_client, user):
        statuses = [self.login(api_client, password='wrong-password').status_code for _ in range(3)]
        response = self.login(api_client)

        assert statuses == [401, 401, 401]
        assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
        assert 'Retry-After' in response.headers
        assert 'throttled' in response.data['detail']

    def test_fourth_registration_within_the_minute_returns_429(self, api_client, django_user_model):
        statuses = [self.register(api_client, number).status_code for number in range(4)]

        assert statuses == [201, 201, 201, 429]
        assert django_user_model.objects.count() == 3

    def test_login_and_registration_are_counted_apart(self, api_client, user):
        for _ in range(3):
            self.login(api_client)

        assert self.login(api_client).status_code == status.HTTP_429_TOO_MANY_REQUESTS
        assert self.register(api_client, 1).status_code == status.HTTP_201_CREATED

    def test_authenticated_requests_to_other_endpoints_are_not_throttled(self, api_client, user):
        for _ in range(3):
            access = self.login(api_client).data['access']
        assert self.login(api_client).status_code == status.HTTP_429_TOO_MANY_REQUESTS

        client = client_with(f'JWT {access}')
        statuses = [client.get(url).status_code for url in (ME_URL, USERS_URL, '/store/customers/me/') * 3]

        assert statuses == [200] * 9

    def test_other_users_actions_are_not_throttled(self, api_client, user):
        for number in range(3):
            self.register(api_client, number)
        assert self.register(api_client, 9).status_code == status.HTTP_429_TOO_MANY_REQUESTS

        api_client.force_authenticate(user=user)
        statuses = [api_client.patch(ME_URL, {'first_name': f'Ann{n}'}, format='json').status_code for n in range(5)]

        assert statuses == [200] * 5


@pytest.mark.django_db
class TestRegistrationEmailCase:
    def test_an_address_differing_only_in_case_is_taken(self, api_client, django_user_model):
        django_user_model.objects.create_user(username='first', email='ann@example.com', password='x')
        response = api_client.post('/auth/users/', {
            'username': 'second', 'password': 'ILoveDjango-2024', 'email': 'ANN@Example.com',
            'first_name': 'A', 'last_name': 'B'}, format='json')
        assert response.status_code == 400
        assert response.data['email'] == ['user with this email already exists.']


@pytest.mark.django_db
class TestHeadCurrentUser:
    def test_head_me_with_a_token_is_200_and_writes_nothing(self, tokens, user):
        client = client_with(f'JWT {tokens["access"]}')

        with CaptureQueriesContext(connection) as queries:
            response = client.head(ME_URL)

        assert response.status_code == status.HTTP_200_OK
        assert response.content == b''
        assert all(query['sql'].lstrip().upper().startswith('SELECT') for query in queries.captured_queries)

    def test_head_me_without_a_token_is_401(self, api_client, db):
        assert api_client.head(ME_URL).status_code == status.HTTP_401_UNAUTHORIZED


@pytest.mark.django_db
class TestUpdateEmail:
    def test_email_uniqueness_ignores_case_on_update(self, api_client, user, django_user_model):
        django_user_model.objects.create_user(username='admin', email='admin@example.com', password='x')
        api_client.force_authenticate(user=user)

        response = api_client.patch(ME_URL, {'email': 'ADMIN@EXAMPLE.COM', 'current_password': PASSWORD},
                                    format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'email': ['user with this email already exists.']}

    def test_changing_the_email_requires_the_current_password(self, api_client, user):
        api_client.force_authenticate(user=user)

        response = api_client.patch(ME_URL, {'email': 'new@example.com'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'current_password': ['This field is required to change the e-mail address.']}
        user.refresh_from_db()
        assert user.email == 'user1@domain.com'

    def test_a_wrong_current_password_does_not_change_the_email(self, api_client, user):
        api_client.force_authenticate(user=user)

        response = api_client.put(ME_URL, {'email': 'new@example.com', 'current_password': 'wrong'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'current_password': ['Invalid password.']}

    def test_the_current_password_changes_the_email(self, api_client, user):
        api_client.force_authenticate(user=user)

        response = api_client.patch(ME_URL, {'email': 'new@example.com', 'current_password': PASSWORD}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.data == {'id': user.id, 'username': 'user1', 'email': 'new@example.com',
                                 'first_name': 'Ann', 'last_name': 'Lee'}

    def test_the_same_email_needs_no_password(self, api_client, user):
        api_client.force_authenticate(user=user)

        response = api_client.patch(ME_URL, {'email': 'user1@domain.com', 'first_name': 'Annie'}, format='json')

        assert response.status_code == status.HTTP_200_OK

    def test_the_database_refuses_an_email_differing_only_in_case(self, user, django_user_model):
        with pytest.raises(IntegrityError), transaction.atomic():
            django_user_model.objects.create_user(username='other', email='USER1@domain.com', password='x')
