"""The admin pages for promotions, reviews and product images, and the product form's promotions."""
from datetime import date, timedelta
from urllib.parse import parse_qsl

import pytest
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from store.models import Product, ProductImage, Promotion, Review

from .factories import make_promotion
from .test_admin import changelist_url, make_product, queries_for_get, result_ids

PROMOTION_CHANGELIST_QUERY_BUDGET = 5
REVIEW_CHANGELIST_QUERY_BUDGET = 5
PRODUCT_IMAGE_CHANGELIST_QUERY_BUDGET = 5

CATALOGUE_MODELS = ['promotion', 'review', 'productimage']


def make_review(product=None, **fields):
    return baker.make(Review, product=product or make_product(), **fields)


def make_image(product=None, name='store/images/mug.jpg'):
    return baker.make(ProductImage, product=product or make_product(), image=name)


def make_object(model_name):
    makers = {
        'promotion': lambda: make_promotion(),
        'review': make_review,
        'productimage': make_image,
    }
    return makers[model_name]()


def autocomplete(client, model_name, field_name, term=''):
    response = client.get(reverse('admin:autocomplete'), {
        'app_label': 'store', 'model_name': model_name, 'field_name': field_name, 'term': term})
    assert response.status_code == 200
    return [result['text'] for result in response.json()['results']]


def form_widget(response, field_name):
    """The widget of a change form's field, unwrapped from the admin's add/change links."""
    widget = response.context['adminform'].form.fields[field_name].widget
    return getattr(widget, 'widget', widget)


@pytest.mark.django_db
class TestCataloguePagesForStaff:
    @pytest.mark.parametrize('model_name', CATALOGUE_MODELS)
    def test_changelist_returns_200(self, admin_client, model_name):
        obj = make_object(model_name)

        response = admin_client.get(changelist_url(model_name))

        assert response.status_code == 200
        assert result_ids(response) == [obj.id]

    @pytest.mark.parametrize('model_name', CATALOGUE_MODELS)
    def test_add_form_returns_200(self, admin_client, model_name):
        response = admin_client.get(reverse(f'admin:store_{model_name}_add'))

        assert response.status_code == 200

    @pytest.mark.parametrize('model_name', CATALOGUE_MODELS)
    def test_change_form_returns_200(self, admin_client, model_name):
        obj = make_object(model_name)

        response = admin_client.get(reverse(f'admin:store_{model_name}_change', args=[obj.id]))

        assert response.status_code == 200
        assert response.context['original'] == obj

    @pytest.mark.parametrize('model_name', CATALOGUE_MODELS)
    def test_anonymous_is_sent_to_the_login_page(self, client, model_name):
        url = changelist_url(model_name)

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.django_db
class TestPromotionChangelist:
    def test_lists_description_discount_and_products_count(self, admin_client):
        promotion = make_promotion(*(make_product() for _ in range(3)), description='Summer sale', discount='20')

        response = admin_client.get(changelist_url('promotion'))

        content = response.content.decode()
        assert 'Summer sale' in content
        assert '<td class="field-discount">20.00</td>' in content
        assert (
            f'<td class="field-products_count"><a href="/admin/store/product/?promotions__id={promotion.id}">3</a></td>'
            in content
        )

    def test_counts_only_each_promotions_own_products(self, admin_client):
        # Listed latest start first.
        summer = make_promotion(description='Summer sale', starts_at=timezone.now() - timedelta(days=3))
        winter = make_promotion(description='Winter sale', starts_at=timezone.now() - timedelta(days=2))
        idle = make_promotion(description='Idle', starts_at=timezone.now() - timedelta(days=1))
        both = make_product()
        both.promotions.add(summer, winter)
        make_product().promotions.add(summer)

        response = admin_client.get(changelist_url('promotion'))

        assert [(obj.id, obj.products_count) for obj in response.context['cl'].result_list] == [
            (idle.id, 0), (winter.id, 1), (summer.id, 2)]

    def test_products_link_target_lists_the_promotions_products(self, admin_client):
        promotion = make_promotion()
        promoted = [make_product(title='Espresso'), make_product(title='Mocha')]
        for product in promoted:
            product.promotions.add(promotion)
        make_product(title='Sencha')

        response = admin_client.get(changelist_url('product'), {'promotions__id': promotion.id})

        assert response.status_code == 200
        assert [product.title for product in response.context['cl'].result_list] == ['Espresso', 'Mocha']

    def test_search_by_description(self, admin_client):
        summer = make_promotion(description='Summer sale')
        make_promotion(description='Winter clearance')

        response = admin_client.get(changelist_url('promotion'), {'q': 'summer'})

        assert result_ids(response) == [summer.id]

    def test_query_count_is_constant(self, admin_client):
        url = changelist_url('promotion')
        make_product().promotions.add(make_promotion())
        one_promotion, _ = queries_for_get(admin_client, url)
        for _ in range(10):
            promotion = make_promotion()
            make_product().promotions.add(promotion)
            make_product().promotions.add(promotion)

        eleven_promotions, response = queries_for_get(admin_client, url)

        assert len(response.context['cl'].result_list) == 11
        assert eleven_promotions == one_promotion
        assert eleven_promotions <= PROMOTION_CHANGELIST_QUERY_BUDGET


