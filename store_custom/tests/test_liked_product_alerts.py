"""Alerts on liked products: a liked product back in stock or cheaper e-mails its likers (once per product,
customer and day; never an opted-out customer), with a working unsubscribe link.

Changes go through the store as in production: a write commits, `products_changed` is sent, the receiver
queues the task, which runs eagerly (`eager_tasks`). The clock is frozen (`clock`), so "today" is known.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from model_bakery import baker
from rest_framework import status

from likes.models import LikedItem
from store.caching import pass_promotion_boundaries
from store import services
from store.models import Cart, CartItem, Customer, Product, Promotion
from store.signals import announce_products_changed
from store.tests.concurrency_helpers import SKIP_ON_SQLITE_REASON, run_workers
from store_custom.alerts import customer_of_token, unsubscribe_token
from store_custom.models import LikedProductAlert, WatchedProduct
from store_custom.tasks import send_liked_product_alerts, unsubscribe_url

from .helpers import make_product, warm_content_types

pytestmark = pytest.mark.usefixtures('eager_tasks')

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# Products, the likers (with users and customers), the log rows inserted, the ones this run inserted.
TASK_QUERIES = 4


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """timezone.now(), frozen at NOON (TIME_ZONE is UTC); `clock.advance(**timedelta_kwargs)` moves it."""
    class Clock:
        now = NOON

        def advance(self, **delta):
            self.now += timedelta(**delta)

    frozen = Clock()
    monkeypatch.setattr(timezone, 'now', lambda: frozen.now)
    return frozen


@pytest.fixture(autouse=True)
def site(settings):
    """Where the e-mailed links point (a worker has no request to read it from)."""
    settings.DOMAIN, settings.SECURE_SSL_REDIRECT, settings.SITE_NAME = 'shop.example.com', False, 'Storefront'


@pytest.fixture
def mug(db):
    return make_product(title='Coffee Mug', unit_price=Decimal('10.00'), inventory=5)


@pytest.fixture
def likers(make_customer, mug):
    """Two customers who like the mug (liked while it was as the test made it)."""
    customers = [make_customer(email='ada@example.com', first_name='Ada'),
                 make_customer(email='bob@example.com', first_name='Bob')]
    for customer in customers:
        LikedItem.objects.like(customer.user, mug)
    return customers


@pytest.fixture
def change(django_capture_on_commit_callbacks):
    """Commit what the block does as production would: its on-commit callbacks (products_changed, the
    queued task) run at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def save(product, **fields):
    for name, value in fields.items():
        setattr(product, name, value)
    product.save()


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def subjects():
    return [message.subject for message in mail.outbox]


