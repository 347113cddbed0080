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



class ViewCustomerHistoryPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm('store.view_history')


class CanCancelOrder(permissions.BasePermission):
    """Holders of `store.cancel_order` cancel any order (a paid one is refunded); owners their own while
    it is unpaid."""
    message = 'You may cancel only your own orders, and only while their payment is pending.'

    def has_object_permission(self, request, view, order):
        if request.user.has_perm('store.cancel_order'):
            return True
        return order.customer.user_id == request.user.id and order.is_unpaid and not order.is_shipped


class IsOrderOwner(permissions.BasePermission):
    """Only the customer who placed an order pays for it (staff see every order, but pay for none)."""
    message = 'Only the customer who placed this order may pay for it.'

    def has_object_permission(self, request, view, order):
        return order.customer.user_id == request.user.id


class IsOrderOwnerForAddress(IsOrderOwner):
    """Only the customer who placed an order says where it ships."""
    message = 'Only the customer who placed this order may set its shipping address.'
