from rest_framework import permissions


def is_staff(request):
    return bool(request.user and request.user.is_staff)


class IsAdminOrReadOnly(permissions.BasePermission):
    """Anyone reads; only staff write."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_staff(request)


class IsAdminOrReadAndCreateOnly(permissions.BasePermission):
    """Anyone reads and creates (e.g. posts a review); only staff change or delete."""

    def has_permission(self, request, view):
        return request.method in (*permissions.SAFE_METHODS, 'POST') or is_staff(request)

