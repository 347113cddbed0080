import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from model_bakery import baker

from likes.models import LikedItem


@pytest.mark.django_db
class TestLikedItem:
    def test_a_user_likes_an_object_once(self, django_user_model):
        user = baker.make(django_user_model)
        liked = Group.objects.create(name='any object')
        LikedItem.objects.create(user=user, content_object=liked)
        with pytest.raises(IntegrityError), transaction.atomic():
            LikedItem.objects.create(user=user, content_object=liked)

    def test_different_users_like_the_same_object(self, django_user_model):
        liked = Group.objects.create(name='any object')
        for user in baker.make(django_user_model, _quantity=2):
            LikedItem.objects.create(user=user, content_object=liked)
        assert LikedItem.objects.filter(object_id=liked.id).count() == 2

    def test_content_object_resolves_to_the_liked_object(self, django_user_model):
        liked = Group.objects.create(name='any object')
        like = LikedItem.objects.create(user=baker.make(django_user_model), content_object=liked)
        assert LikedItem.objects.get(pk=like.pk).content_object == liked

    def test_deleting_the_user_deletes_their_likes(self, django_user_model):
        user = baker.make(django_user_model)
        LikedItem.objects.create(user=user, content_object=Group.objects.create(name='any object'))
        user.delete()
        assert not LikedItem.objects.exists()
