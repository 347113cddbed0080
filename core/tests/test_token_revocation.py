"""Revocable tokens (issue 14, item 4): rotation with blacklisting, logout, and a password change or reset
revoking every token issued before it, access tokens included, from the next request."""
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from djoser.utils import encode_uid
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from core.tasks import flush_expired_tokens
from storefront.celery import celery

ME_URL = '/auth/users/me/'
JWT_CREATE_URL = '/auth/jwt/create/'
JWT_REFRESH_URL = '/auth/jwt/refresh/'
JWT_BLACKLIST_URL = '/auth/jwt/blacklist/'
PASSWORD = 'ILoveDjango-42'
NEW_PASSWORD = 'Brand-New-Secret-77'
PASSWORD_CHANGED = "The user's password has been changed."


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username='ann', email='ann@example.com', password=PASSWORD)


@pytest.fixture
def tokens(api_client, user):
    response = api_client.post(JWT_CREATE_URL, {'username': 'ann', 'password': PASSWORD}, format='json')
    assert response.status_code == status.HTTP_200_OK
    return response.data


def me(access, prefix='JWT'):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'{prefix} {access}')
    return client.get(ME_URL)


def refresh(api_client, token):
    return api_client.post(JWT_REFRESH_URL, {'refresh': token}, format='json')


@pytest.mark.django_db
class TestLogout:
    def test_logout_blacklists_the_refresh_token(self, api_client, tokens):
        response = api_client.post(JWT_BLACKLIST_URL, {'refresh': tokens['refresh']}, format='json')

        assert response.status_code == status.HTTP_200_OK
        refused = refresh(api_client, tokens['refresh'])
        assert refused.status_code == status.HTTP_401_UNAUTHORIZED
        assert refused.data['code'] == 'token_not_valid'

    def test_an_access_token_is_not_accepted_for_logout(self, api_client, tokens):
        response = api_client.post(JWT_BLACKLIST_URL, {'refresh': tokens['access']}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED


@pytest.mark.django_db
class TestRotation:
    def test_a_refresh_rotates_and_blacklists_the_used_refresh_token(self, api_client, tokens):
        first = refresh(api_client, tokens['refresh'])

        assert first.status_code == status.HTTP_200_OK
        assert first.data['refresh'] != tokens['refresh']
        assert refresh(api_client, tokens['refresh']).status_code == status.HTTP_401_UNAUTHORIZED
        assert refresh(api_client, first.data['refresh']).status_code == status.HTTP_200_OK
        assert me(first.data['access']).status_code == status.HTTP_200_OK


@pytest.mark.django_db
class TestPasswordChangeRevokesTokens:
    @pytest.mark.parametrize('prefix', ['JWT', 'Bearer'])
    def test_set_password_revokes_earlier_access_and_refresh_tokens(self, api_client, tokens, prefix):
        changed = APIClient()
        changed.credentials(HTTP_AUTHORIZATION=f'{prefix} {tokens["access"]}')
        response = changed.post('/auth/users/set_password/',
                                {'current_password': PASSWORD, 'new_password': NEW_PASSWORD}, format='json')
        assert response.status_code == status.HTTP_204_NO_CONTENT

        old_access = me(tokens['access'], prefix)
        old_refresh = refresh(api_client, tokens['refresh'])

        assert old_access.status_code == status.HTTP_401_UNAUTHORIZED
        assert old_access.data['detail'] == PASSWORD_CHANGED
        assert old_refresh.status_code == status.HTTP_401_UNAUTHORIZED
        assert old_refresh.data['detail'] == PASSWORD_CHANGED

    def test_password_reset_revokes_earlier_access_and_refresh_tokens(self, api_client, user, tokens):
        response = api_client.post('/auth/users/reset_password_confirm/', {
            'uid': encode_uid(user.pk), 'token': default_token_generator.make_token(user),
            'new_password': NEW_PASSWORD}, format='json')
        assert response.status_code == status.HTTP_204_NO_CONTENT

        assert me(tokens['access']).status_code == status.HTTP_401_UNAUTHORIZED
        assert refresh(api_client, tokens['refresh']).status_code == status.HTTP_401_UNAUTHORIZED

    @pytest.mark.parametrize('kind', ['access', 'refresh'])
    def test_a_token_issued_before_a_password_change_does_not_verify(self, api_client, user, tokens, kind):
        user.set_password(NEW_PASSWORD)
        user.save()

        response = api_client.post('/auth/jwt/verify/', {'token': tokens[kind]}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == PASSWORD_CHANGED

    def test_tokens_issued_after_the_change_work(self, api_client, user, tokens):
        user.set_password(NEW_PASSWORD)
        user.save()

        fresh = api_client.post(JWT_CREATE_URL, {'username': 'ann', 'password': NEW_PASSWORD}, format='json').data

        assert me(fresh['access']).status_code == status.HTTP_200_OK
        assert refresh(api_client, fresh['refresh']).status_code == status.HTTP_200_OK


@pytest.mark.django_db
class TestRefreshOfAGoneAccount:
    def test_refreshing_a_token_of_a_deleted_account_is_401(self, api_client, user, tokens):
        user.delete()

        response = refresh(api_client, tokens['refresh'])

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == 'User not found'

    def test_a_token_of_a_deleted_account_does_not_verify(self, api_client, user, tokens):
        user.delete()

        response = api_client.post('/auth/jwt/verify/', {'token': tokens['access']}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.data['detail'] == 'User not found'

    def test_refreshing_a_token_of_a_deactivated_account_is_401(self, api_client, user, tokens):
        user.is_active = False
        user.save()

        response = refresh(api_client, tokens['refresh'])

        assert response.status_code == status.HTTP_401_UNAUTHORIZED


@pytest.mark.django_db
class TestFlushExpiredTokens:
    def test_deletes_expired_refresh_tokens_and_keeps_current_ones(self, api_client, user, tokens):
        assert refresh(api_client, tokens['refresh']).status_code == status.HTTP_200_OK  # blacklists the first
        expired = OutstandingToken.objects.get(token=tokens['refresh'])
        OutstandingToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

        flush_expired_tokens.delay()

        assert not OutstandingToken.objects.filter(pk=expired.pk).exists()
        assert not BlacklistedToken.objects.exists()
        assert OutstandingToken.objects.count() == 1  # the rotated refresh token, still valid

    def test_is_scheduled_daily(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE['flush-expired-tokens']
        assert entry == {'task': 'core.tasks.flush_expired_tokens', 'schedule': crontab(hour=4, minute=0)}
        celery.loader.import_default_modules()
        assert 'core.tasks.flush_expired_tokens' in celery.tasks
