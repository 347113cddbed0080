"""The payments' periodic tasks (CELERY_BEAT_SCHEDULE): expire unpaid orders, reconcile open payments."""
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .. import services
from ..exceptions import PaymentProviderError
from ..models import Order, Payment
from .providers import ManualProvider

logger = logging.getLogger(__name__)


@shared_task
def expire_unpaid_orders():
    """Cancel the orders still unpaid PAYMENT_TIMEOUT after they were placed, returning their stock, so
    abandoned checkouts do not hold inventory. Each order in a transaction of its own."""
    if settings.PAYMENT_TIMEOUT is None:
        return 0
    now = timezone.now()
    # An unpaid order staff shipped anyway (the manual override) is not abandoned: it is left alone.
    due = (Order.objects.filter(cancelled_at__isnull=True, payment_status__in=Order.UNPAID_STATUSES,
                                fulfilment_status=Order.FULFILMENT_UNFULFILLED,
                                placed_at__lte=now - settings.PAYMENT_TIMEOUT)
           .order_by('pk').values_list('pk', flat=True))
    expired = sum(services.expire_order(order_id=order_id, now=now) for order_id in due)
    logger.info('expire_unpaid_orders cancelled %s orders.', expired)
    return expired


@shared_task
def reconcile_payments():
    """Look up, at their provider, the payments still open PAYMENT_RECONCILE_AFTER after they began, and
    apply what it says: a missed webhook never leaves a paid order pending."""
    due = (Payment.objects.filter(status__in=Payment.OPEN_STATUSES,
                                  created_at__lte=timezone.now() - settings.PAYMENT_RECONCILE_AFTER)
           .exclude(provider=ManualProvider.name).order_by('pk').values_list('pk', flat=True))
    statuses = {}
    for payment_id in due:
        try:
            status = services.reconcile_payment(payment_id=payment_id)
        except PaymentProviderError:
            logger.warning('Could not reconcile payment %s; trying again next time.', payment_id, exc_info=True)
            continue
        statuses[status] = statuses.get(status, 0) + 1
    logger.info('reconcile_payments: %s', statuses)
    return statuses
