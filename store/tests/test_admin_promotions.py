"""The promotion admin (issue 16, item 5): its changelist's columns, the window filter (active, upcoming, ended),
the change form's products inline, which saves the links, and the product list's sale price column.

The clock is fixed at NOW (time_machine, no tick), so that each window is exactly where the test puts it.
"""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from store.models import Product, Promotion

from .factories import make_promotion
from .test_admin import changelist_url, make_product, queries_for_get, result_ids

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
LINKS = Product.promotions.through


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def linked_ids(promotion):
    return sorted(LINKS.objects.filter(promotion=promotion).values_list('product_id', flat=True))


def cells(response, field):
    """The changelist's cells of one column, in row order (their inner HTML)."""
    return re.findall(rf'<t[dh] class="field-{field}(?: [^"]*)?">(.*?)</t[dh]>', response.content.decode(), re.S)


def form_data(response):
    """The change form's initial data as the browser would post it (the inline's management form included)."""
    data = {}
    adminform = response.context['adminform']
    for name, field in adminform.form.fields.items():
        bound = adminform.form[name]
        value = bound.value()
        widget = field.widget
        if hasattr(widget, 'widgets') or hasattr(getattr(widget, 'widget', None), 'widgets'):  # a split datetime
            moment = value if not isinstance(value, list) else None
            data[f'{name}_0'] = moment.strftime('%Y-%m-%d') if moment else ''
            data[f'{name}_1'] = moment.strftime('%H:%M:%S') if moment else ''
        else:
            data[name] = '' if value is None else str(value)
    for inline in response.context['inline_admin_formsets']:
        formset = inline.formset
        prefix = formset.prefix
        data.update({f'{prefix}-TOTAL_FORMS': str(len(formset.forms)),
                     f'{prefix}-INITIAL_FORMS': str(formset.initial_form_count()),
                     f'{prefix}-MIN_NUM_FORMS': '0', f'{prefix}-MAX_NUM_FORMS': '1000'})
        for index, form in enumerate(formset.forms):
            for name in ('id', 'promotion', 'product'):
                value = form[name].value()
                data[f'{prefix}-{index}-{name}'] = '' if value is None else str(value)
    return data


def inline_prefix(response):
    formsets = response.context['inline_admin_formsets']
    assert len(formsets) == 1
    return formsets[0].formset.prefix


def with_products(data, prefix, product_ids, initial=0):
    """`data` with new inline rows linking `product_ids` after the `initial` existing rows."""
    data = dict(data)
    for offset, product_id in enumerate(product_ids):
        data[f'{prefix}-{initial + offset}-product'] = str(product_id)
        data[f'{prefix}-{initial + offset}-id'] = ''
    data[f'{prefix}-TOTAL_FORMS'] = str(initial + len(product_ids))
    return data


def add_form_body(admin_client, **fields):
    response = admin_client.get(reverse('admin:store_promotion_add'))
    prefix = inline_prefix(response)
    data = {'description': 'Summer sale', 'discount': '20', 'starts_at_0': '2026-06-01', 'starts_at_1': '12:00:00',
            'ends_at_0': '2026-06-08', 'ends_at_1': '12:00:00',
            f'{prefix}-TOTAL_FORMS': '0', f'{prefix}-INITIAL_FORMS': '0', f'{prefix}-MIN_NUM_FORMS': '0',
            f'{prefix}-MAX_NUM_FORMS': '1000', '_save': 'Save', **fields}
    return data, prefix


# ------------------------------------------------------------------------------------------------ changelist

