"""API tests for /store/products/{product_pk}/reviews/: anyone reads and posts, only staff edit or delete."""
from datetime import date
from decimal import Decimal

import pytest
from model_bakery import baker
from rest_framework import status

from store.models import Product, Review

# Parent-product lookup + the reviews page, whatever the number of reviews.
REVIEW_LIST_MAX_QUERIES = 2

UNKNOWN_PRODUCT_PKS = ['99999', 'abc', '99999999999999999999999']


def make_product(**fields):
    return baker.make(Product, unit_price=Decimal('10.00'), inventory=50, **fields)


def reviews_url(product_pk):
    return f'/store/products/{product_pk}/reviews/'


def review_url(product_pk, review_pk):
    return f'/store/products/{product_pk}/reviews/{review_pk}/'


@pytest.fixture
def product(db):
    return make_product()


@pytest.fixture
def review(product):
    return baker.make(Review, product=product, name='Bob', description='Great')


@pytest.mark.django_db
class TestListReviews:
    def test_anonymous_gets_a_plain_array_of_the_products_reviews(self, api_client, product):
        first = baker.make(Review, product=product, name='Ann', description='Good')
        second = baker.make(Review, product=product, name='Bob', description='Bad')

        response = api_client.get(reviews_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert [item['id'] for item in response.json()] == [first.pk, second.pk]

    def test_each_review_has_id_date_name_and_description(self, api_client, review):
        response = api_client.get(reviews_url(review.product_id))

        assert response.json() == [{
            'id': review.pk,
            'date': review.date.isoformat(),
            'name': 'Bob',
            'description': 'Great',
        }]

    def test_only_lists_reviews_of_the_product_in_the_url(self, api_client, product):
        own = baker.make(Review, product=product)
        baker.make(Review, product=make_product(), _quantity=2)

        response = api_client.get(reviews_url(product.pk))

        assert [item['id'] for item in response.json()] == [own.pk]

    def test_product_without_reviews_gives_an_empty_array(self, api_client, product):
        response = api_client.get(reviews_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, product_pk):
        response = api_client.get(reviews_url(product_pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('count', [1, 20])
    def test_query_count_does_not_grow_with_reviews(self, api_client, product, count,
                                                    django_assert_max_num_queries):
        baker.make(Review, product=product, _quantity=count)

        with django_assert_max_num_queries(REVIEW_LIST_MAX_QUERIES):
            response = api_client.get(reviews_url(product.pk))

        assert len(response.json()) == count


@pytest.mark.django_db
class TestRetrieveReview:
    def test_anonymous_gets_the_review(self, api_client, review):
        response = api_client.get(review_url(review.product_id, review.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {
            'id': review.pk, 'date': review.date.isoformat(), 'name': 'Bob', 'description': 'Great'}

    def test_unknown_review_returns_404(self, api_client, product):
        response = api_client.get(review_url(product.pk, 99999))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_review_of_another_product_returns_404(self, api_client, review):
        other = make_product()

        response = api_client.get(review_url(other.pk, review.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, review, product_pk):
        response = api_client.get(review_url(product_pk, review.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestCreateReview:
    def test_anonymous_can_post_a_review(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'Bob', 'description': 'Great'}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        review = Review.objects.get()
        assert response.json() == {
            'id': review.pk, 'date': review.date.isoformat(), 'name': 'Bob', 'description': 'Great'}

    def test_authenticated_user_can_post_a_review(self, api_client, authenticate, product):
        authenticate()

        response = api_client.post(reviews_url(product.pk), {'name': 'Bob', 'description': 'Great'}, format='json')

        assert response.status_code == status.HTTP_201_CREATED

    def test_date_is_todays_iso_date(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'Bob', 'description': 'Great'}, format='json')

        assert response.json()['date'] == date.today().isoformat()

    def test_review_belongs_to_the_product_in_the_url(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'Bob', 'description': 'Great'}, format='json')

        assert Review.objects.get(pk=response.json()['id']).product_id == product.pk

    def test_product_in_the_body_is_ignored(self, api_client, product):
        other = make_product()

        response = api_client.post(
            reviews_url(product.pk), {'name': 'Bob', 'description': 'Great', 'product': other.pk}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert 'product' not in response.json()
        assert Review.objects.get().product_id == product.pk

    def test_missing_name_and_description_returns_400(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'name': ['This field is required.'],
                                   'description': ['This field is required.']}
        assert not Review.objects.exists()

    def test_blank_name_returns_400(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': '', 'description': 'Great'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'name': ['This field may not be blank.']}

    def test_name_longer_than_255_characters_returns_400(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'x' * 256, 'description': 'Great'},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'name': ['Ensure this field has no more than 255 characters.']}

    def test_a_review_description_over_5000_characters_is_refused(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'Bob', 'description': 'x' * 5001},
                                   format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'description': ['Ensure this field has no more than 5000 characters.']}
        assert not Review.objects.exists()

    def test_a_description_of_5000_characters_is_accepted(self, api_client, product):
        response = api_client.post(reviews_url(product.pk), {'name': 'x' * 255, 'description': 'x' * 5000},
                                   format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert len(response.json()['description']) == 5000

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, product_pk):
        response = api_client.post(reviews_url(product_pk), {'name': 'Bob', 'description': 'Great'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Review.objects.exists()


@pytest.mark.django_db
class TestUpdateReview:
    def test_anonymous_returns_401(self, api_client, review):
        response = api_client.patch(review_url(review.product_id, review.pk), {'name': 'Eve'}, format='json')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_returns_403(self, api_client, authenticate, review):
        authenticate(is_staff=False)

        response = api_client.patch(review_url(review.product_id, review.pk), {'name': 'Eve'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        review.refresh_from_db()
        assert review.name == 'Bob'

    def test_non_staff_put_returns_403(self, api_client, authenticate, review):
        authenticate(is_staff=False)

        response = api_client.put(review_url(review.product_id, review.pk),
                                  {'name': 'Eve', 'description': 'Meh'}, format='json')

        assert response.status_code == status.HTTP_403_FORBIDDEN

    def test_staff_can_patch(self, api_client, authenticate, review):
        authenticate(is_staff=True)

        response = api_client.patch(review_url(review.product_id, review.pk), {'name': 'Eve'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['name'] == 'Eve'
        assert response.json()['description'] == 'Great'
        review.refresh_from_db()
        assert review.name == 'Eve'

    def test_staff_can_put(self, api_client, authenticate, review):
        authenticate(is_staff=True)

        response = api_client.put(review_url(review.product_id, review.pk),
                                  {'name': 'Eve', 'description': 'Meh'}, format='json')

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {
            'id': review.pk, 'date': review.date.isoformat(), 'name': 'Eve', 'description': 'Meh'}

    def test_staff_put_without_description_returns_400(self, api_client, authenticate, review):
        authenticate(is_staff=True)

        response = api_client.put(review_url(review.product_id, review.pk), {'name': 'Eve'}, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'description': ['This field is required.']}

    def test_update_cannot_move_the_review_to_another_product(self, api_client, authenticate, review):
        authenticate(is_staff=True)
        other = make_product()

        api_client.patch(review_url(review.product_id, review.pk), {'product': other.pk}, format='json')

        review.refresh_from_db()
        assert review.product_id != other.pk

    def test_staff_patch_of_another_products_review_returns_404(self, api_client, authenticate, review):
        authenticate(is_staff=True)
        other = make_product()

        response = api_client.patch(review_url(other.pk, review.pk), {'name': 'Eve'}, format='json')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        review.refresh_from_db()
        assert review.name == 'Bob'


@pytest.mark.django_db
class TestDeleteReview:
    def test_anonymous_returns_401(self, api_client, review):
        response = api_client.delete(review_url(review.product_id, review.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert Review.objects.filter(pk=review.pk).exists()

    def test_non_staff_returns_403(self, api_client, authenticate, review):
        authenticate(is_staff=False)

        response = api_client.delete(review_url(review.product_id, review.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert Review.objects.filter(pk=review.pk).exists()

    def test_staff_can_delete(self, api_client, authenticate, review):
        authenticate(is_staff=True)

        response = api_client.delete(review_url(review.product_id, review.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not Review.objects.filter(pk=review.pk).exists()

    def test_staff_delete_of_another_products_review_returns_404(self, api_client, authenticate, review):
        authenticate(is_staff=True)
        other = make_product()

        response = api_client.delete(review_url(other.pk, review.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Review.objects.filter(pk=review.pk).exists()

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, authenticate, review, product_pk):
        authenticate(is_staff=True)

        response = api_client.delete(review_url(product_pk, review.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert Review.objects.filter(pk=review.pk).exists()
