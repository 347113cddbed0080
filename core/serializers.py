from django.contrib.auth import get_user_model
from djoser import serializers as djoser_serializers
from djoser.serializers import UserCreateSerializer as BaseUserCreateSerializer
from djoser.serializers import UserSerializer as BaseUserSerializer
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.authentication import JWTAuthentication

User = get_user_model()


class UserCreateSerializer(BaseUserCreateSerializer):
    class Meta(BaseUserCreateSerializer.Meta):
        fields = ['id', 'username', 'password', 'email', 'first_name', 'last_name']

    def validate_email(self, value):
        # Addresses differing only in case reach the same mailbox: one account per address.
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError('user with this email already exists.')
        return value


class UserSerializer(BaseUserSerializer):
    class Meta(BaseUserSerializer.Meta):
        fields = ['id', 'username', 'email', 'first_name', 'last_name']


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
