from django.contrib.auth import get_user_model
from djoser import serializers as djoser_serializers
from djoser.conf import settings as djoser_settings
from djoser.serializers import UserCreateSerializer as BaseUserCreateSerializer
from djoser.serializers import UserSerializer as BaseUserSerializer
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import UntypedToken

User = get_user_model()
EMAIL_TAKEN = 'user with this email already exists.'


def validate_unique_email(value, instance=None):
    """Addresses differing only in case reach the same mailbox: one account per address (the database's
    constraint on the lower-cased address backs this up; this gives the 400 its message)."""
    others = User.objects.exclude(pk=instance.pk) if instance else User.objects.all()
    if others.filter(email__iexact=value).exists():
        raise serializers.ValidationError(EMAIL_TAKEN)
    return value


class UserCreateSerializer(BaseUserCreateSerializer):
    class Meta(BaseUserCreateSerializer.Meta):
        fields = ['id', 'username', 'password', 'email', 'first_name', 'last_name']

    def validate_email(self, value):
        return validate_unique_email(value)


class UserSerializer(BaseUserSerializer):
    # The e-mail receives password resets: whoever changes it proves they know the password.
    current_password = serializers.CharField(write_only=True, required=False, style={'input_type': 'password'},
                                             help_text='Your password; required to change `email`.')

    class Meta(BaseUserSerializer.Meta):
        fields = ['id', 'username', 'email', 'first_name', 'last_name', 'current_password']

    def validate_email(self, value):
        return validate_unique_email(value, self.instance)

    def validate(self, attrs):
        current_password = attrs.pop('current_password', None)
        if self.instance is not None and attrs.get('email', self.instance.email) != self.instance.email:
            if not current_password:
                raise serializers.ValidationError(
                    {'current_password': ['This field is required to change the e-mail address.']})
            if not self.context['request'].user.check_password(current_password):
                raise serializers.ValidationError(
                    {'current_password': [djoser_settings.CONSTANTS.messages.INVALID_PASSWORD_ERROR]})
        return super().validate(attrs)


class ValidatedUidMixin:
    """djoser decodes the raw `uid` it was sent: give it a string, so a JSON number is a clean 400
    ("Invalid user id or user doesn't exist."), not a crash."""

    def validate(self, attrs):
        self.initial_data = {**self.initial_data, **{
            name: str(self.initial_data[name]) for name in ('uid', 'token') if name in self.initial_data}}
        return super().validate(attrs)


class ActivationSerializer(ValidatedUidMixin, djoser_serializers.ActivationSerializer):
    pass


class PasswordResetConfirmSerializer(ValidatedUidMixin, djoser_serializers.PasswordResetConfirmSerializer):
    pass


class UsernameResetConfirmSerializer(ValidatedUidMixin, djoser_serializers.UsernameResetConfirmSerializer):
    pass


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, with the checks its authentication makes on an access token: a deleted or
    inactive account, or a password changed since the token was issued, is a 401 (not a 500, not a
    fresh access token)."""

    def validate(self, attrs):
        JWTAuthentication().get_user(self.token_class(attrs['refresh']))
        return super().validate(attrs)


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """simplejwt's verify, which checks only the signature, expiry and blacklist, plus the account checks
    the authentication makes: a token of a deleted account, or one issued before a password change, is
    not reported valid (401)."""

    def validate(self, attrs):
        data = super().validate(attrs)
        JWTAuthentication().get_user(UntypedToken(attrs['token']))
        return data
