"""Account e-mails sent by djoser: password reset, and account activation when SEND_ACTIVATION_EMAIL is on.

The links point at the SPA's pages (DJOSER's PASSWORD_RESET_CONFIRM_URL and ACTIVATION_URL) on DOMAIN; the
uid and token they carry complete the flow through the API.
"""
import re
import socket

import pytest
from django.contrib.auth.tokens import default_token_generator
from djoser.utils import encode_uid
from rest_framework import status
from rest_framework.test import APIClient

USERS_URL = '/auth/users/'
RESET_PASSWORD_URL = '/auth/users/reset_password/'
RESET_PASSWORD_CONFIRM_URL = '/auth/users/reset_password_confirm/'
ACTIVATION_URL = '/auth/users/activation/'
JWT_CREATE_URL = '/auth/jwt/create/'

PASSWORD = 'ILoveDjango-42'
NEW_PASSWORD = 'Brand-New-Secret-77'
REGISTRATION = {'username': 'newbie', 'password': PASSWORD, 'email': 'newbie@example.com',
                'first_name': 'New', 'last_name': 'Bie'}
NO_ACTIVE_ACCOUNT = {'detail': 'No active account found with the given credentials'}


def link_parts(body, path):
    """The (uid, token) of the one `http://DOMAIN/<path>/<uid>/<token>` link in an e-mail body."""
    matches = re.findall(rf'http://localhost:8000/{path}/([^/\s]+)/([^/\s]+)', body)
    assert len(matches) == 1, body
    return matches[0]


def login(api_client, username, password):
    return api_client.post(JWT_CREATE_URL, {'username': username, 'password': password}, format='json')


@pytest.fixture(autouse=True)
def known_domain(settings):
    settings.DOMAIN = 'localhost:8000'
    settings.SITE_NAME = 'Storefront'


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username='ann', email='ann@example.com', password=PASSWORD)


@pytest.mark.django_db
class TestPasswordReset:
    def test_an_existing_address_gets_one_email_with_the_reset_link(self, api_client, user, mailoutbox):
        response = api_client.post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')

        assert response.status_code == status.HTTP_204_NO_CONTENT
        [message] = mailoutbox
        assert message.to == ['ann@example.com']
        assert message.subject == 'Password reset on Storefront'
        uid, token = link_parts(message.body, 'password-reset')
        assert uid == encode_uid(user.pk)
        assert default_token_generator.check_token(user, token)
        assert f'http://localhost:8000/password-reset/{uid}/{token}' in message.alternatives[0][0]

    def test_an_unknown_address_gets_204_and_no_email(self, api_client, user, mailoutbox):
        response = api_client.post(RESET_PASSWORD_URL, {'email': 'nobody@example.com'}, format='json')
        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert mailoutbox == []

    def test_the_emailed_uid_and_token_set_a_new_password(self, api_client, user, mailoutbox):
        api_client.post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')
        uid, token = link_parts(mailoutbox[0].body, 'password-reset')

        response = api_client.post(RESET_PASSWORD_CONFIRM_URL,
                                   {'uid': uid, 'token': token, 'new_password': NEW_PASSWORD}, format='json')

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert login(api_client, 'ann', NEW_PASSWORD).status_code == status.HTTP_200_OK
        assert login(api_client, 'ann', PASSWORD).status_code == status.HTTP_401_UNAUTHORIZED

    def test_the_token_works_only_once(self, api_client, user, mailoutbox):
        api_client.post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')
        uid, token = link_parts(mailoutbox[0].body, 'password-reset')
        data = {'uid': uid, 'token': token, 'new_password': NEW_PASSWORD}
        assert api_client.post(RESET_PASSWORD_CONFIRM_URL, data, format='json').status_code == 204

        replay = api_client.post(RESET_PASSWORD_CONFIRM_URL, {**data, 'new_password': 'Another-Secret-88'},
                                 format='json')

        assert replay.status_code == status.HTTP_400_BAD_REQUEST
        assert replay.data == {'token': ['Invalid token for given user.']}
        assert login(api_client, 'ann', NEW_PASSWORD).status_code == status.HTTP_200_OK


@pytest.fixture
def activation_on(settings):
    settings.DJOSER = {**settings.DJOSER, 'SEND_ACTIVATION_EMAIL': True}


