import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from djoser import views as djoser_views
from rest_framework.exceptions import server_error as api_server_error
from rest_framework_simplejwt import views as jwt_views

from store.views import ProtectedDestroyMixin

from .throttles import LoginRateThrottle, RegistrationRateThrottle

API_PATH_PREFIXES = ('/store/', '/auth/')
HEALTH_CHECK_KEY = 'healthz:probe'

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    template_name = 'core/index.html'


def page_not_found(request, exception):
    """API clients get JSON for an unknown URL, like every other API error; browsers get the HTML page."""
    if request.path.startswith(API_PATH_PREFIXES):
        return JsonResponse({'detail': 'Not found.'}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PATH_PREFIXES):
        return api_server_error(request)
    return defaults.server_error(request)


class UserViewSet(ProtectedDestroyMixin, djoser_views.UserViewSet):
    """djoser's users endpoint: registration throttled, other users invisible to non-staff."""
    protected_error = 'User cannot be deleted because they have placed orders.'

    def get_throttles(self):
        if self.action == 'create':
            return [RegistrationRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        # Not only the list: another user's id answers exactly like an id that does not exist.
        user = self.request.user
        queryset = super().get_queryset()
        if user.is_authenticated and not user.is_staff:
            queryset = queryset.filter(pk=user.pk)
        return queryset


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in (username + password → access and refresh tokens), throttled."""
    throttle_classes = [LoginRateThrottle]


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
@require_safe
def health(request):
    """For load balancers: 200 while the database answers (the cache is reported, not required), else 503."""
    database, cache_up = database_is_up(), cache_is_up()
    body = {
        'status': 'ok' if database and cache_up else ('degraded' if database else 'unavailable'),
        'database': 'ok' if database else 'unavailable',
        'cache': 'ok' if cache_up else 'unavailable',
    }
    return JsonResponse(body, status=200 if database else 503)
