"""The OpenAPI schema's view of every operation, completed with the error responses it can give.

drf-spectacular documents the success response; the API also answers with errors that follow from
how each view is built (validation, authentication, permissions, lookups, protected deletes,
throttles). Adding them here, from the view's own configuration, keeps the schema honest for every
endpoint at once instead of annotating each one.
"""
from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_media_type_object, get_view_model, modify_media_types_for_versioning
from rest_framework.permissions import BasePermission
from rest_framework.request import clone_request

ERROR_SCHEMA = {
    'type': 'object',
    'description': 'An error: `detail` (or `error`) with a message, or field names mapped to lists of messages.',
    'additionalProperties': True,
}

ERROR_DESCRIPTIONS = {
    '400': 'Invalid input (the body names each problem).',
    '401': 'Not authenticated, or an invalid or expired token.',
    '403': 'Authenticated but not allowed.',
    '404': 'No such object (or not yours).',
    '405': 'Refused: protected rows still refer to the object.',
    '429': 'Too many requests; retry later.',
}


# Operation titles in words ("Create a cart"), not operation ids: by action, then by view for the rest.
ACTION_SUMMARIES = {
    'list': 'List {plural}',
    'create': 'Create {a} {noun}',
    'retrieve': 'Retrieve {a} {noun}',
    'update': 'Update {a} {noun}',
    'partial_update': 'Partially update {a} {noun}',
    'destroy': 'Delete {a} {noun}',
    'history': "Retrieve a customer's history",
    'cancel': 'Cancel an order',
    'payment': 'Pay for an order: open its payment',
    'activation': 'Activate an account',
    'resend_activation': 'Resend the activation e-mail',
    'set_password': 'Change your password',
    'reset_password': 'Request a password reset e-mail',
    'reset_password_confirm': 'Set a new password with a reset token',
    'set_username': 'Change your username',
    'reset_username': 'Request a username reset e-mail',
    'reset_username_confirm': 'Set a new username with a reset token',
}
ME_SUMMARIES = {'GET': 'Retrieve your {noun}', 'PUT': 'Update your {noun}', 'PATCH': 'Partially update your {noun}',
                'DELETE': 'Delete your {noun}'}
ME_NOUNS = {'user': 'account', 'customer': 'customer profile'}
VIEW_SUMMARIES = {
    'TokenObtainPairView': 'Log in: create a JWT access and refresh token',
    'TokenRefreshView': 'Refresh a JWT access token',
    'TokenVerifyView': 'Verify a JWT',
    'TokenBlacklistView': 'Log out: blacklist a JWT refresh token',
    'StripeWebhookView': 'Receive a Stripe webhook event',
}


class StorefrontAutoSchema(AutoSchema):
    def get_summary(self):
        declared = super().get_summary()  # an @extend_schema(summary=...) wins
        if declared:
            return declared
        if type(self.view).__name__ in VIEW_SUMMARIES:
            return VIEW_SUMMARIES[type(self.view).__name__]
        action = getattr(self.view, 'action', None)
        model = get_view_model(self.view)
        noun = str(model._meta.verbose_name) if model else 'resource'
        names = {'noun': noun, 'plural': str(model._meta.verbose_name_plural) if model else 'resources',
                 'a': 'an' if noun[0] in 'aeio' else 'a'}  # "a user"
        if action == 'me':
            return ME_SUMMARIES[self.method.upper()].format(noun=ME_NOUNS.get(noun, noun))
        if action in ACTION_SUMMARIES:
            return ACTION_SUMMARIES[action].format(**names)
        return None

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        """drf-spectacular's operation, plus the error responses the view can give that it does not declare."""
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:  # excluded from the schema
            return None
        for status in sorted(self.get_error_statuses(operation)):
            operation['responses'].setdefault(status, self.get_error_response(status))
        return operation

    def get_error_statuses(self, operation):
        statuses = {'401'}
        method = self.method.upper()
        if method in ('POST', 'PUT', 'PATCH') or self.get_filter_backends():  # a body, or filters on a list
            statuses.add('400')
        if method == 'GET' and self.is_paginated(operation):
            statuses.add('404')  # a page out of range
        if self.can_forbid():
            statuses.add('403')
        if '{' in self.path:
            statuses.add('404')
        if method == 'DELETE' and getattr(self.view, 'protected_error', None):
            statuses.add('405')
        if self.view.get_throttles():
            statuses.add('429')
        return statuses

    def is_paginated(self, operation):
        """Whether drf-spectacular documented the view's pagination parameters for this operation (a list)."""
        paginator = getattr(self.view, 'paginator', None)
        if paginator is None:
            return False
        page_parameters = {parameter['name'] for parameter in paginator.get_schema_operation_parameters(self.view)}
        return any(parameter['in'] == 'query' and parameter['name'] in page_parameters
                   for parameter in operation.get('parameters', []))

    def get_error_response(self, status):
        """The shared error schema, in each media type the view renders (no per-status examples or headers:
        the views declare none)."""
        media_types = modify_media_types_for_versioning(self.view, self.map_renderers('media_type'))
        return {
            'content': {media_type: build_media_type_object(ERROR_SCHEMA) for media_type in media_types},
            'description': ERROR_DESCRIPTIONS[status],
        }

    def can_forbid(self):
        """Whether a logged-in user without staff rights or model permissions can be refused (403)."""
        request = clone_request(self.view.request, self.method.upper())
        request.user = get_user_model()(is_active=False)  # inactive: holds no permissions, needs no queries
        permissions = self.view.get_permissions()
        if '{' in self.path and any(
                type(permission).has_object_permission is not BasePermission.has_object_permission
                for permission in permissions):
            return True  # decided per object
        try:
            return not all(permission.has_permission(request, self.view) for permission in permissions)
        except Exception:  # a permission that needs more than the request: assume it can refuse
            return True


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """The access token from /auth/jwt/create/. Swagger UI sends it as `Bearer`; `JWT` works as well."""
    target_class = 'rest_framework_simplejwt.authentication.JWTAuthentication'
    name = 'jwtAuth'
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            'type': 'http',
            'scheme': 'bearer',
            'bearerFormat': 'JWT',
            'description': 'The access token from /auth/jwt/create/, sent as `Bearer <token>` or `JWT <token>`.',
        }

