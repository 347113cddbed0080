"""Reads for the API: querysets and lookups that views use, each loading what its serializer shows."""
from django.db.models import Prefetch
from django.http import Http404

from .models import Customer, Order, OrderItem


def orders_with_items():
    """Orders with their items and the items' products loaded in two more queries, newest first."""
    return Order.objects.prefetch_related(
        Prefetch('items', queryset=OrderItem.objects.select_related('product').order_by('id')),
    ).order_by('-placed_at', '-id')


def customer_of(user):
    """The user's customer profile (made when the user was, by store's post_save receiver); 404 if none."""
    try:
        return Customer.objects.get(user=user)
    except Customer.DoesNotExist:
        raise Http404('No Customer matches the given query.') from None
