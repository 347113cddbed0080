"""The order confirmation e-mail: queued when POST /store/orders/ commits, sent by a Celery task.

Without REDIS_URL the task runs eagerly in-process and mail lands in Django's locmem outbox; the tests force
eager execution so that they behave the same when REDIS_URL is set. One test delivers through a real local
SMTP server (aiosmtpd).
"""
import socket
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from model_bakery import baker
from rest_framework import status

from store.models import Cart, CartItem, Customer, Order, OrderItem, Product
from store.tasks import send_order_confirmation
from storefront.celery import celery

ORDERS_URL = '/store/orders/'
CUSTOMER_EMAIL = 'ann@example.com'


# Every test here runs its queued tasks in-process, even when REDIS_URL is set.
pytestmark = pytest.mark.usefixtures('eager_tasks')


def make_cart(*lines):
    cart = baker.make(Cart)
    for product, quantity in lines:
        baker.make(CartItem, cart=cart, product=product, quantity=quantity)
    return cart


@pytest.fixture
def products():
    return (baker.make(Product, title='Espresso Cup', unit_price=Decimal('10.00'), inventory=20),
            baker.make(Product, title='Milk Jug', unit_price=Decimal('7.50'), inventory=20))


@pytest.fixture
def cart(products):
    cup, jug = products
    return make_cart((cup, 2), (jug, 3))


@pytest.fixture
def customer_user(authenticate):
    return authenticate(email=CUSTOMER_EMAIL, first_name='Ann')


def place(api_client, cart, **headers):
    return api_client.post(ORDERS_URL, {'cart_id': str(cart.pk)}, format='json', **headers)


