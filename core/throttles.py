"""Rates on the account endpoints (the rates are REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], THROTTLE_* variables).

Each endpoint that can be used to guess a password, flood sign-ups or send e-mails counts its callers by
client address whether or not they send a token (a valid token must not buy unlimited attempts), and,
where the request names an account or an address, by that target too, from every address at once.
"""
import hashlib

from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from store.throttles import SharedCountersMixin


def client_address(request):
    """The caller's address as every throttle here sees it (django-axes uses it too: AXES_CLIENT_IP_CALLABLE)."""
    return BaseThrottle().get_ident(request)


class ClientRateThrottle(SharedCountersMixin, SimpleRateThrottle):
    """Counts every caller by client address (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {'scope': self.scope, 'ident': self.get_ident(request)}


class TargetRateThrottle(SharedCountersMixin, SimpleRateThrottle):
    """Counts the requests naming one account (the body's `field`, case-insensitive), from any address."""
    field = None

    def get_cache_key(self, request, view):
        data = request.data
        value = data.get(self.field) if hasattr(data, 'get') else None
        if not isinstance(value, str) or not value.strip():
            return None  # the serializer answers 400; nothing is sent or checked
        # Hashed: the cache holds no addresses, and any length makes a short key.
        ident = hashlib.sha256(value.strip().lower().encode()).hexdigest()
        return self.cache_format % {'scope': self.scope, 'ident': ident}


class LoginRateThrottle(ClientRateThrottle):
    """Password guessing on /auth/jwt/create/ from one address (THROTTLE_LOGIN_RATE)."""
    scope = 'login'


class LoginAccountRateThrottle(TargetRateThrottle):
    """Password guessing against one username from many addresses (THROTTLE_LOGIN_ACCOUNT_RATE)."""
    scope = 'login_account'
    field = 'username'


class RegistrationRateThrottle(ClientRateThrottle):
    """Mass sign-ups on POST /auth/users/ (THROTTLE_REGISTRATION_RATE)."""
    scope = 'registration'


class AccountEmailRateThrottle(ClientRateThrottle):
    """Requests that e-mail an account (password or username reset, activation) from one address
    (THROTTLE_ACCOUNT_EMAIL_RATE)."""
    scope = 'account_email'


class AccountEmailAddressRateThrottle(TargetRateThrottle):
    """E-mails requested for one address, from anywhere (THROTTLE_ACCOUNT_EMAIL_ADDRESS_RATE); counted
    for unknown addresses too, so a 429 says nothing about which addresses have an account."""
    scope = 'account_email_address'
    field = 'email'


class PasswordCheckRateThrottle(SharedCountersMixin, SimpleRateThrottle):
    """Guesses of the current password by a logged-in user (set_password, set_username, deleting the
    account, changing the e-mail), per user (THROTTLE_PASSWORD_CHECK_RATE)."""
    scope = 'password_check'

    def get_cache_key(self, request, view):
        sends_password = hasattr(request.data, 'get') and 'current_password' in request.data
        if request.method in {'PUT', 'PATCH'} and not sends_password:
            return None  # a profile edit that checks no password is not counted
        return self.cache_format % {'scope': self.scope, 'ident': request.user.pk}
