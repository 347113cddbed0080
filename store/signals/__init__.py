from django.db import transaction
from django.dispatch import Signal

from store.models import Product

# Sent with `order=` once a placed order has been committed.
order_created = Signal()

# Sent with `product_ids=` once a change that may have changed these products' prices or stock has
# committed: a product written, an order placed or its units returned, a promotion written, linked,
# unlinked or deleted, or its window started or ended. Receivers check what actually changed.
products_changed = Signal()


def announce_products_changed(product_ids):
    """Send `products_changed` for these products once the current transaction commits."""
    product_ids = list(product_ids)
    if product_ids:
        transaction.on_commit(lambda: products_changed.send_robust(sender=Product, product_ids=product_ids))

# Sent by `seed_db` inside its transaction, with `slugs=` (the demo products' slugs, in the plan's order)
# and `product_ids=` ({slug: id}). A receiver seeds its own demo rows for them, idempotently, and returns
# {what: how many it created} for the command's summary.
catalogue_seeded = Signal()