@pytest.mark.django_db
class TestConfirmationSentAfterCommit:
    def test_no_email_before_the_commit_then_exactly_one(self, api_client, customer_user, cart,
                                                         django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks() as callbacks:
            response = place(api_client, cart)
        assert response.status_code == status.HTTP_201_CREATED
        assert mailoutbox == []
        for callback in callbacks:
            callback()
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [CUSTOMER_EMAIL]

    def test_subject_text_and_html(self, api_client, customer_user, cart,
                                   django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks(execute=True):
            response = place(api_client, cart)
        assert response.status_code == status.HTTP_201_CREATED
        order_id = response.data['id']
        [message] = mailoutbox
        assert message.to == [CUSTOMER_EMAIL]
        assert message.subject == f'Your Storefront order #{order_id} is confirmed'
        assert message.from_email == 'Storefront <noreply@storefront.local>'
        assert message.body.startswith(f'Hello Ann,\n\nthank you for your order #{order_id}, placed on ')
        assert '- 2 x Espresso Cup at 10.00 = 20.00\n- 3 x Milk Jug at 7.50 = 22.50\n' in message.body
        assert '\nTotal: 42.50\n' in message.body
        assert len(message.alternatives) == 1
        html, mimetype = message.alternatives[0]
        assert mimetype == 'text/html'
        assert '<td>Espresso Cup</td><td align="right">2</td>' in html
        assert '<td>Milk Jug</td><td align="right">3</td>' in html
        assert '<strong>Total: 42.50</strong>' in html
        assert f'Thank you for your order #{order_id}</h1>' in html

    def test_the_plain_text_is_not_html_escaped_but_the_html_is(self, api_client, authenticate,
                                                                 django_capture_on_commit_callbacks, mailoutbox):
        # The text part is read as-is by mail clients: '&' must stay '&', not become '&amp;'.
        authenticate(email=CUSTOMER_EMAIL, first_name="D'Arcy")
        product = baker.make(Product, title='Salt & Pepper <Mill>', unit_price=Decimal('12.00'), inventory=5)
        with django_capture_on_commit_callbacks(execute=True):
            response = place(api_client, make_cart((product, 1)))
        assert response.status_code == status.HTTP_201_CREATED
        [message] = mailoutbox
        assert message.body.startswith("Hello D'Arcy,\n")
        assert '- 1 x Salt & Pepper <Mill> at 12.00 = 12.00\n' in message.body
        html, _ = message.alternatives[0]
        assert '<td>Salt &amp; Pepper &lt;Mill&gt;</td>' in html

    def test_the_subject_is_not_html_escaped(self, api_client, customer_user, cart, settings,
                                             django_capture_on_commit_callbacks, mailoutbox):
        settings.SITE_NAME = "Ann & Bob's"
        with django_capture_on_commit_callbacks(execute=True):
            response = place(api_client, cart)
        [message] = mailoutbox
        assert message.subject == f"Your Ann & Bob's order #{response.data['id']} is confirmed"

    def test_greets_by_username_without_a_first_name(self, api_client, authenticate, cart,
                                                     django_capture_on_commit_callbacks, mailoutbox):
        authenticate(email=CUSTOMER_EMAIL, username='ann42', first_name='')
        with django_capture_on_commit_callbacks(execute=True):
            place(api_client, cart)
        [message] = mailoutbox
        assert message.body.startswith('Hello ann42,\n')


@pytest.mark.django_db
class TestNoConfirmationWhenNoOrderIsPlaced:
    def test_empty_cart(self, api_client, customer_user, django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = place(api_client, baker.make(Cart))
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'cart_id': ['The cart is empty.']}
        assert callbacks == []
        assert mailoutbox == []
        assert not Order.objects.exists()

    def test_out_of_stock(self, api_client, customer_user, django_capture_on_commit_callbacks, mailoutbox):
        product = baker.make(Product, title='Rare Teapot', unit_price=Decimal('30.00'), inventory=1)
        cart = make_cart((product, 1))
        Product.objects.filter(pk=product.pk).update(inventory=0)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = place(api_client, cart)
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.data == {'cart_id': ['Only 0 units of "Rare Teapot" are available.']}
        assert callbacks == []
        assert mailoutbox == []
        assert not Order.objects.exists()


@pytest.mark.django_db
class TestIdempotentReplay:
    def test_a_replay_sends_no_second_email(self, api_client, customer_user, cart,
                                            django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks(execute=True):
            first = place(api_client, cart, HTTP_IDEMPOTENCY_KEY='order-1')
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            replay = place(api_client, cart, HTTP_IDEMPOTENCY_KEY='order-1')
        assert first.status_code == replay.status_code == status.HTTP_201_CREATED
        assert replay.headers['Idempotent-Replayed'] == 'true'
        assert replay.data['id'] == first.data['id']
        assert callbacks == []
        assert len(mailoutbox) == 1


@pytest.mark.django_db
class TestCustomerWithoutEmail:
    def test_order_succeeds_and_no_email_is_sent(self, api_client, authenticate, cart, caplog,
                                                 django_capture_on_commit_callbacks, mailoutbox):
        user = authenticate(email='')
        with django_capture_on_commit_callbacks(execute=True):
            response = place(api_client, cart)
        assert response.status_code == status.HTTP_201_CREATED
        assert Order.objects.filter(pk=response.data['id'], customer__user=user).exists()
        assert mailoutbox == []
        warnings = [record for record in caplog.records if record.name == 'store.tasks']
        assert [(record.levelname, record.getMessage()) for record in warnings] == [
            ('WARNING', f"Order {response.data['id']}: customer {user.pk} has no e-mail address; no confirmation sent.")]


class RecordingHandler:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return '250 Message accepted for delivery'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname='127.0.0.1', port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.mark.django_db
class TestDeliveryOverSmtp:
    def test_the_task_delivers_through_a_real_smtp_server(self, smtp_server, settings, make_customer):
        controller, handler = smtp_server
        settings.EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'
        settings.EMAIL_HOST = controller.hostname
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ''
        settings.EMAIL_HOST_PASSWORD = ''
        customer = make_customer(email=CUSTOMER_EMAIL, first_name='Ann')
        product = baker.make(Product, title='Espresso Cup', unit_price=Decimal('10.00'), inventory=20)
        order = baker.make(Order, customer=customer)
        baker.make(OrderItem, order=order, product=product, quantity=2, unit_price=product.unit_price)

        send_order_confirmation(order.id)

        [envelope] = handler.envelopes
        assert envelope.rcpt_tos == [CUSTOMER_EMAIL]
        assert envelope.mail_from == 'noreply@storefront.local'
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert message['Subject'] == f'Your Storefront order #{order.id} is confirmed'
        assert message['To'] == CUSTOMER_EMAIL
        assert message.get_content_type() == 'multipart/alternative'
        text = message.get_body(preferencelist=('plain',)).get_content().replace('\r\n', '\n')
        html = message.get_body(preferencelist=('html',)).get_content()
        assert '- 2 x Espresso Cup at 10.00 = 20.00\n' in text
        assert '<td>Espresso Cup</td>' in html
        assert Customer.objects.get(pk=customer.pk).user.email == CUSTOMER_EMAIL
