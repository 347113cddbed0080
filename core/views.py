import logging

from csp import constants as csp
from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from djoser import views as djoser_views
from djoser.conf import settings as djoser_settings
from djoser.serializers import UserDeleteSerializer
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.exceptions import server_error as api_server_error
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from store.replica import replica_configured, replica_status
from store.views import ProtectedDestroyMixin

from . import throttles
from .serializers import TokenRefreshSerializer, TokenVerifySerializer

API_PATH_PREFIXES = ('/store/', '/auth/', '/healthz/', '/api/')
HEALTH_CHECK_KEY = 'healthz:probe'

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    template_name = 'core/index.html'


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on every page without an icon link (JSON responses, say)."""
    return HttpResponsePermanentRedirect(static('core/favicon.ico'))


class SchemaHTMLRenderer(OpenApiYamlRenderer):
    """The schema as a web page (its YAML, with links to the docs), for a browser that asks for HTML."""
    media_type = 'text/html'
    format = 'html'
    charset = 'utf-8'

    def render(self, data, accepted_media_type=None, renderer_context=None):
        schema = super().render(data, accepted_media_type, renderer_context).decode()
        return render_to_string('core/schema.html', {'schema': schema}).encode()


class SchemaView(SpectacularAPIView):
    # Last: clients that accept anything still get YAML, as before.
    renderer_classes = [*SpectacularAPIView.renderer_classes, SchemaHTMLRenderer]



class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served at ?script (the split view), so the page runs no inline script."""
    template_name = 'core/swagger_ui.html'


@method_decorator(csp_replace({
    # ReDoc styles itself with <style> elements it creates (they cannot carry the nonce), and searches in a
    # worker it starts from a blob.
    'style-src': [csp.SELF, csp.UNSAFE_INLINE],
    'worker-src': [csp.SELF, 'blob:'],
}), name='get')
class RedocView(SpectacularRedocView):
    """ReDoc, loading nothing from another host: no web fonts (the template), and no Redocly logo, which
    its bundle always asks a CDN for (the policy's img-src stops the browser asking; the link stays)."""
    template_name = 'core/redoc.html'


def page_not_found(request, exception):
    """API clients get JSON for an unknown URL, like every other API error; browsers get the HTML page."""
    if request.path.startswith(API_PATH_PREFIXES):
        return JsonResponse({'detail': 'Not found.'}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PATH_PREFIXES):
        return api_server_error(request)
    return defaults.server_error(request)


def bad_request(request, exception):
    """A request Django refuses before any view (a Host not in ALLOWED_HOSTS, too many fields): JSON on the API."""
    if request.path.startswith(API_PATH_PREFIXES):
        return JsonResponse({'detail': 'Bad request.'}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if request.path.startswith(API_PATH_PREFIXES):
        return JsonResponse({'detail': 'You do not have permission to perform this action.'}, status=403)
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=''):
    """CSRF_FAILURE_VIEW: DRF's message as JSON on the API (a session-authenticated unsafe request without
    the token), Django's page elsewhere."""
    if request.path.startswith(API_PATH_PREFIXES):
        return JsonResponse({'detail': f'CSRF Failed: {reason}'}, status=403)
    return csrf.csrf_failure(request, reason)


NO_CONTENT = OpenApiResponse(description='Done; no content.')
# The request body (current_password) of a DELETE is not rendered by OpenAPI tools; its 400 is documented.
DELETE_ACCOUNT = extend_schema(request=UserDeleteSerializer, responses={
    204: NO_CONTENT, 400: OpenApiResponse(description='`current_password` missing or wrong.')})