@pytest.mark.django_db
class TestPromotionChangelistColumns:
    def test_columns_are_description_discount_window_and_products(self, admin_client):
        make_promotion()

        response = admin_client.get(changelist_url('promotion'))

        assert response.status_code == 200
        assert list(response.context['cl'].list_display) == [
            'action_checkbox', 'description', 'discount', 'starts_at', 'ends_at', 'products_count']

    def test_a_row_shows_its_values(self, admin_client):
        promotion = make_promotion(make_product(), make_product(), description='Summer sale', discount='12.5',
                                   starts_at=NOW - DAY, ends_at=NOW + DAY)

        response = admin_client.get(changelist_url('promotion'))

        assert 'Summer sale' in cells(response, 'description')[0]
        assert cells(response, 'discount') == ['12.50']
        assert cells(response, 'starts_at') == ['May 31, 2026, noon']
        assert cells(response, 'ends_at') == ['June 2, 2026, noon']
        assert cells(response, 'products_count') == [
            f'<a href="/admin/store/product/?promotions__id={promotion.id}">2</a>']

    def test_an_open_ended_promotion_shows_an_empty_end(self, admin_client):
        make_promotion(ends_at=None)

        response = admin_client.get(changelist_url('promotion'))

        assert cells(response, 'ends_at') == ['-']

    def test_rows_are_listed_latest_start_first(self, admin_client):
        early = make_promotion(starts_at=NOW - 2 * DAY)
        late = make_promotion(starts_at=NOW + DAY)
        middle = make_promotion(starts_at=NOW - HOUR)
        tie = make_promotion(starts_at=NOW - HOUR)

        response = admin_client.get(changelist_url('promotion'))

        assert result_ids(response) == [late.id, middle.id, tie.id, early.id]

    def test_ordering_by_the_products_column(self, admin_client):
        none = make_promotion(description='None')
        two = make_promotion(make_product(), make_product(), description='Two')
        one = make_promotion(make_product(), description='One')

        response = admin_client.get(changelist_url('promotion'), {'o': '5'})  # products_count, ascending

        assert response.status_code == 200
        assert result_ids(response) == [none.id, one.id, two.id]


# ------------------------------------------------------------------------------------------------ window filter

@pytest.fixture
def windows(db):
    return {
        'ended': make_promotion(description='Ended', starts_at=NOW - 2 * DAY, ends_at=NOW - DAY),
        'ends_now': make_promotion(description='Ends now', starts_at=NOW - DAY, ends_at=NOW),
        'active': make_promotion(description='Active', starts_at=NOW - DAY, ends_at=NOW + DAY),
        'starts_now': make_promotion(description='Starts now', starts_at=NOW, ends_at=NOW + HOUR),
        'open_ended': make_promotion(description='Open ended', starts_at=NOW - DAY, ends_at=None),
        'upcoming': make_promotion(description='Upcoming', starts_at=NOW + HOUR, ends_at=NOW + DAY),
        'upcoming_open_ended': make_promotion(description='Later', starts_at=NOW + DAY, ends_at=None),
    }


WINDOWS = {
    'active': ['active', 'starts_now', 'open_ended'],
    'upcoming': ['upcoming', 'upcoming_open_ended'],
    'ended': ['ended', 'ends_now'],
}


@pytest.mark.django_db
class TestPromotionWindowFilter:
    def test_the_filter_offers_the_three_windows(self, admin_client, windows):
        response = admin_client.get(changelist_url('promotion'))

        window_filter = next(spec for spec in response.context['cl'].filter_specs if spec.title == 'window')
        assert [choice['display'] for choice in window_filter.choices(response.context['cl'])] == [
            'All', 'Active now', 'Upcoming', 'Ended']

    @pytest.mark.parametrize('window', list(WINDOWS))
    def test_each_window_lists_exactly_its_promotions(self, admin_client, windows, window):
        response = admin_client.get(changelist_url('promotion'), {'window': window})

        assert response.status_code == 200
        assert sorted(result_ids(response)) == sorted(windows[name].id for name in WINDOWS[window])

    def test_the_windows_partition_every_promotion(self, admin_client, windows):
        listed = [sorted(result_ids(admin_client.get(changelist_url('promotion'), {'window': window})))
                  for window in WINDOWS]

        assert sorted(sum(listed, [])) == sorted(promotion.id for promotion in windows.values())

    def test_no_filter_lists_every_promotion(self, admin_client, windows):
        response = admin_client.get(changelist_url('promotion'))

        assert sorted(result_ids(response)) == sorted(promotion.id for promotion in windows.values())

    def test_a_promotion_moves_from_upcoming_to_active_to_ended_as_time_passes(self, admin_client, clock):
        promotion = make_promotion(starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR)

        def windows_listing_it():
            return [window for window in WINDOWS
                    if promotion.id in result_ids(admin_client.get(changelist_url('promotion'), {'window': window}))]

        assert windows_listing_it() == ['upcoming']
        clock.move_to(NOW + HOUR)
        assert windows_listing_it() == ['active']
        clock.move_to(NOW + 2 * HOUR)
        assert windows_listing_it() == ['ended']

    def test_the_filter_combines_with_the_search(self, admin_client, windows):
        response = admin_client.get(changelist_url('promotion'), {'window': 'active', 'q': 'open'})

        assert result_ids(response) == [windows['open_ended'].id]

    def test_an_unknown_window_lists_everything(self, admin_client, windows):
        response = admin_client.get(changelist_url('promotion'), {'window': 'someday'})

        assert response.status_code == 200
        assert len(result_ids(response)) == len(windows)

    @pytest.mark.parametrize('window', list(WINDOWS))
    def test_each_window_costs_the_same_queries_for_1_or_many_promotions(self, admin_client, window):
        url = changelist_url('promotion')
        make_promotion(make_product(), starts_at=NOW - DAY)
        few, _ = queries_for_get(admin_client, url, {'window': window})
        for n in range(8):
            make_promotion(make_product(), make_product(), starts_at=NOW + (n - 4) * DAY,
                           ends_at=NOW + (n - 3) * DAY if n % 2 else None)

        many, response = queries_for_get(admin_client, url, {'window': window})

        assert many == few


