"""The shipping address of an order (issue 16, item 2): given when it is placed (`address_id` of one of the
caller's addresses, or `shipping_address` in full) or afterwards by the owner through POST
/store/orders/{id}/address/ while the order is unpaid, unshipped and not cancelled. The order keeps a copy:
editing or deleting the address later never changes it."""
import pytest
from model_bakery import baker
from rest_framework import status

from store import services
from store.models import Address, Order

from .factories import customer_of, make_cart
from .orders_helpers import NOT_AUTHENTICATED, ORDERS_URL, order_url, place

SHIPPING = {'name': 'Ada Lovelace', 'street': '12 St James Sq', 'city': 'London', 'zip': 'SW1Y 4JH',
            'country': 'GB', 'phone': ''}


def make_address(customer, **fields):
    return baker.make(Address, customer=customer, **{**SHIPPING, **fields})


def address_url(order):
    return f'{order_url(order.pk)}address/'


@pytest.mark.django_db
class TestPlaceWithAnAddress:
    def test_only_a_cart_id_still_gets_201_without_an_address(self, authenticate, api_client, mug):
        authenticate()
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk)}, format='json')
        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['shipping_address'] is None
        assert Order.objects.get().shipping_address is None

    def test_address_id_of_the_callers_address_is_copied(self, authenticate, api_client, mug):
        user = authenticate()
        address = make_address(customer_of(user), phone='555-0100')

        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'address_id': address.pk},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['shipping_address'] == {**SHIPPING, 'phone': '555-0100'}
        assert Order.objects.get().shipping_address == {**SHIPPING, 'phone': '555-0100'}

    def test_inline_shipping_address(self, authenticate, api_client, mug):
        authenticate()
        body = {key: value for key, value in SHIPPING.items() if key != 'phone'}
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'shipping_address': body},
                                   format='json')
        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['shipping_address'] == SHIPPING

    @pytest.mark.parametrize('address_id', ['other', 0, 10**30, 'x', 1.5])
    def test_someone_elses_or_an_unknown_address_id_is_400_and_no_order(self, authenticate, api_client, mug,
                                                                       make_customer, address_id):
        other_address = make_address(make_customer())
        authenticate()
        cart = make_cart((mug, 1))
        body = {'cart_id': str(cart.pk), 'address_id': other_address.pk if address_id == 'other' else address_id}

        response = api_client.post(ORDERS_URL, body, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['address_id']
        assert not Order.objects.exists()

    def test_someone_elses_address_id_says_it_is_not_found(self, authenticate, api_client, mug, make_customer):
        other_address = make_address(make_customer())
        authenticate()
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'address_id': other_address.pk},
                                   format='json')
        assert response.json() == {'address_id': ['No address with the given ID was found in your address book.']}

    def test_both_is_400(self, authenticate, api_client, mug):
        user = authenticate()
        address = make_address(customer_of(user))
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'address_id': address.pk,
                                                'shipping_address': SHIPPING}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'address_id': ['Give either address_id or shipping_address, not both.']}

    @pytest.mark.parametrize('field, value', [('country', 'gb'), ('country', 'XX'), ('zip', 'x' * 21),
                                              ('name', ''), ('phone', 'x' * 33)])
    def test_invalid_inline_address_is_400(self, authenticate, api_client, mug, field, value):
        authenticate()
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk),
                                                'shipping_address': {**SHIPPING, field: value}}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['shipping_address'] and list(response.json()['shipping_address']) == [field]
        assert not Order.objects.exists()

    def test_shipping_address_must_be_an_object(self, authenticate, api_client, mug):
        authenticate()
        response = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'shipping_address': 'here'},
                                   format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['shipping_address']


@pytest.mark.django_db
class TestSnapshot:
    def test_editing_or_deleting_the_address_never_changes_the_order(self, authenticate, api_client, mug):
        user = authenticate()
        address = make_address(customer_of(user))
        order_id = api_client.post(ORDERS_URL, {'cart_id': str(make_cart((mug, 1)).pk), 'address_id': address.pk},
                                   format='json').json()['id']

        response = api_client.patch(f'/store/customers/me/addresses/{address.pk}/', {'street': '1 New Road'},
                                    format='json')
        assert response.status_code == status.HTTP_200_OK
        assert api_client.get(f'{ORDERS_URL}{order_id}/').json()['shipping_address'] == SHIPPING

        assert api_client.delete(f'/store/customers/me/addresses/{address.pk}/').status_code == 204
        assert api_client.get(f'{ORDERS_URL}{order_id}/').json()['shipping_address'] == SHIPPING


@pytest.mark.django_db
class TestSetAddressLater:
    def test_owner_sets_it_by_address_id_200_with_the_order(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        address = make_address(customer_of(user), city='Bath')

        response = api_client.post(address_url(order), {'address_id': address.pk}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == order.pk
        assert response.json()['shipping_address'] == {**SHIPPING, 'city': 'Bath'}

    def test_owner_replaces_it_inline(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        services.set_order_address(order=order, shipping_address={**SHIPPING, 'city': 'York'})

        response = api_client.post(address_url(order), {'shipping_address': SHIPPING}, format='json')

        assert response.status_code == status.HTTP_200_OK
        order.refresh_from_db()
        assert order.shipping_address == SHIPPING

    def test_a_failed_payment_still_allows_it(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        Order.objects.filter(pk=order.pk).update(payment_status=Order.PAYMENT_STATUS_FAILED)
        response = api_client.post(address_url(order), {'shipping_address': SHIPPING}, format='json')
        assert response.status_code == status.HTTP_200_OK

    def test_an_empty_body_is_400(self, authenticate, api_client, mug):
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        response = api_client.post(address_url(order), {}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'address_id': ['Give address_id or shipping_address.']}

    def test_someone_elses_address_id_is_400(self, authenticate, api_client, mug, make_customer):
        other_address = make_address(make_customer())
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        response = api_client.post(address_url(order), {'address_id': other_address.pk}, format='json')
        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert list(response.json()) == ['address_id']
        order.refresh_from_db()
        assert order.shipping_address is None

    @pytest.mark.parametrize('state', ['paid', 'refunded', 'cancelled'])
    def test_refused_400_once_paid_refunded_or_cancelled(self, authenticate, api_client, mug, state):
        user = authenticate()
        order = place(customer_of(user), (mug, 1))
        if state == 'cancelled':
            services.cancel_order(order=order)
        else:
            Order.objects.filter(pk=order.pk).update(
                payment_status=Order.PAYMENT_STATUS_COMPLETE if state == 'paid' else Order.PAYMENT_STATUS_REFUNDED)

        response = api_client.post(address_url(order), {'shipping_address': SHIPPING}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {
            'detail': 'The shipping address can be set only while the order is unpaid, unshipped and not cancelled.'}
        order.refresh_from_db()
        assert order.shipping_address is None

    def test_anonymous_401_other_customer_404_staff_403(self, api_client, authenticate, make_customer, mug):
        order = place(make_customer(), (mug, 1))
        response = api_client.post(address_url(order), {'shipping_address': SHIPPING}, format='json')
        assert response.status_code == status.HTTP_401_UNAUTHORIZED and response.json() == NOT_AUTHENTICATED
        authenticate()
        assert api_client.post(address_url(order), {'shipping_address': SHIPPING},
                               format='json').status_code == status.HTTP_404_NOT_FOUND
        authenticate(is_staff=True)
        response = api_client.post(address_url(order), {'shipping_address': SHIPPING}, format='json')
        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == {'detail': 'Only the customer who placed this order may set its shipping address.'}
        order.refresh_from_db()
        assert order.shipping_address is None
