import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from model_bakery import baker

from tags.models import Tag, TaggedItem


def tag_object(tag, obj):
    return TaggedItem.objects.create(tag=tag, content_object=obj)


@pytest.mark.django_db
class TestGetTagsFor:
    def test_returns_only_the_tags_of_that_object(self, django_user_model):
        # Tags attach to any model; the user model stands in for a store product here.
        tagged, other = baker.make(django_user_model, _quantity=2)
        red, blue, green = (Tag.objects.create(label=label) for label in ('red', 'blue', 'green'))
        tag_object(red, tagged)
        tag_object(blue, tagged)
        tag_object(green, other)

        items = TaggedItem.objects.get_tags_for(django_user_model, tagged.id)

        assert sorted(item.tag.label for item in items) == ['blue', 'red']

    def test_does_not_mix_models_sharing_an_id(self, django_user_model):
        user = baker.make(django_user_model)
        tag = Tag.objects.create(label='x')
        same_id_other_model = ContentType.objects.get_for_model(Tag)
        TaggedItem.objects.create(tag=tag, content_type=same_id_other_model, object_id=user.id)

        assert list(TaggedItem.objects.get_tags_for(django_user_model, user.id)) == []

    def test_loads_the_tags_in_one_query(self, django_user_model, django_assert_num_queries):
        user = baker.make(django_user_model)
        for label in ('a', 'b', 'c'):
            tag_object(Tag.objects.create(label=label), user)
        ContentType.objects.get_for_model(django_user_model)  # warm the content-type cache

        with django_assert_num_queries(1):
            labels = [item.tag.label for item in TaggedItem.objects.get_tags_for(django_user_model, user.id)]

        assert sorted(labels) == ['a', 'b', 'c']

    def test_unknown_object_has_no_tags(self, django_user_model):
        assert list(TaggedItem.objects.get_tags_for(django_user_model, 999999)) == []


@pytest.mark.django_db
class TestTagConstraints:
    def test_labels_are_unique(self):
        Tag.objects.create(label='sale')
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(label='sale')

    def test_an_object_carries_a_tag_once(self, django_user_model):
        user = baker.make(django_user_model)
        tag = Tag.objects.create(label='sale')
        tag_object(tag, user)
        with pytest.raises(IntegrityError), transaction.atomic():
            tag_object(tag, user)

    def test_deleting_a_tag_untags_its_objects(self, django_user_model):
        tag = Tag.objects.create(label='sale')
        tag_object(tag, baker.make(django_user_model))
        tag.delete()
        assert not TaggedItem.objects.exists()

    def test_str_is_the_label(self, django_user_model):
        tag = Tag.objects.create(label='sale')
        assert str(tag) == 'sale'
        assert str(tag_object(tag, baker.make(django_user_model))) == 'sale'
