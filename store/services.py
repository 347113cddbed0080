"""Business operations that write several rows: each owns its transaction and its locks.

Product rows are always locked in primary-key order, so concurrent operations never deadlock.
An update never inserts: Django's save() of a loaded object turns into an INSERT when its UPDATE finds no
row, which would bring back a row a concurrent request deleted since it was read. Updates lock the row
first (or UPDATE by primary key), and a row that is gone is RowNotFound (404).
Errors are the domain exceptions of store.exceptions; store.exception_handler turns them into 4xx responses.
Every change to an order writes its OrderEvent (record_event) in the change's transaction; `actor` is the
user making it, None for the system (webhooks, periodic tasks).
"""
import logging
from decimal import Decimal
from uuid import UUID

from django.conf import settings

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
    PaymentProviderError,
    PaymentRefused,
    RowNotFound,
)
from .models import (
    MAX_LINE_QUANTITY,
    Cart,
    CartItem,
    Customer,
    Order,
    OrderEvent,
    OrderItem,
    Payment,
    PaymentEvent,
    Product,
    Promotion,
    tax_on,
)
from .payments.providers import ManualProvider, get_provider, to_minor_units
from .signals import announce_products_changed, order_created
from .tasks import queue_order_confirmation, queue_order_shipped, queue_payment_received

logger = logging.getLogger(__name__)


def record_event(order, type_, actor=None, **data):
    """Record a change to `order` in its history, inside the change's transaction."""
    OrderEvent.objects.create(order=order, type=type_, data=data, **OrderEvent.actor_fields(actor))


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
def place_order(*, customer, cart_id, idempotency_key=None, shipping_address=None, actor=None):
    """Turn a cart into an order: lock, check and decrement stock, snapshot prices, delete the cart.
    `shipping_address` is the address's snapshot (Address.snapshot()), or None to set it later.

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

    # Each line at the price of the moment: after the product's best promotion active now, if any.
    promotions = Promotion.objects.best_for(products.keys(), timezone.now())
    items = [OrderItem(product=product, quantity=quantities[pk], list_price=product.unit_price,
                       promotion=promotions.get(pk),
                       unit_price=promotions[pk].sale_price(product.unit_price) if pk in promotions else product.unit_price)
             for pk, product in products.items()]
    order = Order.objects.create(customer=customer, cart_id=cart_id, idempotency_key=idempotency_key or None,
                                 shipping_address=shipping_address,
                                 **order_amounts((item.quantity, item.unit_price) for item in items))
    for item in items:
        item.order = order
    OrderItem.objects.bulk_create(items)
    for pk, product in products.items():
        product.inventory -= quantities[pk]
    Product.objects.bulk_update(products.values(), ['inventory'])
    invalidate_catalogue()
    announce_products_changed(products.keys())
    Cart.objects.filter(pk=cart_id).delete()
    record_event(order, 'placed', actor, total=str(order.total), currency=order.currency,
                 shipping_address=shipping_address)
    transaction.on_commit(lambda: order_created.send_robust(sender=Order, order=order))
    transaction.on_commit(lambda: queue_order_confirmation(order.pk))
    return order, True


def order_amounts(lines):
    """An order's money from its (quantity, unit price) lines: fixed when it is placed, never changed."""
    subtotal = sum((CartItem.line_total(quantity=quantity, unit_price=unit_price) for quantity, unit_price in lines),
                   Decimal(0))
    tax = tax_on(subtotal)
    return {'subtotal': subtotal, 'tax': tax, 'total': subtotal + tax, 'currency': settings.CURRENCY}


@transaction.atomic
def price_order(*, order, actor=None):
    """Fix the money of an order staff made in the admin, once its lines are saved."""
    amounts = order_amounts(order.items.values_list('quantity', 'unit_price'))
    Order.objects.filter(pk=order.pk).update(**amounts)
    for name, value in amounts.items():
        setattr(order, name, value)
    record_event(order, 'placed', actor, total=str(order.total), currency=order.currency, shipping_address=None)


def payment_status_refusal(order):
    """Why `order` may not take the payment status asked for (Order.may_take_payment_status said no)."""
    if order.is_cancelled and order.payment_status != Order.PAYMENT_STATUS_REFUNDED:
        return CancelledOrderCannotBePaid()
    return OrderError('A refund is made by cancelling the paid order, and a refunded order stays refunded.')


