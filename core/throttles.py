from rest_framework.throttling import AnonRateThrottle


class LoginRateThrottle(AnonRateThrottle):
    """Slows password guessing on /auth/jwt/create/ (rate: THROTTLE_LOGIN_RATE)."""
    scope = 'login'


class RegistrationRateThrottle(AnonRateThrottle):
    """Slows mass sign-ups on POST /auth/users/ (rate: THROTTLE_REGISTRATION_RATE)."""
    scope = 'registration'
