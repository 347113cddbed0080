"""TaggedItemManager's tagging API, on models that are not the store's (tags attach to any model)."""
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from model_bakery import baker

from tags.models import Tag, TaggedItem


def make_group(name='any object'):
    return Group.objects.create(name=name)


@pytest.mark.django_db
class TestTag:
    def test_tagging_with_a_new_label_creates_the_tag_and_attaches_it(self):
        group = make_group()

        tag, created = TaggedItem.objects.tag(group, 'sale')

        assert created is True
        assert (tag.pk, tag.label) == (Tag.objects.get().pk, 'sale')
        assert [item.content_object for item in TaggedItem.objects.all()] == [group]

    def test_tagging_with_an_existing_label_reuses_the_tag(self):
        existing = Tag.objects.create(label='sale')

        tag, created = TaggedItem.objects.tag(make_group(), 'sale')

        assert (tag, created) == (existing, True)
        assert Tag.objects.count() == 1

    def test_tagging_twice_is_idempotent(self):
        group = make_group()
        first, _ = TaggedItem.objects.tag(group, 'sale')

        second, created = TaggedItem.objects.tag(group, 'sale')

        assert (second, created) == (first, False)
        assert TaggedItem.objects.count() == 1

    def test_a_label_matches_an_existing_tag_whatever_its_letter_case(self):
        existing = Tag.objects.create(label='Sale')
        group = make_group()

        assert TaggedItem.objects.tag(group, 'SALE') == (existing, True)
        assert TaggedItem.objects.tag(group, 'sale') == (existing, False)
        assert Tag.objects.count() == 1
        assert TaggedItem.objects.count() == 1

    def test_two_objects_share_one_tag(self):
        first, second = make_group('a'), make_group('b')

        tag_a, _ = TaggedItem.objects.tag(first, 'sale')
        tag_b, created = TaggedItem.objects.tag(second, 'sale')

        assert tag_a == tag_b and created is True
        assert TaggedItem.objects.filter(tag=tag_a).count() == 2

    def test_objects_of_different_models_sharing_an_id_are_tagged_separately(self, django_user_model):
        group = make_group()
        user = baker.make(django_user_model, id=group.id)

        TaggedItem.objects.tag(group, 'sale')
        _, created = TaggedItem.objects.tag(user, 'sale')

        assert created is True
        assert TaggedItem.objects.count() == 2


@pytest.mark.django_db
class TestUntag:
    def test_untagging_detaches_the_tag_but_keeps_it(self):
        group = make_group()
        tag, _ = TaggedItem.objects.tag(group, 'sale')

        assert TaggedItem.objects.untag(group, tag.pk) is True
        assert not TaggedItem.objects.exists()
        assert Tag.objects.filter(pk=tag.pk).exists()

    def test_untagging_an_object_without_the_tag_removes_nothing(self):
        tagged, untagged = make_group('a'), make_group('b')
        tag, _ = TaggedItem.objects.tag(tagged, 'sale')

        assert TaggedItem.objects.untag(untagged, tag.pk) is False
        assert TaggedItem.objects.count() == 1

    def test_untagging_twice_is_harmless(self):
        group = make_group()
        tag, _ = TaggedItem.objects.tag(group, 'sale')
        TaggedItem.objects.untag(group, tag.pk)

        assert TaggedItem.objects.untag(group, tag.pk) is False

    def test_untagging_leaves_other_objects_tagged(self):
        first, second = make_group('a'), make_group('b')
        tag, _ = TaggedItem.objects.tag(first, 'sale')
        TaggedItem.objects.tag(second, 'sale')

        TaggedItem.objects.untag(first, tag.pk)

        assert [item.content_object for item in TaggedItem.objects.all()] == [second]


@pytest.mark.django_db
class TestTagsOf:
    def test_lists_the_objects_tags_by_label(self):
        group = make_group()
        for label in ('red', 'blue', 'green'):
            TaggedItem.objects.tag(group, label)
        TaggedItem.objects.tag(make_group('other'), 'yellow')

        assert [tag.label for tag in TaggedItem.objects.tags_of(Group, group.id)] == ['blue', 'green', 'red']

    def test_does_not_mix_models_sharing_an_id(self, django_user_model):
        group = make_group()
        TaggedItem.objects.tag(baker.make(django_user_model, id=group.id), 'user tag')

        assert list(TaggedItem.objects.tags_of(Group, group.id)) == []

    def test_loads_the_tags_in_one_query(self, django_assert_num_queries):
        group = make_group()
        for label in ('a', 'b', 'c', 'd'):
            TaggedItem.objects.tag(group, label)
        ContentType.objects.get_for_model(Group)  # warm the content-type cache

        with django_assert_num_queries(1):
            labels = [tag.label for tag in TaggedItem.objects.tags_of(Group, group.id)]

        assert labels == ['a', 'b', 'c', 'd']


@pytest.mark.django_db
class TestObjectIdsTagged:
    def test_the_ids_of_the_objects_carrying_the_label_whatever_its_case(self, django_user_model):
        sale, other, untagged = make_group('a'), make_group('b'), make_group('c')
        TaggedItem.objects.tag(sale, 'Sale')
        TaggedItem.objects.tag(other, 'new')
        TaggedItem.objects.tag(baker.make(django_user_model, id=untagged.id), 'Sale')  # another model

        ids = TaggedItem.objects.object_ids_tagged(Group, 'sALE')

        assert list(Group.objects.filter(pk__in=ids)) == [sale]
