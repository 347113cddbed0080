from django.http import JsonResponse
from django.views import defaults
from djoser import views as djoser_views
from rest_framework.exceptions import server_error as api_server_error
from rest_framework_simplejwt import views as jwt_views

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


class UserViewSet(djoser_views.UserViewSet):
    """djoser's users endpoint, with registration throttled."""

    def get_throttles(self):
        if self.action == 'create':
            return [RegistrationRateThrottle()]
        return super().get_throttles()


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in (username + password → access and refresh tokens), throttled."""
    throttle_classes = [LoginRateThrottle]
