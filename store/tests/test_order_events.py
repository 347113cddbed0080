"""Order history (issue 16, item 4): every change to an order writes an OrderEvent in the change's own
transaction, with its actor (customer, staff user or system); GET /store/orders/{id}/events/ lists them oldest
first for the owner and staff."""
from datetime import timedelta

import pytest
from model_bakery import baker
from django.contrib.auth.models import Permission
from django.db import DatabaseError, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework import status

from store import services
from store.exceptions import PaymentProviderError
from store.models import Order, OrderEvent, Payment

from .factories import customer_of, inventory
from .orders_helpers import NOT_AUTHENTICATED, ORDERS_URL, make_order, order_url, place, timestamp

SHIPPING = {'name': 'Ada Lovelace', 'street': '12 St James Sq', 'city': 'London', 'zip': 'SW1Y 4JH',
            'country': 'GB', 'phone': ''}
SHIP = {'carrier': 'DHL', 'tracking_number': '42'}
SYSTEM = {'type': 'system', 'username': None}


def events_url(order):
    return f'{order_url(order.pk)}events/'


def types(order):
    return list(OrderEvent.objects.filter(order=order).order_by('created_at', 'id').values_list('type', flat=True))


@pytest.fixture
def customer_user(django_user_model):
    return django_user_model.objects.create_user('ann', email='ann@example.com')


@pytest.fixture
def staff_user(django_user_model):
    user = django_user_model.objects.create_user('sam', is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename='cancel_order'))
    return user


