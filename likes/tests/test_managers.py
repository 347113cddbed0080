"""LikedItemManager's liking API, on models that are not the store's (likes attach to any model)."""
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db.models.query import QuerySet
from model_bakery import baker

from likes.models import LikedItem


@pytest.fixture
def group(db):
    return Group.objects.create(name='any object')


@pytest.fixture
def user(django_user_model):
    return baker.make(django_user_model)


@pytest.mark.django_db
class TestLike:
    def test_a_first_like_is_created(self, user, group):
        assert LikedItem.objects.like(user, group) is True
        like = LikedItem.objects.get()
        assert (like.user, like.content_object) == (user, group)

    def test_liking_twice_keeps_one_like(self, user, group):
        LikedItem.objects.like(user, group)

        assert LikedItem.objects.like(user, group) is False
        assert LikedItem.objects.count() == 1

    def test_a_racing_duplicate_counts_as_already_liked(self, user, group):
        # As when a concurrent request's like is invisible to this one's reads (e.g. its snapshot)
        # until the unique constraint refuses the second row.
        LikedItem.objects.like(user, group)
        real_get = QuerySet.get

        def stale_get(queryset, *args, **kwargs):
            if queryset.model is LikedItem:
                raise LikedItem.DoesNotExist
            return real_get(queryset, *args, **kwargs)

        with mock.patch.object(QuerySet, 'get', stale_get):
            assert LikedItem.objects.like(user, group) is False

        assert LikedItem.objects.count() == 1  # and the transaction is still usable

    def test_objects_of_different_models_sharing_an_id_are_liked_separately(self, user, group, django_user_model):
        other_model_same_id = baker.make(django_user_model, id=group.id)
        LikedItem.objects.like(user, group)

        assert LikedItem.objects.like(user, other_model_same_id) is True
        assert LikedItem.objects.count_for(group) == 1


@pytest.mark.django_db
class TestUnlike:
    def test_unliking_removes_the_users_like(self, user, group):
        LikedItem.objects.like(user, group)

        assert LikedItem.objects.unlike(user, group) is True
        assert not LikedItem.objects.exists()

    def test_unliking_without_a_like_is_harmless(self, user, group):
        assert LikedItem.objects.unlike(user, group) is False

    def test_unliking_keeps_other_users_likes(self, user, group, django_user_model):
        other = baker.make(django_user_model)
        LikedItem.objects.like(user, group)
        LikedItem.objects.like(other, group)

        LikedItem.objects.unlike(user, group)

        assert list(LikedItem.objects.values_list('user', flat=True)) == [other.pk]


@pytest.mark.django_db
class TestCountsAndLiked:
    def test_count_is_the_number_of_users_liking_the_object(self, group, django_user_model):
        for liker in baker.make(django_user_model, _quantity=2):
            LikedItem.objects.like(liker, group)
        LikedItem.objects.like(baker.make(django_user_model), Group.objects.create(name='other'))

        assert LikedItem.objects.count_for(group) == 2

    def test_an_object_nobody_likes_has_no_likes(self, group):
        assert LikedItem.objects.count_for(group) == 0

    def test_is_liked_only_for_the_liker(self, user, group, django_user_model):
        LikedItem.objects.like(user, group)

        assert LikedItem.objects.is_liked(user, group) is True
        assert LikedItem.objects.is_liked(baker.make(django_user_model), group) is False

    def test_an_anonymous_user_likes_nothing(self, user, group):
        LikedItem.objects.like(user, group)

        assert LikedItem.objects.is_liked(AnonymousUser(), group) is False

    def test_summary_counts_and_tells_whether_the_user_likes_it(self, user, group, django_user_model):
        other = baker.make(django_user_model)
        LikedItem.objects.like(user, group)
        LikedItem.objects.like(other, group)

        assert LikedItem.objects.summary(user, group) == {'likes_count': 2, 'liked': True}
        assert LikedItem.objects.summary(baker.make(django_user_model), group) == {'likes_count': 2, 'liked': False}
        assert LikedItem.objects.summary(AnonymousUser(), group) == {'likes_count': 2, 'liked': False}

    def test_summary_is_one_query(self, user, group, django_assert_num_queries):
        LikedItem.objects.like(user, group)

        with django_assert_num_queries(1):
            assert LikedItem.objects.summary(user, group) == {'likes_count': 1, 'liked': True}