# ------------------------------------------------------------------------------------------- the products inline

@pytest.mark.django_db
class TestPromotionProductsInline:
    def test_the_change_form_lists_the_promotions_products(self, admin_client):
        mug, tea = make_product(title='Mug'), make_product(title='Tea')
        make_product(title='Not linked')
        promotion = make_promotion(mug, tea)

        response = admin_client.get(reverse('admin:store_promotion_change', args=[promotion.id]))

        assert response.status_code == 200
        formset = response.context['inline_admin_formsets'][0].formset
        assert sorted(form.instance.product_id for form in formset.forms) == sorted([mug.id, tea.id])
        assert formset.model is LINKS

    def test_the_inline_chooses_products_through_an_autocomplete(self, admin_client):
        promotion = make_promotion()

        response = admin_client.get(reverse('admin:store_promotion_change', args=[promotion.id]))

        assert 'data-field-name="product"' in response.content.decode()

    def test_adding_a_promotion_with_products_saves_the_links(self, admin_client):
        mug, tea = make_product(), make_product()
        make_product()
        data, prefix = add_form_body(admin_client)

        response = admin_client.post(reverse('admin:store_promotion_add'),
                                     with_products(data, prefix, [mug.id, tea.id]))

        assert response.status_code == 302
        promotion = Promotion.objects.get()
        assert (promotion.description, promotion.discount, promotion.starts_at, promotion.ends_at) == (
            'Summer sale', Decimal('20.00'), NOW, NOW + 7 * DAY)
        assert linked_ids(promotion) == sorted([mug.id, tea.id])

    def test_the_change_form_adds_a_product(self, admin_client):
        mug, tea = make_product(), make_product()
        promotion = make_promotion(mug)
        url = reverse('admin:store_promotion_change', args=[promotion.id])
        response = admin_client.get(url)
        data = with_products(form_data(response), inline_prefix(response), [tea.id], initial=1)

        response = admin_client.post(url, {**data, '_save': 'Save'})

        assert response.status_code == 302
        assert linked_ids(promotion) == sorted([mug.id, tea.id])

    def test_the_change_form_removes_a_product(self, admin_client):
        mug, tea = make_product(), make_product()
        promotion = make_promotion(mug, tea)
        url = reverse('admin:store_promotion_change', args=[promotion.id])
        response = admin_client.get(url)
        prefix = inline_prefix(response)
        data = form_data(response)
        index = next(i for i in range(2) if data[f'{prefix}-{i}-product'] == str(mug.id))
        data[f'{prefix}-{index}-DELETE'] = 'on'

        response = admin_client.post(url, {**data, '_save': 'Save'})

        assert response.status_code == 302
        assert linked_ids(promotion) == [tea.id]
        assert Product.objects.filter(pk=mug.pk).exists()

    def test_the_change_form_saves_the_fields_and_keeps_the_links(self, admin_client):
        mug = make_product()
        promotion = make_promotion(mug, description='Old', discount='10')
        url = reverse('admin:store_promotion_change', args=[promotion.id])
        data = form_data(admin_client.get(url))

        response = admin_client.post(url, {**data, 'description': 'New', 'discount': '35', '_save': 'Save'})

        assert response.status_code == 302
        promotion.refresh_from_db()
        assert (promotion.description, promotion.discount) == ('New', Decimal('35.00'))
        assert linked_ids(promotion) == [mug.id]

    def test_the_same_product_twice_is_refused(self, admin_client):
        mug = make_product()
        data, prefix = add_form_body(admin_client)

        response = admin_client.post(reverse('admin:store_promotion_add'),
                                     with_products(data, prefix, [mug.id, mug.id]))

        assert response.status_code == 200
        assert not Promotion.objects.exists()
        assert not LINKS.objects.exists()

    def test_the_links_show_on_the_product_side_and_price_it(self, admin_client):
        mug = make_product(unit_price=Decimal('10.00'))
        data, prefix = add_form_body(admin_client, discount='20', starts_at_0='2026-05-31')

        admin_client.post(reverse('admin:store_promotion_add'), with_products(data, prefix, [mug.id]))

        assert list(mug.promotions.values_list('description', flat=True)) == ['Summer sale']
        assert Product.objects.with_sale_price().get(pk=mug.pk).sale_price == Decimal('8.00')