@pytest.mark.django_db
class TestBackInStock:
    def test_each_liker_gets_one_email(self, mug, make_customer, change):
        save(mug, inventory=0)
        ada, bob = make_customer(email='ada@example.com'), make_customer(email='bob@example.com')
        for customer in (ada, bob):
            LikedItem.objects.like(customer.user, mug)

        with change():
            save(mug, inventory=3)

        assert recipients() == ['ada@example.com', 'bob@example.com']
        assert subjects() == ['Coffee Mug is back in stock at Storefront'] * 2
        assert 'Coffee Mug, which you like, is back in stock at 10.00.' in mail.outbox[0].body
        assert set(LikedProductAlert.objects.values_list('user', 'product', 'sent_on', 'reason', 'price')) == {
            (customer.user.pk, mug.pk, NOON.date(), 'back_in_stock', Decimal('10.00')) for customer in (ada, bob)}

    def test_more_units_of_a_product_in_stock_is_no_alert(self, mug, likers, change):
        with change():
            save(mug, inventory=50)

        assert mail.outbox == []

    def test_back_in_stock_and_cheaper_says_both(self, mug, likers, change):
        with change():
            save(mug, inventory=0)
        with change():
            save(mug, inventory=2, unit_price=Decimal('7.50'))

        assert subjects() == ['Coffee Mug is back in stock, now 7.50 at Storefront'] * 2
        assert 'back in stock, and cheaper: 7.50 instead of 10.00.' in mail.outbox[0].body

    def test_sold_out_by_an_order_then_back_when_it_is_cancelled(self, mug, likers, make_customer, change):
        buyer = make_customer(email='carol@example.com')
        cart = baker.make(Cart)
        baker.make(CartItem, cart=cart, product=mug, quantity=5)
        with change():
            order, _ = services.place_order(customer=buyer, cart_id=cart.pk)
        assert WatchedProduct.objects.get(pk=mug.pk).in_stock is False
        mail.outbox.clear()  # the order's confirmation

        with change():
            services.cancel_order(order=order)

        assert recipients() == ['ada@example.com', 'bob@example.com']
        assert subjects() == ['Coffee Mug is back in stock at Storefront'] * 2

    def test_sold_out_in_the_admin_then_restocked(self, admin_client, mug, likers, change):
        with change():
            response = admin_client.post('/admin/store/product/', {
                'action': 'clear_inventory', '_selected_action': [mug.pk]})
        assert response.status_code == 302
        assert WatchedProduct.objects.get(pk=mug.pk).in_stock is False

        with change():
            save(mug, inventory=4)

        assert subjects() == ['Coffee Mug is back in stock at Storefront'] * 2

    def test_units_returned_by_a_cancelled_order_count(self, mug, likers, change):
        # What an order's cancellation does to the product, and the signal the store then sends.
        Product.objects.filter(pk=mug.pk).update(inventory=0)
        with change():
            announce_products_changed([mug.pk])
        Product.objects.filter(pk=mug.pk).update(inventory=1)
        with change():
            announce_products_changed([mug.pk])

        assert subjects() == ['Coffee Mug is back in stock at Storefront'] * 2


