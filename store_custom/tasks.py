import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from templated_mail.mail import BaseEmailMessage

from store.models import Product

from .alerts import likes_of_products, unsubscribe_token
from .models import LikedProductAlert

logger = logging.getLogger(__name__)

ALERT_TEMPLATE = 'store_custom/emails/liked_product_alert.html'


def unsubscribe_url(customer_id):
    # No request in a worker: the host is settings.DOMAIN; HTTPS wherever the site redirects to it.
    protocol = 'https' if settings.SECURE_SSL_REDIRECT else 'http'
    path = reverse('liked-product-alerts-unsubscribe', args=[unsubscribe_token(customer_id)])
    return f'{protocol}://{settings.DOMAIN}{path}'


@shared_task
def send_liked_product_alerts(alerts):
    """E-mail each alert (alerts.note_changes) to the customers who like its product, want alerts, have an
    address and heard nothing of that product today, all over one SMTP connection.

    The day is settings.TIME_ZONE's. A recipient's row in LikedProductAlert is written before the e-mail
    goes: of concurrent runs, only the one whose insert the unique constraint let through sends it (at
    most once: an SMTP failure loses the day's alert rather than risk sending it twice). Queries: a fixed
    number, however many alerts and likers.
    """
    alerts = {alert['product_id']: alert for alert in alerts}
    products = Product.objects.in_bulk(list(alerts))
    # Rows inserted in one order by every run: racing runs wait on the same first row, never deadlock.
    likes = list(likes_of_products()
                 .filter(object_id__in=list(products), user__customer__liked_product_alerts=True)
                 .exclude(user__email='').select_related('user__customer').order_by('user_id', 'object_id'))
    today, batch = timezone.localdate(), uuid.uuid4()
    LikedProductAlert.objects.bulk_create([
        LikedProductAlert(user_id=like.user_id, product_id=like.object_id, sent_on=today, batch=batch,
                          price=alerts[like.object_id]['price'], reason=(
                              LikedProductAlert.REASON_BACK_IN_STOCK if alerts[like.object_id]['back_in_stock']
                              else LikedProductAlert.REASON_PRICE_DROP))
        for like in likes], ignore_conflicts=True)
    ours = set(LikedProductAlert.objects.filter(batch=batch).values_list('user_id', 'product_id'))
    messages = [alert_email(like.user, products[like.object_id], alerts[like.object_id])
                for like in likes if (like.user_id, like.object_id) in ours]
    with mail.get_connection() as connection:
        sent = connection.send_messages(messages)
    logger.info('send_liked_product_alerts sent %s e-mails about products %s.', sent, sorted(products))
    return sent


def alert_email(user, product, alert):
    """The rendered alert e-mail to `user`, with RFC 8058 one-click unsubscribe headers."""
    url = unsubscribe_url(user.customer.pk)
    message = BaseEmailMessage(
        template_name=ALERT_TEMPLATE, to=[user.email],
        context={'user': user, 'product': product, 'unsubscribe_url': url, **alert},
        headers={'List-Unsubscribe': f'<{url}>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click'})
    message.render()
    return message


def queue_liked_product_alerts(alerts):
    """Queue the e-mails of these alerts; if the broker is down the change stands as it is, and we log it."""
    try:
        send_liked_product_alerts.delay(alerts)
    except Exception:
        logger.exception('Could not queue the liked-product alerts of products %s.',
                         [alert['product_id'] for alert in alerts])
