"""Security (OWASP API2, see security_helpers.py): broken authentication. Forged, orphaned, expired or misused
JWTs are refused with 401."""
import json
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone
from jwt.utils import base64url_encode
from model_bakery import baker
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


# ---------------------------------------------------------------------------------------------------------------
# 3. JWT (API2)

@pytest.mark.django_db
class TestJwt:
    @pytest.fixture
    def user(self, django_user_model):
        return baker.make(django_user_model)

    @staticmethod
    def get_orders(api_client, token, prefix='JWT'):
        api_client.credentials(HTTP_AUTHORIZATION=f'{prefix} {token}')
        return api_client.get('/store/orders/')

    def test_a_valid_token_is_accepted(self, api_client, user):
        assert self.get_orders(api_client, AccessToken.for_user(user)).status_code == 200
        assert self.get_orders(api_client, AccessToken.for_user(user), prefix='Bearer').status_code == 200

    def test_a_token_signed_with_another_key_is_refused(self, api_client, user):
        forged = TokenBackend('HS256', 'another-signing-key-long-enough-for-hs256').encode(
            AccessToken.for_user(user).payload)

        assert self.get_orders(api_client, forged).status_code == 401

    def test_a_token_of_a_deleted_user_is_refused(self, api_client, user):
        token = str(AccessToken.for_user(user))
        user.delete()

        assert self.get_orders(api_client, token).status_code == 401

    def test_an_expired_token_is_refused(self, api_client, user):
        token = AccessToken.for_user(user)
        token.set_exp(from_time=timezone.now() - timedelta(days=2), lifetime=timedelta(days=1))

        assert self.get_orders(api_client, token).status_code == 401

    def test_a_token_with_a_swapped_user_id_is_refused(self, api_client, user, django_user_model):
        victim = baker.make(django_user_model, is_staff=True)
        token = AccessToken.for_user(user)
        header, _, signature = str(token).split('.')
        tampered_payload = base64url_encode(json.dumps({**token.payload, 'user_id': str(victim.pk)}).encode()).decode()

        assert self.get_orders(api_client, f'{header}.{tampered_payload}.{signature}').status_code == 401

    def test_an_unsigned_alg_none_token_is_refused(self, api_client, user):
        unsigned = jwt.encode(AccessToken.for_user(user).payload, None, algorithm='none')

        assert self.get_orders(api_client, unsigned).status_code == 401

    def test_a_refresh_token_is_not_an_access_token(self, api_client, user):
        assert self.get_orders(api_client, RefreshToken.for_user(user)).status_code == 401

    def test_a_token_of_a_deactivated_user_is_refused(self, api_client, user):
        token = str(AccessToken.for_user(user))
        type(user).objects.filter(pk=user.pk).update(is_active=False)

        assert self.get_orders(api_client, token).status_code == 401
