"""/auth/: djoser's user routes and simplejwt's token routes, as djoser.urls + djoser.urls.jwt lay them out,
plus simplejwt's blacklist route (logout)."""
from django.urls import re_path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenBlacklistView

from . import views

router = DefaultRouter()
router.register('users', views.UserViewSet)

urlpatterns = [
    *router.urls,
    re_path(r'^jwt/create/?$', views.TokenObtainPairView.as_view(), name='jwt-create'),
    re_path(r'^jwt/refresh/?$', views.TokenRefreshView.as_view(), name='jwt-refresh'),
    re_path(r'^jwt/verify/?$', views.TokenVerifyView.as_view(), name='jwt-verify'),
    # Log out: the refresh token given is blacklisted (its access tokens last until they expire).
    re_path(r'^jwt/blacklist/?$', TokenBlacklistView.as_view(), name='jwt-blacklist'),
]