@pytest.mark.django_db
class TestPromotionFormValidation:
    @pytest.mark.parametrize('ends_at_1', ['12:00:00', '11:59:59'])
    def test_an_end_at_or_before_the_start_is_refused(self, admin_client, ends_at_1):
        mug = make_product()
        data, prefix = add_form_body(admin_client, ends_at_0='2026-06-01', ends_at_1=ends_at_1)

        response = admin_client.post(reverse('admin:store_promotion_add'), with_products(data, prefix, [mug.id]))

        assert response.status_code == 200
        assert response.context['adminform'].form.errors == {'ends_at': ['A promotion must end after it starts.']}
        assert not Promotion.objects.exists()
        assert not LINKS.objects.exists()

    @pytest.mark.parametrize('discount', ['0', '-5', '100'])
    def test_a_discount_outside_0_to_100_is_refused(self, admin_client, discount):
        data, _ = add_form_body(admin_client, discount=discount)

        response = admin_client.post(reverse('admin:store_promotion_add'), data)

        assert response.status_code == 200
        assert list(response.context['adminform'].form.errors) == ['discount']
        assert not Promotion.objects.exists()

    def test_an_open_ended_promotion_is_accepted(self, admin_client):
        data, _ = add_form_body(admin_client, ends_at_0='', ends_at_1='')

        response = admin_client.post(reverse('admin:store_promotion_add'), data)

        assert response.status_code == 302
        assert Promotion.objects.get().ends_at is None


# ------------------------------------------------------------------------------- the product list's sale price

@pytest.mark.django_db
class TestProductListSalePrice:
    def test_the_product_list_has_a_sale_price_column(self, admin_client):
        make_product()

        response = admin_client.get(changelist_url('product'))

        assert 'sale_price' in response.context['cl'].list_display
        assert '<th scope="col" class="column-sale_price">' in response.content.decode()

    def test_each_product_shows_its_best_active_sale_price(self, admin_client):
        promoted = make_product(title='A promoted', unit_price=Decimal('10.00'))
        twice = make_product(title='B twice', unit_price=Decimal('19.99'))
        plain = make_product(title='C plain', unit_price=Decimal('5.00'))
        ended = make_product(title='D ended', unit_price=Decimal('8.00'))
        upcoming = make_product(title='E upcoming', unit_price=Decimal('8.00'))
        make_promotion(promoted, twice, discount='10')
        make_promotion(twice, discount='25', starts_at=NOW - HOUR, ends_at=NOW + HOUR)
        make_promotion(ended, discount='50', starts_at=NOW - DAY, ends_at=NOW)
        make_promotion(upcoming, discount='50', starts_at=NOW + HOUR)

        response = admin_client.get(changelist_url('product'))

        assert [product.title for product in response.context['cl'].result_list] == [
            promoted.title, twice.title, plain.title, ended.title, upcoming.title]
        # 19.99 less 25% is 14.9925: half-up to cents.
        assert cells(response, 'sale_price') == ['9.00', '14.99', '-', '-', '-']
        unit_prices = [product.unit_price for product in response.context['cl'].result_list]
        assert unit_prices == [Decimal('10.00'), Decimal('19.99'), Decimal('5.00'), Decimal('8.00'), Decimal('8.00')]

    def test_the_sale_price_follows_the_window(self, admin_client, clock):
        mug = make_product(title='Mug', unit_price=Decimal('10.00'))
        make_promotion(mug, discount='30', starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR)

        assert cells(admin_client.get(changelist_url('product')), 'sale_price') == ['-']
        clock.move_to(NOW + HOUR)
        assert cells(admin_client.get(changelist_url('product')), 'sale_price') == ['7.00']
        clock.move_to(NOW + 2 * HOUR)
        assert cells(admin_client.get(changelist_url('product')), 'sale_price') == ['-']

    def test_the_sale_price_costs_no_query_per_product(self, admin_client):
        url = changelist_url('product')
        make_promotion(make_product(), discount='10')
        one, _ = queries_for_get(admin_client, url)
        for n in range(9):
            make_promotion(make_product(), make_product(), discount=str(5 + n))

        ten, response = queries_for_get(admin_client, url)

        assert len(response.context['cl'].result_list) == 10  # list_per_page
        assert ten == one