@pytest.mark.django_db
class TestProductFormPromotions:
    def test_add_form_offers_promotions_through_an_autocomplete(self, admin_client):
        response = admin_client.get(reverse('admin:store_product_add'))

        assert isinstance(form_widget(response, 'promotions'), AutocompleteSelectMultiple)
        assert 'data-field-name="promotions"' in response.content.decode()

    def test_change_form_shows_the_products_promotions_selected(self, admin_client):
        summer = make_promotion(description='Summer sale')
        make_promotion(description='Winter sale')
        product = make_product()
        product.promotions.add(summer)

        response = admin_client.get(reverse('admin:store_product_change', args=[product.id]))

        content = response.content.decode()
        assert f'<option value="{summer.id}" selected>Summer sale</option>' in content
        assert 'Winter sale' not in content

    def test_autocomplete_finds_promotions_by_description(self, admin_client):
        for description in ['Winter sale', 'Summer sale', 'Clearance']:
            make_promotion(description=description)

        assert autocomplete(admin_client, 'product', 'promotions', 'sale') == ['Summer sale', 'Winter sale']

    def test_adding_a_product_saves_its_promotions(self, admin_client):
        collection = make_product().collection
        summer = make_promotion(description='Summer sale')
        winter = make_promotion(description='Winter sale')
        make_promotion(description='Not chosen')
        url = reverse('admin:store_product_add')
        inline_prefixes = [inline.formset.prefix for inline in admin_client.get(url).context['inline_admin_formsets']]
        management = {}
        for prefix in inline_prefixes:
            management.update({f'{prefix}-TOTAL_FORMS': '0', f'{prefix}-INITIAL_FORMS': '0'})

        response = admin_client.post(url, {
            'title': 'Espresso', 'slug': 'espresso', 'unit_price': '10.00', 'inventory': '5',
            'collection': str(collection.id), 'promotions': [str(summer.id), str(winter.id)],
            **management, '_save': 'Save',
        })

        assert response.status_code == 302
        product = Product.objects.get(title='Espresso')
        assert sorted(product.promotions.values_list('description', flat=True)) == ['Summer sale', 'Winter sale']


