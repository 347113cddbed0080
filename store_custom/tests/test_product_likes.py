"""API tests for /store/products/{product_pk}/likes/: anyone reads the count, logged-in users like and unlike.

GET, POST and DELETE all answer with the product's like summary, `{"likes_count": n, "liked": bool}`:
POST is 201 for a new like and 200 when the caller already liked the product; DELETE is always 200.
"""
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db.models.query import QuerySet
from model_bakery import baker
from rest_framework import status

from likes.models import LikedItem
from store_custom.tests.helpers import (
    UNKNOWN_PRODUCT_PKS,
    make_product,
    warm_content_types,
)

# Parent-product lookup + the count and the caller's like (one aggregate), whoever asks.
LIKES_GET_MAX_QUERIES = 3
# Parent lookup, the like (a get-or-create in savepoints) and the summary, whatever the history.
LIKES_WRITE_MAX_QUERIES = 10

NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}


def likes_url(product_pk):
    return f'/store/products/{product_pk}/likes/'


def summary(count, liked):
    return {'likes_count': count, 'liked': liked}


@pytest.fixture
def product(db):
    return make_product()


@pytest.fixture
def someone_else(django_user_model):
    return baker.make(django_user_model)


@pytest.mark.django_db
class TestLikeSummary:
    def test_a_product_nobody_likes(self, api_client, product):
        response = api_client.get(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(0, False)

    def test_anonymous_sees_the_count_and_liked_false(self, api_client, product, django_user_model):
        for user in baker.make(django_user_model, _quantity=2):
            LikedItem.objects.like(user, product)

        assert api_client.get(likes_url(product.pk)).json() == summary(2, False)

    def test_liked_is_true_only_for_a_liker(self, api_client, authenticate, product, someone_else):
        LikedItem.objects.like(someone_else, product)
        me = authenticate()

        assert api_client.get(likes_url(product.pk)).json() == summary(1, False)
        LikedItem.objects.like(me, product)
        assert api_client.get(likes_url(product.pk)).json() == summary(2, True)

    def test_counts_only_the_products_own_likes(self, api_client, someone_else):
        group = Group.objects.create(name='same id, other model')
        product = make_product(id=group.pk)
        LikedItem.objects.like(someone_else, make_product())
        LikedItem.objects.like(someone_else, group)

        assert api_client.get(likes_url(product.pk)).json() == summary(0, False)

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_is_404(self, api_client, product_pk):
        assert api_client.get(likes_url(product_pk)).status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('logged_in', [False, True])
    def test_query_budget(self, api_client, authenticate, product, logged_in, django_user_model,
                          django_assert_max_num_queries):
        for user in baker.make(django_user_model, _quantity=5):
            LikedItem.objects.like(user, product)
        if logged_in:
            LikedItem.objects.like(authenticate(), product)
        warm_content_types()

        with django_assert_max_num_queries(LIKES_GET_MAX_QUERIES):
            response = api_client.get(likes_url(product.pk))

        assert response.json() == summary(6 if logged_in else 5, logged_in)


@pytest.mark.django_db
class TestLike:
    def test_anonymous_is_401_and_nothing_is_liked(self, api_client, product):
        response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert not LikedItem.objects.exists()

    @pytest.mark.parametrize('is_staff', [False, True])
    def test_a_first_like_is_201_with_the_new_summary(self, api_client, authenticate, product, is_staff):
        me = authenticate(is_staff=is_staff)

        response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == summary(1, True)
        like = LikedItem.objects.get()
        assert (like.user, like.content_object) == (me, product)

    def test_liking_twice_is_200_and_keeps_one_like(self, api_client, authenticate, product):
        authenticate()
        api_client.post(likes_url(product.pk))

        response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(1, True)
        assert LikedItem.objects.count() == 1

    def test_two_users_liking_count_two(self, api_client, authenticate, product, someone_else):
        LikedItem.objects.like(someone_else, product)
        authenticate()

        response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == summary(2, True)

    def test_a_racing_duplicate_like_is_200_not_500(self, api_client, authenticate, product):
        # Another request of the same user committed its like after this one looked for it.
        me = authenticate()
        LikedItem.objects.like(me, product)
        real_get = QuerySet.get

        def stale_get(queryset, *args, **kwargs):
            if queryset.model is LikedItem:
                raise LikedItem.DoesNotExist
            return real_get(queryset, *args, **kwargs)

        with mock.patch.object(QuerySet, 'get', stale_get):
            response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(1, True)
        assert LikedItem.objects.count() == 1

    def test_other_products_are_not_liked(self, api_client, authenticate, product):
        other = make_product()
        authenticate()

        api_client.post(likes_url(product.pk))

        assert api_client.get(likes_url(other.pk)).json() == summary(0, False)

    def test_a_body_is_ignored(self, api_client, authenticate, product, someone_else):
        authenticate()

        response = api_client.post(likes_url(product.pk), {'user': someone_else.pk, 'likes_count': 99}, format='json')

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == summary(1, True)
        assert not LikedItem.objects.filter(user=someone_else).exists()

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_is_404(self, api_client, authenticate, product_pk):
        authenticate()

        assert api_client.post(likes_url(product_pk)).status_code == status.HTTP_404_NOT_FOUND
        assert not LikedItem.objects.exists()

    @pytest.mark.parametrize('already_liked', [False, True])
    def test_query_budget(self, api_client, authenticate, product, already_liked, django_user_model,
                          django_assert_max_num_queries):
        for user in baker.make(django_user_model, _quantity=5):
            LikedItem.objects.like(user, product)
        me = authenticate()
        if already_liked:
            LikedItem.objects.like(me, product)
        warm_content_types()

        with django_assert_max_num_queries(LIKES_WRITE_MAX_QUERIES):
            response = api_client.post(likes_url(product.pk))

        assert response.json() == summary(6, True)


@pytest.mark.django_db
class TestUnlike:
    def test_anonymous_is_401_and_likes_stay(self, api_client, product, someone_else):
        LikedItem.objects.like(someone_else, product)

        response = api_client.delete(likes_url(product.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert LikedItem.objects.count() == 1

    def test_unliking_is_200_with_the_new_summary(self, api_client, authenticate, product):
        LikedItem.objects.like(authenticate(), product)

        response = api_client.delete(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(0, False)
        assert not LikedItem.objects.exists()

    def test_unliking_without_a_like_is_200_too(self, api_client, authenticate, product):
        authenticate()

        response = api_client.delete(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(0, False)

    def test_unliking_twice_is_idempotent(self, api_client, authenticate, product):
        LikedItem.objects.like(authenticate(), product)
        api_client.delete(likes_url(product.pk))

        response = api_client.delete(likes_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == summary(0, False)

    def test_only_the_callers_like_is_removed(self, api_client, authenticate, product, someone_else):
        LikedItem.objects.like(someone_else, product)
        LikedItem.objects.like(authenticate(), product)

        response = api_client.delete(likes_url(product.pk))

        assert response.json() == summary(1, False)
        assert list(LikedItem.objects.values_list('user', flat=True)) == [someone_else.pk]

    def test_like_again_after_unliking(self, api_client, authenticate, product):
        authenticate()
        api_client.post(likes_url(product.pk))
        api_client.delete(likes_url(product.pk))

        response = api_client.post(likes_url(product.pk))

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == summary(1, True)

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_is_404(self, api_client, authenticate, product_pk):
        authenticate()

        assert api_client.delete(likes_url(product_pk)).status_code == status.HTTP_404_NOT_FOUND

    def test_query_budget(self, api_client, authenticate, product, django_assert_max_num_queries):
        LikedItem.objects.like(authenticate(), product)
        warm_content_types()

        with django_assert_max_num_queries(LIKES_WRITE_MAX_QUERIES):
            response = api_client.delete(likes_url(product.pk))

        assert response.json() == summary(0, False)


@pytest.mark.django_db
class TestOtherMethods:
    @pytest.mark.parametrize('method', ['put', 'patch'])
    def test_likes_cannot_be_replaced_or_edited(self, api_client, authenticate, product, method):
        authenticate(is_staff=True)

        response = getattr(api_client, method)(likes_url(product.pk), {'likes_count': 99}, format='json')

        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED


@pytest.mark.django_db
class TestDeletedProduct:
    def test_deleting_a_product_drops_its_likes(self, api_client, authenticate, product, someone_else):
        other = make_product()
        LikedItem.objects.like(someone_else, product)
        LikedItem.objects.like(someone_else, other)
        authenticate(is_staff=True)

        assert api_client.delete(f'/store/products/{product.pk}/').status_code == status.HTTP_204_NO_CONTENT

        assert [like.content_object for like in LikedItem.objects.all()] == [other]
