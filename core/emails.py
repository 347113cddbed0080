"""djoser's account e-mails (DJOSER['EMAIL']), sent by a Celery task after the commit, not in the request.

A request that e-mails an account answers the same 204 whether or not the address has one, in about the
same time (the SMTP conversation happens in the worker), and an SMTP outage is logged by the task instead
of failing the request. The task renders the e-mail, so the uid and token never travel through the broker.
"""
from djoser import email

from .tasks import queue_account_email


class QueuedEmailMixin:
    def send(self, to, *args, **kwargs):
        # The link's host and scheme come from this request; the worker has none.
        context = email.BaseEmailMessage.get_context_data(self)
        site = {name: context[name] for name in ('domain', 'protocol', 'site_name')}
        queue_account_email(f'{type(self).__module__}.{type(self).__qualname__}', self.context['user'].pk,
                            list(to), site)

    def send_now(self, to):
        """Render and send (the task calls this)."""
        super().send(to)


class ActivationEmail(QueuedEmailMixin, email.ActivationEmail):
    pass


class ConfirmationEmail(QueuedEmailMixin, email.ConfirmationEmail):
    pass


class PasswordResetEmail(QueuedEmailMixin, email.PasswordResetEmail):
    pass


class PasswordChangedConfirmationEmail(QueuedEmailMixin, email.PasswordChangedConfirmationEmail):
    pass


class UsernameChangedConfirmationEmail(QueuedEmailMixin, email.UsernameChangedConfirmationEmail):
    pass


class UsernameResetEmail(QueuedEmailMixin, email.UsernameResetEmail):
    pass
