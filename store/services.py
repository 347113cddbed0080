"""Business operations that write several rows: each owns its transaction and its locks.

Product rows are always locked in primary-key order, so concurrent operations never deadlock.
An update never inserts: Django's save() of a loaded object turns into an INSERT when its UPDATE finds no
row, which would bring back a row a concurrent request deleted since it was read. Updates lock the row
first (or UPDATE by primary key), and a row that is gone is RowNotFound (404).
Errors are the domain exceptions of store.exceptions; store.exception_handler turns them into 4xx responses.
"""
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from .caching import invalidate_catalogue
from .exceptions import (
    CancelledOrderCannotBePaid,
    CartCannotBeOrdered,
    CartNotFound,
    IdempotencyKeyReused,
    InsufficientStock,
    OrderError,
    OutOfStock,
    RowNotFound,
)
from .models import (
    MAX_LINE_QUANTITY,
    Cart,
    CartItem,
    Customer,
    Order,
    OrderItem,
    Product,
)
from .signals import order_created
from .tasks import queue_order_confirmation


def check_stock(*, product, quantity):
    available = min(product.inventory, MAX_LINE_QUANTITY)
    if quantity > available:
        raise OutOfStock(product, max(available, 0))


def lock_products(product_ids):
    """The products' rows, locked for this transaction, in primary-key order."""
    return {product.pk: product
            for product in Product.objects.select_for_update().filter(pk__in=product_ids).order_by('pk')}


def touch_cart(cart_id):
    """Mark the cart as in use (the stale-cart purge spares it); False if there is no such cart."""
    return bool(Cart.objects.filter(pk=cart_id).update(updated_at=timezone.now()))


def lock_row(model, **lookup):
    """Lock the row of `model` matching `lookup` for this transaction; False if there is none."""
    return model._base_manager.select_for_update().filter(**lookup).exists()


@transaction.atomic
def update_row(*, instance, save):
    """Run `save()`, which writes `instance`'s row (a serializer's save, say), while that row is locked.

    A concurrent DELETE waits for this transaction, and a row deleted before is RowNotFound: the save's
    UPDATE always finds its row, so it never falls back to re-inserting it.
    """
    if not lock_row(type(instance), pk=instance.pk):
        raise RowNotFound(type(instance))
    return save()


@transaction.atomic
def add_to_cart(*, cart_id, product, quantity):
    """Add `quantity` units of a product to a cart, merging with the product's existing line."""
    # Touching the cart also locks its row, which serialises concurrent adds to it, so two requests
    # cannot both create the line.
    if not touch_cart(cart_id):
        raise CartNotFound()
    check_stock(product=product, quantity=quantity)
    try:
        # Most adds are of a new product: insert straight away (in a savepoint), and only on the
        # (cart, product) unique constraint's refusal read the existing line and merge into it.
        with transaction.atomic():
            return CartItem.objects.create(cart_id=cart_id, product=product, quantity=quantity)
    except IntegrityError:
        item = CartItem.objects.filter(cart_id=cart_id, product_id=product.id).first()
        if item is None:
            raise
    check_stock(product=product, quantity=item.quantity + quantity)
    item.quantity += quantity
    item.save(update_fields=['quantity'])
    return item


@transaction.atomic
def update_cart_item(*, item, quantity):
    """Set a cart line's quantity, within the product's stock (`item.product` loaded).

    The cart's row is locked first (as removing the line and ordering the cart do); a line removed since
    it was read, or ordered with its cart, stays gone (RowNotFound).
    """
    if not touch_cart(item.cart_id):
        raise RowNotFound(CartItem)
    check_stock(product=item.product, quantity=quantity)
    if not CartItem.objects.filter(pk=item.pk).update(quantity=quantity):
        raise RowNotFound(CartItem)
    item.quantity = quantity
    return item


@transaction.atomic
def remove_cart_item(*, item):
    touch_cart(item.cart_id)
    deleted, _ = item.delete()
    if not deleted:  # a concurrent request removed it first
        raise RowNotFound(CartItem)


