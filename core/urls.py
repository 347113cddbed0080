"""/auth/: djoser's user routes and simplejwt's token routes, as djoser.urls + djoser.urls.jwt lay them out."""
from django.urls import re_path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenRefreshView, TokenVerifyView

from . import views

router = DefaultRouter()
router.register('users', views.UserViewSet)

urlpatterns = [
    *router.urls,
    re_path(r'^jwt/create/?$', views.TokenObtainPairView.as_view(), name='jwt-create'),
    re_path(r'^jwt/refresh/?$', TokenRefreshView.as_view(), name='jwt-refresh'),
    re_path(r'^jwt/verify/?$', TokenVerifyView.as_view(), name='jwt-verify'),
]
