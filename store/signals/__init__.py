from django.dispatch import Signal

# Sent with `order=` once a placed order has been committed.
order_created = Signal()
