"""Promotions that apply (issue 16): a product's sale price in its JSON, in carts and in the orders placed.

The windows are tested at their edges with the clock moved (time_machine): a promotion applies from its
`starts_at` (included) until its `ends_at` (excluded). Product pages are cached: promotions are made with
their commit callbacks run (`promote`), so the cached catalogue learns of their windows as in production.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import ProtectedError
from django.utils import timezone
from model_bakery import baker
from rest_framework import status

from store.models import Order, OrderItem, Product, Promotion
from store.services import place_order

from .factories import customer_of, make_cart, make_product, make_promotion
from .test_products_read import PRODUCT_LIST_MAX_QUERIES, PRODUCT_LIST_QUERIES

PRODUCTS_URL = '/store/products/'
ORDERS_URL = '/store/orders/'
NOON = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)


def product_url(product):
    return f'{PRODUCTS_URL}{product.pk}/'


def cart_url(cart):
    return f'/store/carts/{cart.id}/'


def sale_price(api_client, product):
    response = api_client.get(product_url(product))
    assert response.status_code == status.HTTP_200_OK
    return response.json()['sale_price']


@pytest.fixture
def mug(db):
    return make_product(title='Mug', unit_price=Decimal('10.00'), inventory=20)


@pytest.fixture
def promote(django_capture_on_commit_callbacks):
    """make_promotion, committed."""
    def make(*products, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return make_promotion(*products, **fields)
    return make


@pytest.fixture
def no_confirmation_emails(monkeypatch):
    monkeypatch.setattr('store.services.queue_order_confirmation', lambda order_id: None)


@pytest.mark.django_db
class TestWindow:
    @pytest.fixture
    def promotion(self, mug, promote):
        return promote(mug, discount='20', starts_at=NOON, ends_at=NOON + timedelta(hours=2))

    @pytest.mark.parametrize('moment, expected', [
        (NOON - timedelta(microseconds=1), None),  # before it starts
        (NOON, 8.0),  # from its start, included
        (NOON + timedelta(hours=1), 8.0),
        (NOON + timedelta(hours=2) - timedelta(microseconds=1), 8.0),
        (NOON + timedelta(hours=2), None),  # until its end, excluded
        (NOON + timedelta(days=30), None),
    ])
    def test_applies_only_within_its_window(self, api_client, mug, promotion, moment, expected):
        with time_machine.travel(moment, tick=False):
            assert sale_price(api_client, mug) == expected

    def test_without_an_end_applies_from_its_start_on(self, promote, api_client, mug):
        promote(mug, discount='20', starts_at=NOON, ends_at=None)

        with time_machine.travel(NOON - timedelta(seconds=1), tick=False):
            assert sale_price(api_client, mug) is None
        with time_machine.travel(NOON + timedelta(days=3650), tick=False):
            assert sale_price(api_client, mug) == 8.0

    def test_list_price_and_price_with_tax_stay_the_list_prices(self, api_client, mug, promotion):
        with time_machine.travel(NOON, tick=False):
            response = api_client.get(product_url(mug))

        assert (response.json()['unit_price'], response.json()['price_with_tax'], response.json()['sale_price']) == (
            10.0, 11.0, 8.0)

    def test_a_product_outside_the_promotion_has_no_sale_price(self, api_client, mug, promotion):
        other = make_product(unit_price=Decimal('10.00'))

        with time_machine.travel(NOON, tick=False):
            assert sale_price(api_client, other) is None


@pytest.mark.django_db
class TestOverlappingPromotions:
    def test_the_best_active_discount_applies(self, promote, api_client, mug):
        promote(mug, discount='10')
        promote(mug, discount='25')
        promote(mug, discount='15')

        assert sale_price(api_client, mug) == 7.5

    def test_a_better_promotion_that_ended_or_has_not_started_does_not(self, promote, api_client, mug):
        now = timezone.now()
        promote(mug, discount='10')
        promote(mug, discount='50', starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1))
        promote(mug, discount='60', starts_at=now + timedelta(days=1))

        assert sale_price(api_client, mug) == 9.0

    def test_the_best_changes_as_windows_open_and_close(self, promote, api_client, mug):
        promote(mug, discount='10', starts_at=NOON, ends_at=NOON + timedelta(hours=3))
        promote(mug, discount='30', starts_at=NOON + timedelta(hours=1), ends_at=NOON + timedelta(hours=2))

        prices = []
        for hours in (0, 1, 2, 3):
            with time_machine.travel(NOON + timedelta(hours=hours), tick=False):
                prices.append(sale_price(api_client, mug))

        assert prices == [9.0, 7.0, 9.0, None]


@pytest.mark.django_db
class TestRounding:
    @pytest.mark.parametrize('unit_price, discount, expected', [
        ('1.25', '10', '1.13'),  # 1.125: half-up
        ('2.50', '15', '2.13'),  # 2.125
        ('9.99', '33.33', '6.66'),  # 6.660333
        ('19.99', '12.5', '17.49'),  # 17.49125
        ('3.00', '0.01', '3.00'),  # 2.9997
        ('9999.99', '99.99', '1.00'),  # 0.999999
    ])
    def test_the_sale_price_is_rounded_half_up_to_cents(self, promote, api_client, unit_price, discount, expected):
        product = make_product(unit_price=Decimal(unit_price))
        promote(product, discount=discount)

        response = api_client.get(product_url(product), HTTP_ACCEPT='application/json')

        assert Decimal(str(response.json()['sale_price'])) == Decimal(expected)


@pytest.mark.django_db
class TestProductListWithPromotions:
    @pytest.fixture
    def page_of_promoted_products(self, promote, db):
        products = [make_product(title=f'Product {n:02}', unit_price=Decimal('10.00')) for n in range(20)]
        for n, product in enumerate(products):
            promote(product, discount=str(5 + n % 3))
            promote(product, discount='50', starts_at=timezone.now() + timedelta(days=1))
        return products

    def test_each_product_shows_its_own_best_sale_price(self, api_client, page_of_promoted_products):
        response = api_client.get(PRODUCTS_URL, {'page_size': 20})

        assert [item['sale_price'] for item in response.json()['results']] == [
            float(Decimal('10.00') * (100 - 5 - n % 3) / 100) for n in range(20)]

    def test_the_page_costs_the_same_queries_as_without_promotions(
            self, api_client, page_of_promoted_products, django_assert_num_queries, django_assert_max_num_queries):
        with django_assert_num_queries(PRODUCT_LIST_QUERIES):
            response = api_client.get(PRODUCTS_URL, {'page_size': 20})
        with django_assert_max_num_queries(PRODUCT_LIST_MAX_QUERIES):
            api_client.get(PRODUCTS_URL, {'page_size': 10, 'page': 2})

        assert response.status_code == status.HTTP_200_OK

    def test_a_promotions_products_can_be_filtered_by_price_as_before(self, api_client, page_of_promoted_products):
        # unit_price filters and ordering stay on the list price.
        response = api_client.get(PRODUCTS_URL, {'unit_price__lt': 10})

        assert response.json()['count'] == 0


@pytest.mark.django_db
class TestCartAtSalePrices:
    def test_the_cart_totals_at_sale_prices(self, promote, api_client, mug):
        tea = make_product(title='Tea', unit_price=Decimal('4.50'))
        promote(mug, discount='25')
        cart = make_cart((mug, 3), (tea, 2))

        response = api_client.get(cart_url(cart))

        assert response.status_code == status.HTTP_200_OK
        lines = {line['product']['title']: line for line in response.json()['items']}
        assert lines['Mug']['product'] == {'id': mug.pk, 'title': 'Mug', 'unit_price': 10.0, 'sale_price': 7.5}
        assert lines['Mug']['total_price'] == 22.5
        assert lines['Tea']['product']['sale_price'] is None
        assert lines['Tea']['total_price'] == 9.0
        assert response.json()['total_price'] == 31.5

    def test_the_cart_follows_the_window(self, promote, api_client, mug):
        promote(mug, discount='50', starts_at=NOON, ends_at=NOON + timedelta(hours=1))
        cart = make_cart((mug, 2))

        totals = []
        for moment in (NOON - timedelta(seconds=1), NOON, NOON + timedelta(hours=1)):
            with time_machine.travel(moment, tick=False):
                totals.append(api_client.get(cart_url(cart)).json()['total_price'])

        assert totals == [20.0, 10.0, 20.0]

    def test_the_cart_lines_list_shows_sale_prices(self, promote, api_client, mug, django_assert_max_num_queries):
        promote(mug, discount='10')
        cart = make_cart((mug, 2), *((make_product(), 1) for _ in range(5)))

        with django_assert_max_num_queries(3):
            response = api_client.get(f'{cart_url(cart)}items/')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()[0]['product']['sale_price'] == 9.0
        assert response.json()[0]['total_price'] == 18.0

    def test_a_line_changed_shows_its_total_at_the_sale_price(self, promote, api_client, mug):
        promote(mug, discount='10')
        cart = make_cart((mug, 2))
        item = cart.items.get()

        response = api_client.patch(f'{cart_url(cart)}items/{item.pk}/', {'quantity': 5}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert api_client.get(f'{cart_url(cart)}items/{item.pk}/').json()['total_price'] == 45.0


@pytest.mark.django_db
@pytest.mark.usefixtures('no_confirmation_emails')
class TestOrdersAtSalePrices:
    def test_an_order_charges_the_sale_price_and_keeps_the_list_price_and_promotion(
            self, promote, api_client, authenticate, mug):
        tea = make_product(title='Tea', unit_price=Decimal('4.50'))
        promote(mug, discount='10')
        best = promote(mug, discount='25')
        authenticate()
        cart = make_cart((mug, 3), (tea, 2))

        response = api_client.post(ORDERS_URL, {'cart_id': str(cart.id)}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        lines = {line['product']['title']: line for line in response.json()['items']}
        assert {key: lines['Mug'][key] for key in ('unit_price', 'list_price', 'promotion', 'quantity')} == {
            'unit_price': 7.5, 'list_price': 10.0, 'promotion': best.pk, 'quantity': 3}
        assert {key: lines['Tea'][key] for key in ('unit_price', 'list_price', 'promotion')} == {
            'unit_price': 4.5, 'list_price': 4.5, 'promotion': None}
        # 22.50 + 9.00, and 10 % tax.
        assert (response.json()['subtotal'], response.json()['tax'], response.json()['total']) == (31.5, 3.15, 34.65)

    def test_the_order_is_priced_when_it_is_placed(self, promote, mug):
        promotion = promote(mug, discount='20', starts_at=NOON, ends_at=NOON + timedelta(hours=1))
        customer = customer_of(baker.make('core.User'))

        with time_machine.travel(NOON + timedelta(minutes=59), tick=False):
            order, _ = place_order(customer=customer, cart_id=make_cart((mug, 2)).id)
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):
            after, _ = place_order(customer=customer, cart_id=make_cart((mug, 2)).id)

        assert (order.total, OrderItem.objects.get(order=order).promotion_id) == (Decimal('17.60'), promotion.pk)
        assert (after.total, OrderItem.objects.get(order=after).promotion_id) == (Decimal('22.00'), None)

    def test_changing_the_promotion_later_never_changes_the_order(self, promote, api_client, authenticate, mug):
        promotion = promote(mug, discount='20')
        user = authenticate()
        order, _ = place_order(customer=customer_of(user), cart_id=make_cart((mug, 1)).id)
        Promotion.objects.filter(pk=promotion.pk).update(discount=Decimal('50'), ends_at=timezone.now())
        Product.objects.filter(pk=mug.pk).update(unit_price=Decimal('99.00'))

        response = api_client.get(f'{ORDERS_URL}{order.pk}/')

        item = response.json()['items'][0]
        assert (item['unit_price'], item['list_price'], item['promotion']) == (8.0, 10.0, promotion.pk)
        assert response.json()['total'] == 8.8
        assert Order.objects.get(pk=order.pk).total == Decimal('8.80')

    def test_a_promotion_an_order_used_cannot_be_deleted(self, promote, mug):
        promotion = promote(mug, discount='20')
        place_order(customer=customer_of(baker.make('core.User')), cart_id=make_cart((mug, 1)).id)

        with pytest.raises(ProtectedError):
            promotion.delete()

        assert Promotion.objects.filter(pk=promotion.pk).exists()


@pytest.mark.django_db
class TestTheSqlAgreesWithTheRule:
    def test_the_annotation_picks_what_best_for_picks(self):
        """Product.best_discount_of (plain SQL, the catalogue's and the cart's) against PromotionQuerySet.best_for
        (the ORM, order placement's), over windows past, running, to come and open-ended, with ties."""
        now = timezone.now()
        windows = [(now - timedelta(days=2), now - timedelta(days=1)), (now - timedelta(days=1), None),
                   (now - timedelta(hours=1), now + timedelta(hours=1)), (now + timedelta(hours=1), None),
                   (now, now + timedelta(seconds=1)), (now - timedelta(seconds=1), now)]
        products = [make_product() for _ in range(12)]
        for n, product in enumerate(products):
            for k in range(n % 5):
                starts_at, ends_at = windows[(n + k) % len(windows)]
                make_promotion(product, discount=str(10 + (n * k) % 3 * 5), starts_at=starts_at, ends_at=ends_at)

        annotated = dict(Product.objects.with_sale_price(now).values_list('pk', 'best_discount'))
        best = Promotion.objects.best_for([product.pk for product in products], now)

        assert {pk: discount for pk, discount in annotated.items() if discount is not None} == {
            pk: promotion.discount for pk, promotion in best.items()}
        assert len(best) >= 5