@pytest.mark.django_db
class TestEventsThroughTheApi:
    def test_placed_paid_shipped_delivered_with_their_actors(self, api_client, customer_user, staff_user, mug):
        api_client.force_authenticate(customer_user)
        cart = services.add_to_cart(cart_id=api_client.post('/store/carts/').json()['id'], product=mug, quantity=2).cart_id
        order_id = api_client.post(ORDERS_URL, {'cart_id': str(cart), 'shipping_address': SHIPPING},
                                   format='json').json()['id']
        order = Order.objects.get(pk=order_id)
        assert api_client.post(f'{order_url(order_id)}payment/').status_code == 201
        api_client.force_authenticate(staff_user)
        assert api_client.patch(order_url(order_id), {'payment_status': 'C'}, format='json').status_code == 200
        assert api_client.post(f'{order_url(order_id)}ship/', SHIP, format='json').status_code == 200
        assert api_client.post(f'{order_url(order_id)}deliver/').status_code == 200

        api_client.force_authenticate(customer_user)
        response = api_client.get(events_url(order))

        assert response.status_code == status.HTTP_200_OK
        events = list(OrderEvent.objects.filter(order=order).order_by('id'))
        customer = {'type': 'customer', 'username': 'ann'}
        staff = {'type': 'staff', 'username': 'sam'}
        assert response.json() == [
            {'id': events[0].pk, 'type': 'placed', 'actor': customer, 'created_at': timestamp(events[0].created_at),
             'data': {'total': '19.78', 'currency': 'USD', 'shipping_address': SHIPPING}},
            {'id': events[1].pk, 'type': 'payment_started', 'actor': customer,
             'created_at': timestamp(events[1].created_at), 'data': {'provider': 'manual', 'amount': 1978, 'currency': 'USD'}},
            {'id': events[2].pk, 'type': 'paid', 'actor': staff, 'created_at': timestamp(events[2].created_at),
             'data': {'provider': 'manual', 'payment_status': 'C'}},
            {'id': events[3].pk, 'type': 'shipped', 'actor': staff, 'created_at': timestamp(events[3].created_at),
             'data': {'carrier': 'DHL', 'tracking_number': '42', 'override': False}},
            {'id': events[4].pk, 'type': 'delivered', 'actor': staff, 'created_at': timestamp(events[4].created_at),
             'data': {}},
        ]

    def test_address_set_and_cancelled_by_the_owner(self, api_client, customer_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        api_client.force_authenticate(customer_user)
        assert api_client.post(f'{order_url(order.pk)}address/', {'shipping_address': SHIPPING},
                               format='json').status_code == 200
        assert api_client.post(f'{order_url(order.pk)}cancel/').status_code == 200
        body = api_client.get(events_url(order)).json()
        assert [(event['type'], event['actor']['type']) for event in body] == [
            ('placed', 'system'), ('address_set', 'customer'), ('cancelled', 'customer')]
        assert body[1]['data'] == {'shipping_address': SHIPPING}

    def test_staff_cancelling_a_paid_order_refund_then_cancel(self, api_client, customer_user, staff_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        services.update_order(order=order, payment_status='C', actor=staff_user)
        api_client.force_authenticate(staff_user)
        assert api_client.post(f'{order_url(order.pk)}cancel/').status_code == 200
        assert types(order) == ['placed', 'paid', 'refunded', 'cancelled']
        assert OrderEvent.objects.filter(order=order, type='refunded').get().actor == {'type': 'staff', 'username': 'sam'}

    def test_ship_override_is_recorded(self, customer_user, staff_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        services.set_order_address(order=order, shipping_address=SHIPPING)
        services.ship_order(order=order, override=True, actor=staff_user, **SHIP)
        assert OrderEvent.objects.get(order=order, type='shipped').data == {**SHIP, 'override': True}


@pytest.mark.django_db
class TestSystemEvents:
    def manual_payment(self, customer_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        payment, _ = services.start_payment(order=order, actor=customer_user)
        return order, payment

    def test_a_provider_success_is_paid_by_the_system(self, customer_user, mug):
        order, payment = self.manual_payment(customer_user, mug)
        with transaction.atomic():
            services.apply_intent_status(order=services.lock_order(order.pk), payment=payment, status='succeeded',
                                         amount=payment.amount, currency=payment.currency)
        event = OrderEvent.objects.get(order=order, type='paid')
        assert (event.actor, event.data) == (SYSTEM, {'provider': 'manual', 'amount': 989, 'currency': 'USD'})

    def test_a_provider_failure_is_payment_failed_once(self, customer_user, mug):
        order, payment = self.manual_payment(customer_user, mug)
        for _ in range(2):
            with transaction.atomic():
                services.apply_intent_status(order=services.lock_order(order.pk), payment=payment, status='failed')
        assert types(order) == ['placed', 'payment_started', 'payment_failed']
        assert OrderEvent.objects.get(order=order, type='payment_failed').actor == SYSTEM

    def test_a_full_refund_at_the_provider_refunds_and_cancels(self, customer_user, mug):
        order, payment = self.manual_payment(customer_user, mug)
        with transaction.atomic():
            services.apply_intent_status(order=services.lock_order(order.pk), payment=payment, status='succeeded',
                                         amount=payment.amount, currency=payment.currency)
        with transaction.atomic():
            services.apply_refund(order=services.lock_order(order.pk), payment=Payment.objects.get(pk=payment.pk),
                                  fully_refunded=True, amount=payment.amount)
        assert types(order) == ['placed', 'payment_started', 'paid', 'refunded', 'cancelled']

    def test_expiry(self, customer_user, mug, settings):
        settings.PAYMENT_TIMEOUT = timedelta(minutes=30)
        order = place(customer_of(customer_user), (mug, 1))
        assert services.expire_order(order_id=order.pk, now=timezone.now() + timedelta(hours=1))
        assert types(order) == ['placed', 'expired']
        assert OrderEvent.objects.get(order=order, type='expired').actor == SYSTEM

    def test_nothing_changed_nothing_recorded(self, customer_user, staff_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        services.update_order(order=order, payment_status='P', actor=staff_user)  # unchanged
        services.start_payment(order=order)
        services.start_payment(order=order)  # the open payment again: no new attempt
        assert types(order) == ['placed', 'payment_started']


def fail_on_event(sender, **kwargs):
    raise DatabaseError('the event row was written, then the transaction failed')


def fail_on_order_save(sender, **kwargs):
    raise DatabaseError('the order change failed')


@pytest.mark.django_db(transaction=True)
class TestAtomicity:
    """A failure after the event row is written rolls the change back with it; a change that fails writes no event."""

    @pytest.fixture
    def failing_after_the_event(self):
        post_save.connect(fail_on_event, sender=OrderEvent)
        yield
        post_save.disconnect(fail_on_event, sender=OrderEvent)

    @pytest.fixture
    def failing_order_save(self):
        pre_save.connect(fail_on_order_save, sender=Order)
        yield
        pre_save.disconnect(fail_on_order_save, sender=Order)

    @pytest.fixture
    def order(self, customer_user, mug):
        order = place(customer_of(customer_user), (mug, 2))
        Order.objects.filter(pk=order.pk).update(payment_status='C', shipping_address=SHIPPING)
        return order

    def test_ship_rolled_back_with_its_event(self, order, failing_after_the_event):
        with pytest.raises(DatabaseError):
            services.ship_order(order=order, **SHIP)
        order.refresh_from_db()
        assert (order.fulfilment_status, order.carrier) == ('unfulfilled', '')
        assert types(order) == ['placed']

    def test_cancel_rolled_back_with_its_events_and_stock(self, order, mug, staff_user, failing_after_the_event):
        with pytest.raises(DatabaseError):
            services.cancel_order(order=order, actor=staff_user)
        order.refresh_from_db()
        assert (order.cancelled_at, order.payment_status) == (None, 'C')
        assert inventory(mug) == 8
        assert types(order) == ['placed']

    def test_placing_rolled_back_with_its_event(self, customer_user, mug, failing_after_the_event):
        from .factories import make_cart
        cart = make_cart((mug, 1))
        with pytest.raises(DatabaseError):
            services.place_order(customer=customer_of(customer_user), cart_id=cart.pk)
        assert not Order.objects.exists() and not OrderEvent.objects.exists()
        assert inventory(mug) == 10

    def test_a_refund_the_provider_refuses_writes_no_event(self, order, mug, staff_user, stripe_settings, settings):
        settings.PAYMENT_PROVIDER = 'stripe'
        baker.make(Payment, order=order, provider='stripe', provider_id='pi_unknown_at_stripe', amount=1978,
                   currency='USD', status=Payment.STATUS_SUCCEEDED)
        with pytest.raises(PaymentProviderError):
            services.cancel_order(order=order, actor=staff_user)
        order.refresh_from_db()
        assert (order.cancelled_at, order.payment_status) == (None, 'C')
        assert types(order) == ['placed']

    def test_an_order_change_that_fails_writes_no_event(self, order, failing_order_save):
        with pytest.raises(DatabaseError):
            services.ship_order(order=order, **SHIP)
        assert types(order) == ['placed']


@pytest.mark.django_db
class TestEventsEndpoint:
    def test_anonymous_401_other_customer_404_owner_and_staff_200(self, api_client, authenticate, customer_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        response = api_client.get(events_url(order))
        assert response.status_code == status.HTTP_401_UNAUTHORIZED and response.json() == NOT_AUTHENTICATED
        authenticate()
        assert api_client.get(events_url(order)).status_code == status.HTTP_404_NOT_FOUND
        authenticate(is_staff=True)
        assert [event['type'] for event in api_client.get(events_url(order)).json()] == ['placed']
        api_client.force_authenticate(customer_user)
        assert api_client.get(events_url(order)).status_code == status.HTTP_200_OK
        assert api_client.get(f'/store/orders/{order.pk + 1000}/events/').status_code == status.HTTP_404_NOT_FOUND

    def test_oldest_first(self, api_client, customer_user, mug):
        order = place(customer_of(customer_user), (mug, 1))
        for city in ('York', 'Bath', 'Leeds'):
            services.set_order_address(order=order, shipping_address={**SHIPPING, 'city': city})
        api_client.force_authenticate(customer_user)
        body = api_client.get(events_url(order)).json()
        assert [event['data'].get('shipping_address', {}).get('city') for event in body[1:]] == ['York', 'Bath', 'Leeds']
        assert [event['id'] for event in body] == sorted(event['id'] for event in body)

    def test_query_count_does_not_grow_with_events(self, api_client, customer_user, mug, django_assert_num_queries):
        order = place(customer_of(customer_user), (mug, 1))
        api_client.force_authenticate(customer_user)
        with django_assert_num_queries(3) as one:  # the order, its items with their products, its events
            api_client.get(events_url(order))
        for _ in range(10):
            services.set_order_address(order=order, shipping_address=SHIPPING)
        with django_assert_num_queries(len(one.captured_queries)):
            assert len(api_client.get(events_url(order)).json()) == 11


@pytest.mark.django_db
class TestOrderQueryBudgetsWithEvents:
    """The order JSON shows no events: the list and detail cost the same with 1 event per order as with many."""

    def queries(self, api_client, url, django_assert_max_num_queries):
        with django_assert_max_num_queries(10) as captured:
            assert api_client.get(url).status_code == 200
        return len(captured.captured_queries)

    @pytest.mark.parametrize('is_staff', [False, True])
    def test_list_and_detail(self, api_client, authenticate, mug, tea, is_staff, django_assert_max_num_queries):
        user = authenticate(is_staff=is_staff)
        first = place(customer_of(user), (mug, 1))
        before = (self.queries(api_client, ORDERS_URL, django_assert_max_num_queries),
                  self.queries(api_client, order_url(first.pk), django_assert_max_num_queries))
        for _ in range(4):
            order = place(customer_of(user), (mug, 1), (tea, 2))
            for _ in range(5):
                services.set_order_address(order=order, shipping_address=SHIPPING)
        for _ in range(5):
            services.set_order_address(order=first, shipping_address=SHIPPING)
        after = (self.queries(api_client, ORDERS_URL, django_assert_max_num_queries),
                 self.queries(api_client, order_url(first.pk), django_assert_max_num_queries))
        assert after == before
        assert OrderEvent.objects.count() == 30


@pytest.mark.django_db
def test_events_inline_in_the_admin(client, admin_user, customer_user, mug):
    order = place(customer_of(customer_user), (mug, 1))
    services.set_order_address(order=order, shipping_address={**SHIPPING, 'city': 'Timbuktu'})
    client.force_login(admin_user)
    html = client.get(f'/admin/store/order/{order.pk}/change/').content.decode()
    assert 'address_set' in html and 'Timbuktu' in html