@pytest.mark.django_db
class TestActivationOn:
    def test_registration_creates_an_inactive_user_and_sends_the_activation_link(
            self, activation_on, api_client, django_user_model, mailoutbox):
        response = api_client.post(USERS_URL, REGISTRATION, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        user = django_user_model.objects.get(username='newbie')
        assert user.is_active is False
        [message] = mailoutbox
        assert message.to == ['newbie@example.com']
        assert message.subject == 'Account activation on Storefront'
        uid, token = link_parts(message.body, 'activate')
        assert uid == encode_uid(user.pk)
        assert default_token_generator.check_token(user, token)

    def test_login_is_refused_until_the_emailed_link_is_used(self, activation_on, api_client, mailoutbox):
        api_client.post(USERS_URL, REGISTRATION, format='json')
        uid, token = link_parts(mailoutbox[0].body, 'activate')

        refused = login(api_client, 'newbie', PASSWORD)
        assert refused.status_code == status.HTTP_401_UNAUTHORIZED
        assert refused.data == NO_ACTIVE_ACCOUNT

        activated = api_client.post(ACTIVATION_URL, {'uid': uid, 'token': token}, format='json')
        assert activated.status_code == status.HTTP_204_NO_CONTENT

        assert login(api_client, 'newbie', PASSWORD).status_code == status.HTTP_200_OK

    def test_the_activation_link_works_only_once(self, activation_on, api_client, mailoutbox):
        api_client.post(USERS_URL, REGISTRATION, format='json')
        uid, token = link_parts(mailoutbox[0].body, 'activate')
        assert api_client.post(ACTIVATION_URL, {'uid': uid, 'token': token}, format='json').status_code == 204

        replay = api_client.post(ACTIVATION_URL, {'uid': uid, 'token': token}, format='json')

        assert replay.status_code == status.HTTP_403_FORBIDDEN
        assert replay.data == {'detail': 'Stale token for given user.'}


@pytest.mark.django_db
class TestActivationOff:
    """The default (SEND_ACTIVATION_EMAIL unset); forced off here in case the environment switches it on."""

    def test_registration_creates_an_active_user_and_sends_no_email(self, settings, api_client, django_user_model,
                                                                     mailoutbox):
        settings.DJOSER = {**settings.DJOSER, 'SEND_ACTIVATION_EMAIL': False}
        response = api_client.post(USERS_URL, REGISTRATION, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert django_user_model.objects.get(username='newbie').is_active is True
        assert mailoutbox == []
        assert login(api_client, 'newbie', PASSWORD).status_code == status.HTTP_200_OK


@pytest.fixture
def smtp_down(settings):
    """The SMTP backend pointed at a local port nobody listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = '127.0.0.1', port, 2


@pytest.mark.django_db
class TestAccountEmailsAreQueued:
    def test_password_reset_email_is_sent_after_the_commit(self, user, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            response = APIClient().post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')
            assert response.status_code == status.HTTP_204_NO_CONTENT
            assert mailoutbox == []

        for callback in callbacks:
            callback()
        assert [message.to for message in mailoutbox] == [['ann@example.com']]

    def test_password_reset_is_204_and_logged_when_smtp_is_down(self, api_client, user, smtp_down, caplog):
        response = api_client.post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')

        assert response.status_code == status.HTTP_204_NO_CONTENT
        [record] = [record for record in caplog.records if record.name == 'core.tasks']
        assert record.levelname == 'ERROR'
        assert record.getMessage() == (
            f'Could not send the account e-mail core.emails.PasswordResetEmail to user {user.pk}.')

    def test_password_reset_answers_known_and_unknown_addresses_alike_when_smtp_is_down(self, api_client, user,
                                                                                      smtp_down):
        known = api_client.post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')
        unknown = api_client.post(RESET_PASSWORD_URL, {'email': 'nobody@example.com'}, format='json')

        assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (204, b'')

    def test_registration_with_activation_is_201_when_smtp_is_down(self, activation_on, api_client, smtp_down,
                                                                   django_user_model):
        response = api_client.post(USERS_URL, REGISTRATION, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert django_user_model.objects.filter(username='newbie', is_active=False).exists()

    def test_an_email_for_an_account_deleted_meanwhile_is_dropped(self, user, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            APIClient().post(RESET_PASSWORD_URL, {'email': 'ann@example.com'}, format='json')
        user.delete()

        for callback in callbacks:
            callback()
        assert mailoutbox == []