@pytest.mark.django_db
class TestPriceDrop:
    def test_a_lower_unit_price_emails_the_likers(self, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert recipients() == ['ada@example.com', 'bob@example.com']
        assert subjects() == ['Coffee Mug now costs 8.00 (was 10.00) at Storefront'] * 2
        assert 'Coffee Mug, which you like, now costs 8.00 instead of 10.00.' in mail.outbox[0].body

    def test_a_promotion_linked_to_the_product(self, clock, mug, likers, change):
        with change():
            promotion = baker.make(Promotion, discount=Decimal('25'), starts_at=clock.now - timedelta(days=1))
            promotion.product_set.add(mug)

        assert subjects() == ['Coffee Mug now costs 7.50 (was 10.00) at Storefront'] * 2

    def test_a_promotion_starting(self, clock, mug, likers, change):
        with change():
            promotion = baker.make(Promotion, discount=Decimal('10'), starts_at=clock.now + timedelta(hours=1))
            promotion.product_set.add(mug)
        assert mail.outbox == []  # not started yet: the price is the same

        clock.advance(hours=2)
        with change():
            pass_promotion_boundaries(now=timezone.now())

        assert subjects() == ['Coffee Mug now costs 9.00 (was 10.00) at Storefront'] * 2

    def test_a_higher_price_is_no_alert(self, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('12.00'))

        assert mail.outbox == []
        assert WatchedProduct.objects.get(pk=mug.pk).price == Decimal('12.00')

    def test_a_save_that_changes_no_price_or_stock_is_no_alert(self, mug, likers, change):
        with change():
            save(mug, title='Big Coffee Mug')

        assert mail.outbox == []

    def test_a_drop_after_a_rise_is_measured_from_the_higher_price(self, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('12.00'))
        with change():
            save(mug, unit_price=Decimal('11.00'))

        assert subjects() == ['Coffee Mug now costs 11.00 (was 12.00) at Storefront'] * 2

    @pytest.mark.parametrize('end_the_sale', [
        lambda promotion, product: promotion.product_set.remove(product),
        lambda promotion, product: product.promotions.clear(),
        lambda promotion, product: promotion.delete(),
    ], ids=['unlinked', 'cleared', 'deleted'])
    def test_a_sale_that_ended_and_came_back_is_a_drop_again(self, clock, mug, likers, change, end_the_sale):
        with change():
            promotion = baker.make(Promotion, discount=Decimal('25'), starts_at=clock.now - timedelta(days=1))
            promotion.product_set.add(mug)
        clock.advance(days=1)  # past the day's cap
        with change():
            end_the_sale(promotion, mug)
        assert WatchedProduct.objects.get(pk=mug.pk).price == Decimal('10.00')  # seen back at its list price
        mail.outbox.clear()

        with change():
            again = baker.make(Promotion, discount=Decimal('25'), starts_at=clock.now - timedelta(hours=1))
            again.product_set.add(mug)

        assert subjects() == ['Coffee Mug now costs 7.50 (was 10.00) at Storefront'] * 2


@pytest.mark.django_db
class TestOncePerDay:
    def test_a_second_drop_the_same_day_is_not_emailed(self, clock, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('9.00'))
        clock.advance(hours=11, minutes=59)  # 23:59 the same day
        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert subjects() == ['Coffee Mug now costs 9.00 (was 10.00) at Storefront'] * 2

    def test_the_next_day_it_is(self, clock, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('9.00'))
        clock.advance(hours=12)  # midnight: the next day
        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert subjects() == (['Coffee Mug now costs 9.00 (was 10.00) at Storefront'] * 2
                              + ['Coffee Mug now costs 8.00 (was 9.00) at Storefront'] * 2)

    def test_the_cap_is_per_product(self, mug, likers, change):
        tea = make_product(title='Green Tea', unit_price=Decimal('4.00'))
        LikedItem.objects.like(likers[0].user, tea)
        with change():
            save(mug, unit_price=Decimal('9.00'))
        with change():
            save(tea, unit_price=Decimal('3.00'))

        assert [(message.to, message.subject) for message in mail.outbox][-1] == (
            ['ada@example.com'], 'Green Tea now costs 3.00 (was 4.00) at Storefront')
        assert len(mail.outbox) == 3


@pytest.mark.django_db
class TestWhoIsAlerted:
    def test_never_an_opted_out_customer(self, mug, likers, change):
        Customer.objects.filter(pk=likers[0].pk).update(liked_product_alerts=False)

        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert recipients() == ['bob@example.com']
        assert not LikedProductAlert.objects.filter(user=likers[0].user).exists()

    def test_never_a_customer_without_an_email_address(self, mug, likers, make_customer, change):
        LikedItem.objects.like(make_customer(email='').user, mug)

        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert recipients() == ['ada@example.com', 'bob@example.com']

    def test_only_the_products_likers(self, mug, likers, make_customer, change):
        LikedItem.objects.unlike(likers[1].user, mug)
        LikedItem.objects.like(make_customer(email='carol@example.com').user, make_product(title='Green Tea'))

        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert recipients() == ['ada@example.com']

    def test_a_product_nobody_likes_is_not_watched(self, mug, change):
        with change():
            save(mug, inventory=0)

        assert not WatchedProduct.objects.exists()

    def test_a_product_liked_before_alerts_watched_it_is_watched_from_its_next_change(self, mug, likers, change):
        WatchedProduct.objects.all().delete()

        with change():
            save(mug, unit_price=Decimal('9.00'))
        with change():
            save(mug, unit_price=Decimal('8.00'))

        assert subjects() == ['Coffee Mug now costs 8.00 (was 9.00) at Storefront'] * 2

    def test_a_state_stays_current_while_nobody_likes_the_product(self, mug, likers, make_customer, change):
        for customer in likers:
            LikedItem.objects.unlike(customer.user, mug)
        with change():
            save(mug, inventory=0)
        with change():
            save(mug, inventory=4)  # back in stock while nobody liked it
        LikedItem.objects.like(make_customer(email='carol@example.com').user, mug)

        with change():
            save(mug, inventory=9)

        assert mail.outbox == []

    def test_no_task_is_queued_for_a_product_nobody_likes_any_more(self, mug, likers, change):
        for customer in likers:
            LikedItem.objects.unlike(customer.user, mug)

        with mock.patch('store_custom.signals.queue_liked_product_alerts') as queue, change():
            save(mug, unit_price=Decimal('8.00'))

        queue.assert_not_called()
        assert WatchedProduct.objects.get(pk=mug.pk).price == Decimal('8.00')


@pytest.mark.django_db
class TestTheEmail:
    def test_has_one_click_unsubscribe_headers_and_link(self, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('8.00'))

        message = next(message for message in mail.outbox if message.to == ['ada@example.com'])
        url = message.extra_headers['List-Unsubscribe'][1:-1]
        prefix = 'http://shop.example.com/store/liked-product-alerts/unsubscribe/'
        # The token is signed with the time (a second may pass between two signings): checked by what it opens.
        assert url.startswith(prefix) and url.endswith('/')
        assert customer_of_token(url[len(prefix):-1]) == likers[0]
        assert message.extra_headers == {'List-Unsubscribe': f'<{url}>',
                                         'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click'}
        assert url in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == 'text/html'
        assert f'href="{url}"' in html and 'Hello Ada' in html

    def test_links_are_https_where_the_site_redirects_to_it(self, settings, likers):
        settings.SECURE_SSL_REDIRECT = True

        assert unsubscribe_url(likers[0].pk).startswith('https://shop.example.com/store/liked-product-alerts/')

    def test_one_smtp_connection_for_the_batch(self, mug, likers, change):
        with mock.patch('django.core.mail.backends.locmem.EmailBackend.open') as open_connection, change():
            save(mug, unit_price=Decimal('8.00'))

        assert len(mail.outbox) == 2
        open_connection.assert_called_once_with()


@pytest.mark.django_db
class TestUnsubscribe:
    @pytest.fixture
    def url(self, likers):
        return f'/store/liked-product-alerts/unsubscribe/{unsubscribe_token(likers[0].pk)}/'

    def opted_in(self, customer):
        return Customer.objects.values_list('liked_product_alerts', flat=True).get(pk=customer.pk)

    def test_get_shows_a_button_and_changes_nothing(self, url, likers):
        response = Client().get(url)

        assert response.status_code == status.HTTP_200_OK
        assert response['Content-Type'] == 'text/html; charset=utf-8'
        assert b'<button type="submit">Unsubscribe</button>' in response.content
        assert self.opted_in(likers[0]) is True

    def test_post_opts_the_customer_out_and_alerts_stop(self, url, mug, likers, change):
        response = Client(enforce_csrf_checks=True).post(url)

        assert response.status_code == status.HTTP_200_OK
        assert b'You are unsubscribed' in response.content
        assert self.opted_in(likers[0]) is False
        assert self.opted_in(likers[1]) is True
        with change():
            save(mug, unit_price=Decimal('8.00'))
        assert recipients() == ['bob@example.com']

    def test_rfc_8058_one_click_post_needs_no_session_or_csrf_token(self, url, likers):
        response = Client(enforce_csrf_checks=True).post(
            url, 'List-Unsubscribe=One-Click', content_type='application/x-www-form-urlencoded')

        assert response.status_code == status.HTTP_200_OK
        assert self.opted_in(likers[0]) is False

    def test_the_link_of_the_email_works(self, mug, likers, change):
        with change():
            save(mug, unit_price=Decimal('8.00'))
        message = next(message for message in mail.outbox if message.to == ['bob@example.com'])
        path = message.extra_headers['List-Unsubscribe'].strip('<>').removeprefix('http://shop.example.com')

        assert Client().post(path).status_code == status.HTTP_200_OK
        assert self.opted_in(likers[1]) is False

    def test_an_opted_out_customer_is_told_so(self, url, likers):
        Client().post(url)

        response = Client().get(url)

        assert b'You are already unsubscribed' in response.content
        assert b'<button' not in response.content

    @pytest.mark.parametrize('make_token', [
        lambda: 'garbage',
        lambda: signing.dumps(1),  # signed for another purpose (no salt)
        lambda: signing.dumps(1, salt='store_custom.liked-product-alerts.unsubscribe') + 'x',
    ], ids=['garbage', 'another-purpose', 'tampered'])
    def test_a_bad_token_is_404(self, likers, make_token):
        token = make_token()
        for method in ('get', 'post'):
            response = getattr(Client(), method)(f'/store/liked-product-alerts/unsubscribe/{token}/')

            assert response.status_code == status.HTTP_404_NOT_FOUND
        assert {self.opted_in(customer) for customer in likers} == {True}

    def test_the_token_of_a_deleted_customer_is_404(self, url, likers):
        likers[0].user.delete()

        assert Client().post(url).status_code == status.HTTP_404_NOT_FOUND

    def test_other_methods_are_405(self, url, likers):
        assert Client().put(url).status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert self.opted_in(likers[0]) is True

    def test_is_an_html_page_outside_the_api_schema(self):
        paths = SchemaGenerator().get_schema(request=None, public=True)['paths']

        assert not [path for path in paths if 'unsubscribe' in path]


@pytest.mark.django_db
class TestTheTask:
    def alerts(self, product):
        return [{'product_id': product.pk, 'back_in_stock': False, 'price': '8.00', 'previous_price': '10.00'}]

    @pytest.mark.parametrize('liker_count', [1, 10])
    def test_queries_are_constant_in_the_likers(self, mug, make_customer, liker_count,
                                                django_assert_max_num_queries):
        for _ in range(liker_count):
            LikedItem.objects.like(make_customer().user, mug)
        warm_content_types()

        with django_assert_max_num_queries(TASK_QUERIES):
            sent = send_liked_product_alerts(self.alerts(mug))

        assert sent == len(mail.outbox) == liker_count

    def test_queries_are_constant_in_the_products_too(self, mug, likers):
        tea = make_product(title='Green Tea')
        LikedItem.objects.like(likers[0].user, tea)
        warm_content_types()

        with CaptureQueriesContext(connection) as queries:
            send_liked_product_alerts(self.alerts(mug) + self.alerts(tea))

        assert len(queries) == TASK_QUERIES
        assert len(mail.outbox) == 3

    def test_a_run_again_sends_nothing(self, mug, likers):
        assert send_liked_product_alerts(self.alerts(mug)) == 2

        assert send_liked_product_alerts(self.alerts(mug)) == 0
        assert len(mail.outbox) == 2

    def test_a_deleted_product_is_skipped(self, mug, likers):
        alerts = self.alerts(mug)
        mug.delete()

        assert send_liked_product_alerts(alerts) == 0

    def test_a_broker_outage_is_logged_and_the_change_stands(self, mug, likers, change, caplog):
        with mock.patch.object(send_liked_product_alerts, 'delay', side_effect=OSError('broker down')), change():
            save(mug, unit_price=Decimal('8.00'))

        assert mail.outbox == []
        assert f'Could not queue the liked-product alerts of products [{mug.pk}].' in caplog.text
        assert WatchedProduct.objects.get(pk=mug.pk).price == Decimal('8.00')


@pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_for_the_same_alert_send_one_email(mug, likers):
    alerts = [{'product_id': mug.pk, 'back_in_stock': True, 'price': '10.00', 'previous_price': None}]

    sent = run_workers([lambda: send_liked_product_alerts(alerts)] * 2)

    assert sum(sent) == 2
    assert recipients() == ['ada@example.com', 'bob@example.com']
    assert LikedProductAlert.objects.count() == 2
