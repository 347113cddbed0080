from django.http import JsonResponse
from django.views import defaults
from djoser import views as djoser_views
from rest_framework.exceptions import server_error as api_server_error
from rest_framework_simplejwt import views as jwt_views

from store.views import ProtectedDestroyMixin

from .throttles import LoginRateThrottle, RegistrationRateThrottle

API_PATH_PREFIXES = ('/store/', '/auth/')


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
