from django.dispatch import Signal

# Sent with `order=` once a placed order has been committed.
order_created = Signal()

# Sent by `seed_db` inside its transaction, with `slugs=` (the demo products' slugs, in the plan's order)
# and `product_ids=` ({slug: id}). A receiver seeds its own demo rows for them, idempotently, and returns
# {what: how many it created} for the command's summary.
catalogue_seeded = Signal()
