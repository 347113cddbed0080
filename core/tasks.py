import logging
import smtplib

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# A worker retries a failed SMTP delivery after 1, 2 and 4 minutes, then gives up (logged).
SMTP_RETRIES = 3
SMTP_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, max_retries=SMTP_RETRIES)
def send_account_email(self, email_class, user_id, to, site):
    """Render and send one of djoser's account e-mails (core.emails) to the user `user_id`."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        logger.info('Account e-mail %s not sent: user %s no longer exists.', email_class, user_id)
        return
    message = import_string(email_class)(context={'user': user, **site})
    try:
        message.send_now(to)
    except SMTP_ERRORS as error:
        # In-process (no worker) there is nobody to retry later: log it, the request has answered already.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            logger.exception('Could not send the account e-mail %s to user %s.', email_class, user_id)
            return
        raise self.retry(exc=error, countdown=60 * 2 ** self.request.retries)


def queue_account_email(email_class, user_id, to, site):
    """Queue the e-mail once the request's transaction commits; a broker outage is logged, never raised."""
    def enqueue():
        try:
            send_account_email.delay(email_class, user_id, to, site)
        except Exception:
            logger.exception('Could not queue the account e-mail %s to user %s.', email_class, user_id)
    transaction.on_commit(enqueue)


@shared_task
def flush_expired_tokens():
    """Delete the refresh tokens (outstanding and blacklisted) past their expiry: simplejwt's own command,
    run daily by Celery beat (CELERY_BEAT_SCHEDULE)."""
    call_command('flushexpiredtokens')