def restock(order):
    """Return an order's units to inventory (inside the caller's transaction)."""
    quantities = dict(order.items.values_list('product_id', 'quantity'))
    products = lock_products(quantities.keys())
    for pk, product in products.items():
        product.inventory += quantities[pk]
    Product.objects.bulk_update(products.values(), ['inventory'])
    invalidate_catalogue()
    announce_products_changed(products.keys())  # back in stock, maybe


def lock_order(order_id):
    """The order's row, locked for this transaction and read afresh; RowNotFound if it is gone."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise RowNotFound(Order)
    return order


@transaction.atomic
def update_order(*, order, payment_status=None, actor=None):
    """Set an order's payment status (None: unchanged), as staff do for manual payments. A cancelled
    order, whose stock went back, is not marked paid; refunds are made by cancelling (cancel_order)."""
    order = lock_order(order.pk)
    if payment_status is None or payment_status == order.payment_status:
        return order
    if not order.may_take_payment_status(payment_status):
        raise payment_status_refusal(order)
    was_paid = order.is_paid
    order.payment_status = payment_status
    order.save(update_fields=['payment_status'])
    # Staff setting P again reopen the manual payment (below): recorded as payment_started.
    record_event(order, {Order.PAYMENT_STATUS_COMPLETE: 'paid', Order.PAYMENT_STATUS_FAILED: 'payment_failed'}.get(
        payment_status, 'payment_started'), actor, provider=ManualProvider.name, payment_status=payment_status)
    if order.is_paid:
        # The manual attempt staff have just confirmed.
        Payment.objects.filter(order=order, provider=ManualProvider.name, status__in=Payment.OPEN_STATUSES).update(
            status=Payment.STATUS_SUCCEEDED, updated_at=timezone.now())
        transaction.on_commit(lambda: queue_payment_received(order.pk))
    elif was_paid:
        # Staff take back their word: the manual attempt is open again (the customer's next POST payment
        # finds it, where a second manual attempt would collide with its provider id).
        Payment.objects.filter(order=order, provider=ManualProvider.name, status=Payment.STATUS_SUCCEEDED).update(
            status=Payment.STATUS_PENDING, updated_at=timezone.now())
    return order


@transaction.atomic
def set_order_address(*, order, shipping_address, actor=None):
    """Set where an order ships (an address's snapshot): only while it is unpaid and not cancelled, since
    a paid order may be on its way."""
    order = lock_order(order.pk)
    if order.is_cancelled or not order.is_unpaid or order.is_shipped:
        raise OrderError('The shipping address can be set only while the order is unpaid, unshipped and not cancelled.')
    order.shipping_address = shipping_address
    order.save(update_fields=['shipping_address'])
    record_event(order, 'address_set', actor, shipping_address=shipping_address)
    return order


@transaction.atomic
def cancel_order(*, order, may_refund=True, actor=None):
    """Cancel an order: it keeps its rows, shows as cancelled and returns its stock.

    A paid order is refunded in full through its provider first (PaymentProviderError if the provider
    refuses: the order stays paid), unless `may_refund` is False (an owner: the order was unpaid when the
    permission was checked, and may have been paid since). Open intents are voided, so nobody pays later.
    """
    order = lock_order(order.pk)
    if order.is_cancelled:
        raise OrderError('This order is already cancelled.')
    if order.is_shipped:
        raise OrderError('This order has shipped: it can no longer be cancelled.')
    if not (may_refund or order.is_unpaid):
        raise OrderError('This order has been paid meanwhile: only staff can cancel it now.')
    if order.is_paid:
        refund_order(order)
        record_event(order, 'refunded', actor, total=str(order.total), currency=order.currency)
    void_open_payments(order)  # also one left open when staff marked the order paid by hand
    restock(order)
    order.cancelled_at = timezone.now()
    order.save(update_fields=['cancelled_at', 'payment_status'])
    record_event(order, 'cancelled', actor)
    return order


@transaction.atomic
def ship_order(*, order, carrier, tracking_number, override=False, actor=None):
    """Mark a paid order with a shipping address shipped, and e-mail the customer its tracking number.

    With the manual provider (payments confirmed by staff) `override` ships an order not marked paid yet.
    A cancelled or refunded order never ships; a shipped one ships once.
    """
    order = lock_order(order.pk)
    if order.is_cancelled:
        raise OrderError('A cancelled or refunded order cannot ship.')
    if order.is_shipped:
        raise OrderError('This order has already shipped.')
    if order.shipping_address is None:
        raise OrderError('This order has no shipping address.')
    if not order.is_paid:
        if not override:
            raise OrderError('Only a paid order ships.')
        if get_provider().name != ManualProvider.name:
            raise OrderError('Only the manual payment provider lets staff ship an unpaid order.')
    order.fulfilment_status = Order.FULFILMENT_SHIPPED
    order.carrier, order.tracking_number, order.shipped_at = carrier, tracking_number, timezone.now()
    order.save(update_fields=['fulfilment_status', 'carrier', 'tracking_number', 'shipped_at'])
    record_event(order, 'shipped', actor, carrier=carrier, tracking_number=tracking_number,
                 override=override and not order.is_paid)
    transaction.on_commit(lambda: queue_order_shipped(order.pk))
    return order


@transaction.atomic
def deliver_order(*, order, actor=None):
    """Mark a shipped order delivered."""
    order = lock_order(order.pk)
    if order.fulfilment_status != Order.FULFILMENT_SHIPPED:
        raise OrderError('Only a shipped order can be delivered.' if not order.is_shipped
                         else 'This order was already delivered.')
    order.fulfilment_status, order.delivered_at = Order.FULFILMENT_DELIVERED, timezone.now()
    order.save(update_fields=['fulfilment_status', 'delivered_at'])
    record_event(order, 'delivered', actor)
    return order


@transaction.atomic
def delete_order(*, order):
    """Delete an order and its items; the stock of an order that was not cancelled goes back. An order
    that took (or may still take) a payment keeps its record: it is cancelled, not deleted."""
    order = lock_order(order.pk)
    if order.is_shipped:
        raise OrderError('This order has shipped: it can no longer be deleted.')
    if order.payments.exclude(status=Payment.STATUS_CANCELED).exists():
        raise OrderError('This order has a payment: cancel it (which refunds or voids the payment) instead.')
    if not order.is_cancelled:
        restock(order)
    order.payments.all().delete()
    order.items.all().delete()
    order.delete()


def refund_order(order):
    """Refund a paid (locked) order's payment in full and mark it refunded; the caller saves the order."""
    payment = (Payment.objects.select_for_update().filter(order=order, status=Payment.STATUS_SUCCEEDED)
               .order_by('-created_at').first())
    if payment is not None:
        refund_payment(payment)
    order.payment_status = Order.PAYMENT_STATUS_REFUNDED


def refund_payment(payment):
    """Refund a (locked) payment in full through its provider: idempotent, keyed by the payment."""
    payment.refund_id = get_provider(payment.provider).refund(
        intent_id=payment.provider_id, amount=payment.amount, idempotency_key=f'storefront-refund-{payment.provider_id}')
    payment.status = Payment.STATUS_REFUNDED
    payment.save(update_fields=['refund_id', 'status', 'updated_at'])


def void_open_payments(order):
    """Cancel a (locked) order's open intents. One the provider will not cancel (it has just succeeded,
    say) stays open: its success, when it is reported, is refunded (apply_intent_status)."""
    for payment in Payment.objects.select_for_update().filter(order=order, status__in=Payment.OPEN_STATUSES):
        try:
            get_provider(payment.provider).cancel_intent(payment.provider_id)
        except PaymentProviderError:
            logger.warning('Could not cancel %s of cancelled order %s; a later success is refunded.',
                           payment, order.pk, exc_info=True)
            continue
        payment.status = Payment.STATUS_CANCELED
        payment.save(update_fields=['status', 'updated_at'])


def refuse_payment_unless_payable(order):
    # Refunded first: a refunded order is cancelled too (its refund returned the stock).
    if order.payment_status == Order.PAYMENT_STATUS_REFUNDED:
        raise PaymentRefused('This order was refunded: it cannot be paid again.')
    if order.is_cancelled:
        raise PaymentRefused('This order is cancelled: it cannot be paid.')
    if order.is_paid:
        raise PaymentRefused('This order is already paid.')
    expires_at = order.payment_expires_at()
    if expires_at is not None and timezone.now() >= expires_at:
        raise PaymentRefused('This order has expired: its stock is being returned. Place a new order.')


@transaction.atomic
def start_payment(*, order, actor=None):
    """Open (or reopen) the payment of an unpaid order: (payment, intent).

    The order's row lock serialises concurrent calls; the second finds the first's Payment and gets its
    intent back, never a second one. The provider's idempotency key is derived from the order and the
    amount, so a retry after a crash between the provider's answer and the commit gets the same intent.
    """
    order = lock_order(order.pk)
    refuse_payment_unless_payable(order)
    provider = get_provider()
    amount = to_minor_units(order.total, order.currency)
    attempts = list(Payment.objects.filter(order=order).order_by('-created_at', '-pk'))
    payment = next((attempt for attempt in attempts if attempt.is_open and (
        attempt.provider, attempt.amount, attempt.currency) == (provider.name, amount, order.currency)), None)
    if payment is not None:
        if provider.name == ManualProvider.name:
            return payment, provider.create_intent(order=order, amount=amount, currency=order.currency,
                                                   idempotency_key=None)
        intent = provider.retrieve_intent(payment.provider_id)
        apply_intent_status(order=order, payment=payment, status=intent.status, amount=intent.amount,
                            currency=intent.currency)
        if payment.status != Payment.STATUS_CANCELED:
            return payment, intent
        # Cancelled at the provider (its dashboard, say): that intent can no longer be paid, so a new one.
    # The attempt's number is in the key: a retry of this attempt (a crash before the commit) gets its intent
    # back, while a new attempt after a cancelled one is not answered with the cancelled intent again.
    intent = provider.create_intent(
        order=order, amount=amount, currency=order.currency,
        idempotency_key=f'storefront-order-{order.pk}-{amount}-{order.currency}-{len(attempts)}')
    payment = Payment.objects.create(order=order, provider=provider.name, provider_id=intent.id, amount=amount,
                                     currency=order.currency, status=intent.status)
    record_event(order, 'payment_started', actor, provider=provider.name, amount=amount, currency=order.currency)
    return payment, intent


def apply_intent_status(*, order, payment, status, amount=None, currency=None):
    """Apply what the provider says of a payment to it and its order (both locked), whatever the order
    it arrives in: a payment that succeeded or was refunded stays so; a failure never un-pays an order.

    A success is accepted only for the order's amount and currency (else flagged for staff, and logged);
    one for an order cancelled meanwhile (expired, say) is refunded at once.
    """
    if status == payment.status or payment.status in (Payment.STATUS_SUCCEEDED, Payment.STATUS_REFUNDED):
        return
    if status == Payment.STATUS_SUCCEEDED:
        expected = (to_minor_units(order.total, order.currency), order.currency)
        if (amount, currency) != (payment.amount, payment.currency) or (payment.amount, payment.currency) != expected:
            payment.flagged_reason = (f'The provider reported {amount} {currency} received; the order expects '
                                      f'{expected[0]} {expected[1]}. Not accepted: check it at the provider.')[:255]
            payment.save(update_fields=['flagged_reason', 'updated_at'])
            logger.error('Payment %s of order %s: %s', payment, order.pk, payment.flagged_reason)
            return
        payment.status = Payment.STATUS_SUCCEEDED
        payment.save(update_fields=['status', 'updated_at'])
        if not order.is_unpaid or order.is_cancelled:
            logger.warning('Payment %s succeeded for order %s, which is %s: refunding it.', payment, order.pk,
                           'cancelled' if order.is_cancelled else 'already paid')
            refund_payment(payment)
            if order.is_cancelled:  # the customer sees their money came back, not a payment still awaited
                order.payment_status = Order.PAYMENT_STATUS_REFUNDED
                order.save(update_fields=['payment_status'])
            record_event(order, 'refunded', provider=payment.provider, amount=payment.amount, currency=payment.currency,
                         reason='paid after it was cancelled' if order.is_cancelled else 'paid twice')
            return
        order.payment_status = Order.PAYMENT_STATUS_COMPLETE
        order.save(update_fields=['payment_status'])
        record_event(order, 'paid', provider=payment.provider, amount=payment.amount, currency=payment.currency)
        transaction.on_commit(lambda: queue_payment_received(order.pk))
    elif status == Payment.STATUS_FAILED:
        if payment.status == Payment.STATUS_PENDING:
            payment.status = Payment.STATUS_FAILED
            payment.save(update_fields=['status', 'updated_at'])
            record_event(order, 'payment_failed', provider=payment.provider)
        if order.payment_status == Order.PAYMENT_STATUS_PENDING:
            order.payment_status = Order.PAYMENT_STATUS_FAILED
            order.save(update_fields=['payment_status'])
    elif status == Payment.STATUS_CANCELED:
        payment.status = Payment.STATUS_CANCELED
        payment.save(update_fields=['status', 'updated_at'])


def apply_refund(*, order, payment, fully_refunded, amount):
    """A refund made at the provider (its dashboard, say): a full one refunds the order and returns its stock."""
    if payment.status == Payment.STATUS_REFUNDED:
        return
    if not fully_refunded:
        payment.flagged_reason = f'Partly refunded at the provider ({amount} of {payment.amount}).'
        payment.save(update_fields=['flagged_reason', 'updated_at'])
        logger.warning('Payment %s of order %s: %s', payment, order.pk, payment.flagged_reason)
        return
    payment.status = Payment.STATUS_REFUNDED
    payment.save(update_fields=['status', 'updated_at'])
    if order.is_paid:
        order.payment_status = Order.PAYMENT_STATUS_REFUNDED
    record_event(order, 'refunded', provider=payment.provider, amount=payment.amount, currency=payment.currency,
                 reason='refunded at the provider')
    if not order.is_cancelled:
        restock(order)
        order.cancelled_at = timezone.now()
        record_event(order, 'cancelled', reason='refunded at the provider')
    order.save(update_fields=['payment_status', 'cancelled_at'])


EVENT_STATUSES = {
    'payment_intent.succeeded': Payment.STATUS_SUCCEEDED,
    'payment_intent.payment_failed': Payment.STATUS_FAILED,
    'payment_intent.canceled': Payment.STATUS_CANCELED,
}


@transaction.atomic
def apply_payment_event(*, provider, event):
    """Apply a verified webhook event once: its id is recorded in the transaction that applies it, so a
    redelivery (even a concurrent one) is a no-op. False for a repeat."""
    if event.intent_id is None:
        return True  # a type this shop does not act on: nothing to apply, nothing to record
    order_id = (Payment.objects.filter(provider=provider.name, provider_id=event.intent_id)
                .values_list('order_id', flat=True).first())
    # Order first (then payment: the order in which every payment write locks them), before the event's
    # row: concurrent duplicates queue on the order, never on the unique key of a delivery that may roll
    # back (InnoDB deadlocks the waiters of a rolled-back insert).
    order = lock_order(order_id) if order_id is not None else None
    try:
        with transaction.atomic():
            PaymentEvent.objects.create(provider=provider.name, event_id=event.id, type=event.type)
    except IntegrityError:
        return False
    if order is None:
        logger.info('%s event %s names %s, which is not a payment of this shop.', provider.name, event.id, event.intent_id)
        return True
    payment = Payment.objects.select_for_update().get(provider=provider.name, provider_id=event.intent_id)
    if event.type == 'charge.refunded':
        apply_refund(order=order, payment=payment, fully_refunded=event.fully_refunded, amount=event.amount)
    else:
        apply_intent_status(order=order, payment=payment, status=EVENT_STATUSES[event.type], amount=event.amount,
                            currency=event.currency)
    return True


@transaction.atomic
def expire_order(*, order_id, now):
    """Cancel an order still unpaid PAYMENT_TIMEOUT after it was placed: void its intents, return its
    stock. False if it was paid or cancelled meanwhile."""
    order = lock_order(order_id)
    expires_at = order.payment_expires_at()
    if order.is_cancelled or not order.is_unpaid or order.is_shipped or expires_at is None or now < expires_at:
        return False
    void_open_payments(order)
    restock(order)
    order.cancelled_at = now
    order.save(update_fields=['cancelled_at'])
    record_event(order, 'expired')
    logger.info('Order %s expired unpaid: cancelled and its stock returned.', order.pk)
    return True


@transaction.atomic
def reconcile_payment(*, payment_id):
    """Ask the provider about an open payment and apply what it says (a webhook may have been missed)."""
    order_id = Payment.objects.filter(pk=payment_id).values_list('order_id', flat=True).first()
    if order_id is None:
        return None
    order = lock_order(order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.is_open:
        return payment.status
    intent = get_provider(payment.provider).retrieve_intent(payment.provider_id)
    apply_intent_status(order=order, payment=payment, status=intent.status, amount=intent.amount,
                        currency=intent.currency)
    return payment.status
