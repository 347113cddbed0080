import logging

from django.dispatch import receiver

from store.signals import order_created

logger = logging.getLogger(__name__)


@receiver(order_created)
def on_order_created(sender, order, **kwargs):
    logger.info('Order %s was placed by customer %s.', order.pk, order.customer_id)
