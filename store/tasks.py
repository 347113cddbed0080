import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core import mail
from django.db.models import Prefetch
from django.utils import timezone
from templated_mail.mail import BaseEmailMessage

from .caching import catalogue_version
from .models import Cart, Customer, Order, OrderItem

logger = logging.getLogger(__name__)


@shared_task
def send_order_confirmation(order_id):
    """E-mail the customer a summary of their order (HTML and plain text)."""
    order = (Order.objects.select_related('customer__user')
             .prefetch_related(Prefetch('items', queryset=OrderItem.objects.select_related('product').order_by('id')))
             .get(pk=order_id))
    user = order.customer.user
    if not user.email:
        logger.warning('Order %s: customer %s has no e-mail address; no confirmation sent.', order.pk, user.pk)
        return
    BaseEmailMessage(
        template_name='store/emails/order_confirmation.html',
        context={'order': order, 'items': order.items.all(), 'user': user},
    ).send([user.email])


def queue_order_email(task, order_id, what):
    """Queue one of an order's e-mails; if the broker is down the order stands as it is, and we log it."""
    try:
        task.delay(order_id)
    except Exception:
        logger.exception('Could not queue the %s of order %s.', what, order_id)


def queue_order_confirmation(order_id):
    queue_order_email(send_order_confirmation, order_id, 'confirmation e-mail')


def mail_order_notice(order_id, template_name, what):
    """E-mail the order's customer `template_name` (the order and the user in its context)."""
    order = Order.objects.select_related('customer__user').get(pk=order_id)
    user = order.customer.user
    if not user.email:
        logger.warning('Order %s: customer %s has no e-mail address; no %s sent.', order.pk, user.pk, what)
        return
    BaseEmailMessage(template_name=template_name, context={'order': order, 'user': user}).send([user.email])


@shared_task
def send_payment_received(order_id):
    """E-mail the customer that their order's payment arrived."""
    mail_order_notice(order_id, 'store/emails/payment_received.html', 'payment receipt')


def queue_payment_received(order_id):
    queue_order_email(send_payment_received, order_id, 'payment receipt')


@shared_task
def send_order_shipped(order_id):
    """E-mail the customer that their order shipped, with its carrier and tracking number."""
    mail_order_notice(order_id, 'store/emails/order_shipped.html', 'shipping notice')


def queue_order_shipped(order_id):
    queue_order_email(send_order_shipped, order_id, 'shipping notice')


@shared_task
def notify_customers(message):
    """E-mail `message` to every customer with an address, over one SMTP connection."""
    recipients = Customer.objects.exclude(user__email='').values_list('user__email', flat=True)
    messages = [mail.EmailMessage(f'News from {settings.SITE_NAME}', message, to=[address]) for address in recipients]
    with mail.get_connection() as connection:
        sent = connection.send_messages(messages)
    logger.info('notify_customers sent %s e-mails.', sent)
    return sent


@shared_task
def watch_promotion_windows():
    """Pass the promotion window boundaries that have come, as the first catalogue read after each does:
    with nobody reading, the products that got cheaper are still announced (products_changed) on time."""
    catalogue_version()


@shared_task
def purge_stale_carts(days=None):
    """Delete anonymous carts (and their items) nobody has touched for `days` (STALE_CART_DAYS)."""
    cutoff = timezone.now() - timedelta(days=settings.STALE_CART_DAYS if days is None else days)
    _, deleted_per_model = Cart.objects.filter(updated_at__lt=cutoff).delete()
    purged = deleted_per_model.get(Cart._meta.label, 0)
    logger.info('purge_stale_carts deleted %s carts untouched since %s.', purged, cutoff)
    return purged