@extend_schema_view(
    destroy=DELETE_ACCOUNT,
    me=extend_schema(methods=['DELETE'], request=UserDeleteSerializer, responses={
        204: NO_CONTENT, 400: OpenApiResponse(description='`current_password` missing or wrong.')}),
    activation=extend_schema(responses={204: NO_CONTENT, 403: OpenApiResponse(description='Already active.')}),
    resend_activation=extend_schema(responses={204: NO_CONTENT}),
    set_password=extend_schema(responses={204: NO_CONTENT}),
    reset_password=extend_schema(responses={204: NO_CONTENT}),
    reset_password_confirm=extend_schema(responses={204: NO_CONTENT}),
    set_username=extend_schema(responses={204: NO_CONTENT}),
    reset_username=extend_schema(responses={204: NO_CONTENT}),
    reset_username_confirm=extend_schema(responses={204: NO_CONTENT}),
)
class UserViewSet(ProtectedDestroyMixin, djoser_views.UserViewSet):
    """djoser's users endpoint: registration throttled, other users invisible to non-staff."""
    protected_error = 'User cannot be deleted because they have placed orders.'

    # The actions that e-mail an account, and those that can check the caller's current password.
    email_actions = {'reset_password', 'reset_username', 'resend_activation'}
    password_check_actions = {'set_password', 'set_username', 'destroy', 'update', 'partial_update'}

    def get_throttles(self):
        if self.action == 'create':
            return [throttles.RegistrationRateThrottle()]
        if self.action in self.email_actions:
            return [throttles.AccountEmailRateThrottle(), throttles.AccountEmailAddressRateThrottle()]
        if self.action in self.password_check_actions or (
                self.action == 'me' and self.request.method in {'PUT', 'PATCH', 'DELETE'}):
            return [throttles.PasswordCheckRateThrottle()]
        return super().get_throttles()

    @action(['get', 'put', 'patch', 'delete'], detail=False)
    def me(self, request, *args, **kwargs):
        # djoser's `me` answers nothing (a 500) to HEAD, which DRF routes to it as to GET: HEAD is a read.
        if request.method == 'HEAD':
            return self.retrieve(request, *args, **kwargs)
        return super().me(request, *args, **kwargs)

    def get_object(self):
        # The `me` route is the only one without an id that asks for an object (DRF's OPTIONS does too).
        if not self.detail:
            return self.request.user
        return super().get_object()

    @action(['post'], detail=False)
    def resend_activation(self, request, *args, **kwargs):
        # djoser answers an empty 400 when activation is off; say why, in JSON like every other error.
        if not djoser_settings.SEND_ACTIVATION_EMAIL:
            return Response({'detail': 'Account activation is not required here.'}, status=status.HTTP_400_BAD_REQUEST)
        return super().resend_activation(request, *args, **kwargs)

    def get_queryset(self):
        # Not only the list: another user's id answers exactly like an id that does not exist.
        user = self.request.user
        queryset = super().get_queryset()
        if user.is_authenticated and not user.is_staff:
            queryset = queryset.filter(pk=user.pk)
        return queryset


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in (username + password → access and refresh tokens), throttled per address and per username."""
    throttle_classes = [throttles.LoginRateThrottle, throttles.LoginAccountRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # django-axes refused the (username, address) pair without checking the password; AxesMiddleware
            # only sees Django's request, not DRF's, so the API's 429 is raised here.
            if getattr(request, 'axes_locked_out', False):
                raise Throttled(wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                                detail='Too many failed logins for this account from your address.')
            raise


class TokenRefreshView(jwt_views.TokenRefreshView):
    """A new access token (and, rotated, a new refresh token) for a refresh token that still stands."""
    serializer_class = TokenRefreshSerializer


class TokenVerifyView(jwt_views.TokenVerifyView):
    """Whether a token is valid and would still authenticate its account."""
    serializer_class = TokenVerifySerializer


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1')
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception('Health check: the database is unreachable.')
        return False


def cache_is_up():
    # Cache errors are swallowed (logged) by design, so a round trip that loses the value means "down".
    cache.set(HEALTH_CHECK_KEY, 'ok', 10)
    return cache.get(HEALTH_CHECK_KEY) == 'ok'


@never_cache
@csrf_exempt  # a POST gets its 405, not a CSRF page
def health(request):
    """For load balancers: 200 while the database answers (the cache and the read replica are reported, not
    required), else 503."""
    if request.method not in ('GET', 'HEAD'):
        return JsonResponse({'detail': f'Method "{request.method}" not allowed.'}, status=405,
                            headers={'Allow': 'GET, HEAD'})
    database, cache_up = database_is_up(), cache_is_up()
    # A replica that is down costs the catalogue its offload, not its answers (the primary serves it).
    replica = replica_status() if replica_configured() else 'ok'
    body = {
        'status': 'ok' if database and cache_up and replica == 'ok' else ('degraded' if database else 'unavailable'),
        'database': 'ok' if database else 'unavailable',
        'cache': 'ok' if cache_up else 'unavailable',
    }
    if replica_configured():
        body['replica'] = replica
    return JsonResponse(body, status=200 if database else 503)