@pytest.mark.django_db
class TestReviewChangelist:
    def test_lists_product_name_and_date(self, admin_client):
        review = make_review(product=make_product(title='Espresso'), name='Alice')
        Review.objects.filter(pk=review.pk).update(date=date(2024, 3, 9))

        response = admin_client.get(changelist_url('review'))

        change_url = reverse('admin:store_review_change', args=[review.id])
        assert (
            f'<th class="field-product nowrap"><a href="{change_url}">Espresso</a></th>'
            '<td class="field-name">Alice</td><td class="field-date nowrap">March 9, 2024</td>'
        ) in response.content.decode()

    @pytest.mark.parametrize('term', ['alice', 'velvety', 'espresso'])
    def test_search_by_name_description_or_product_title(self, admin_client, term):
        wanted = make_review(product=make_product(title='Espresso'), name='Alice', description='Velvety crema')
        make_review(product=make_product(title='Sencha'), name='Bob', description='Grassy')

        response = admin_client.get(changelist_url('review'), {'q': term})

        assert result_ids(response) == [wanted.id]

    def test_filter_by_date(self, admin_client):
        recent = make_review()
        old = make_review()
        Review.objects.filter(pk=old.pk).update(date=date.today() - timedelta(days=30))
        changelist = admin_client.get(changelist_url('review')).context['cl']
        spec = next(spec for spec in changelist.filter_specs if spec.field_path == 'date')
        past_7_days = next(choice for choice in spec.choices(changelist) if str(choice['display']) == 'Past 7 days')

        response = admin_client.get(changelist_url('review'), dict(parse_qsl(past_7_days['query_string'][1:])))

        assert result_ids(response) == [recent.id]

    def test_form_chooses_the_product_through_an_autocomplete(self, admin_client):
        response = admin_client.get(reverse('admin:store_review_add'))

        assert isinstance(form_widget(response, 'product'), AutocompleteSelect)

    def test_adding_a_review_through_the_form(self, admin_client):
        product = make_product()

        response = admin_client.post(reverse('admin:store_review_add'), {
            'product': str(product.id), 'name': 'Alice', 'description': 'Lovely', '_save': 'Save'})

        assert response.status_code == 302
        assert list(Review.objects.values_list('product_id', 'name', 'description')) == [
            (product.id, 'Alice', 'Lovely')]

    def test_query_count_is_constant(self, admin_client):
        url = changelist_url('review')
        make_review()
        one_review, _ = queries_for_get(admin_client, url)
        for _ in range(10):
            make_review()

        eleven_reviews, response = queries_for_get(admin_client, url)

        assert len(response.context['cl'].result_list) == 11
        assert eleven_reviews == one_review
        assert eleven_reviews <= REVIEW_CHANGELIST_QUERY_BUDGET


@pytest.mark.django_db
class TestProductImageChangelist:
    def test_lists_a_thumbnail_and_the_product(self, admin_client):
        image = make_image(product=make_product(title='Espresso'), name='store/images/espresso.jpg')

        response = admin_client.get(changelist_url('productimage'))

        content = response.content.decode()
        change_url = reverse('admin:store_productimage_change', args=[image.id])
        assert (f'<th class="field-thumbnail"><a href="{change_url}">'
                '<img src="/media/store/images/espresso.jpg" class="thumbnail" alt="" /></a></th>') in content
        assert f'<td class="field-product nowrap"><a href="{change_url}">Espresso</a></td>' in content

    def test_search_by_product_title(self, admin_client):
        wanted = make_image(product=make_product(title='Espresso'))
        make_image(product=make_product(title='Sencha'))

        response = admin_client.get(changelist_url('productimage'), {'q': 'espresso'})

        assert result_ids(response) == [wanted.id]

    def test_form_chooses_the_product_through_an_autocomplete(self, admin_client):
        response = admin_client.get(reverse('admin:store_productimage_add'))

        assert isinstance(form_widget(response, 'product'), AutocompleteSelect)

    def test_product_autocomplete_finds_products_by_title(self, admin_client):
        for title in ['Espresso', 'Decaf Espresso', 'Sencha']:
            make_product(title=title)

        assert autocomplete(admin_client, 'productimage', 'product', 'espresso') == ['Decaf Espresso', 'Espresso']

    def test_query_count_is_constant(self, admin_client):
        url = changelist_url('productimage')
        make_image()
        one_image, _ = queries_for_get(admin_client, url)
        for index in range(10):
            make_image(name=f'store/images/more-{index}.jpg')

        eleven_images, response = queries_for_get(admin_client, url)

        assert len(response.context['cl'].result_list) == 11
        assert eleven_images == one_image
        assert eleven_images <= PRODUCT_IMAGE_CHANGELIST_QUERY_BUDGET