@transaction.atomic
def place_order(*, customer, cart_id, idempotency_key=None):
    """Turn a cart into an order: lock, check and decrement stock, snapshot prices, delete the cart.

    Returns (order, created). A retry with an Idempotency-Key this customer already used for the same
    cart returns the original order and writes nothing.
    """
    cart_id = UUID(str(cart_id))
    if idempotency_key:
        # One keyed order at a time per customer: a concurrent request with the same key waits here,
        # then finds the first order (same cart: replay; other cart: refused) instead of a duplicate.
        # Locks are always taken customer, cart, products: no deadlocks.
        Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    # The cart's row lock makes a concurrent order of the same cart wait, then find the cart gone.
    cart_exists = Cart.objects.select_for_update().filter(pk=cart_id).exists()
    if idempotency_key:
        previous = Order.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
        if previous is not None:
            if previous.cart_id != cart_id:
                raise IdempotencyKeyReused('This Idempotency-Key was already used for an order of another cart.')
            return previous, False
    if not cart_exists:
        # Also for a cart that was already ordered: placing it deleted it (as the course answers).
        raise CartCannotBeOrdered('No cart with the given ID was found.')
    quantities = dict(CartItem.objects.filter(cart_id=cart_id).values_list('product_id', 'quantity'))
    if not quantities:
        raise CartCannotBeOrdered('The cart is empty.')
    products = lock_products(quantities.keys())
    shortages = [OutOfStock(product, product.inventory)
                 for pk, product in products.items() if product.inventory < quantities[pk]]
    if shortages:
        raise InsufficientStock(shortages)

    order = Order.objects.create(customer=customer, cart_id=cart_id, idempotency_key=idempotency_key or None)
    OrderItem.objects.bulk_create(
        OrderItem(order=order, product=product, quantity=quantities[pk], unit_price=product.unit_price)
        for pk, product in products.items())
    for pk, product in products.items():
        product.inventory -= quantities[pk]
    Product.objects.bulk_update(products.values(), ['inventory'])
    invalidate_catalogue()
    Cart.objects.filter(pk=cart_id).delete()
    transaction.on_commit(lambda: order_created.send_robust(sender=Order, order=order))
    transaction.on_commit(lambda: queue_order_confirmation(order.pk))
    return order, True


def restock(order):
    """Return an order's units to inventory (inside the caller's transaction)."""
    quantities = dict(order.items.values_list('product_id', 'quantity'))
    products = lock_products(quantities.keys())
    for pk, product in products.items():
        product.inventory += quantities[pk]
    Product.objects.bulk_update(products.values(), ['inventory'])
    invalidate_catalogue()


def lock_order(order_id):
    """The order's row, locked for this transaction and read afresh; RowNotFound if it is gone."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise RowNotFound(Order)
    return order


@transaction.atomic
def update_order(*, order, payment_status=None):
    """Set an order's payment status (None: unchanged). A cancelled order, whose stock went back, is not
    marked paid."""
    order = lock_order(order.pk)
    if payment_status is None or payment_status == order.payment_status:
        return order
    if not order.may_take_payment_status(payment_status):
        raise CancelledOrderCannotBePaid()
    order.payment_status = payment_status
    order.save(update_fields=['payment_status'])
    return order


@transaction.atomic
def cancel_order(*, order):
    """Cancel an order: it keeps its rows, shows as cancelled and returns its stock."""
    order = lock_order(order.pk)
    if order.is_cancelled:
        raise OrderError('This order is already cancelled.')
    restock(order)
    order.cancelled_at = timezone.now()
    order.save(update_fields=['cancelled_at'])
    return order


@transaction.atomic
def delete_order(*, order):
    """Delete an order and its items; the stock of an order that was not cancelled goes back."""
    order = lock_order(order.pk)
    if not order.is_cancelled:
        restock(order)
    order.items.all().delete()
    order.delete()
