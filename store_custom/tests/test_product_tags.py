"""API tests for /store/products/{product_pk}/tags/: anyone reads a product's tags, staff add and remove them."""
import pytest
from django.contrib.auth.models import Group
from rest_framework import status

from store_custom.tests.helpers import (
    UNKNOWN_PRODUCT_PKS,
    make_product,
    warm_content_types,
)
from tags.models import Tag, TaggedItem

# Parent-product lookup + the tags, whatever the number of tags.
TAG_LIST_MAX_QUERIES = 2

NOT_FOUND = {'detail': 'Not found.'}  # a malformed id
NO_PRODUCT = {'detail': 'No Product matches the given query.'}
NO_TAG = {'detail': 'No Tag matches the given query.'}
NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}
FORBIDDEN = {'detail': 'You do not have permission to perform this action.'}


def tags_url(product_pk):
    return f'/store/products/{product_pk}/tags/'


def tag_url(product_pk, tag_pk):
    return f'/store/products/{product_pk}/tags/{tag_pk}/'


def tag(product, label):
    return TaggedItem.objects.tag(product, label)[0]


def labels_of(product):
    return [t.label for t in TaggedItem.objects.tags_of(type(product), product.pk)]


@pytest.fixture
def product(db):
    return make_product()


@pytest.mark.django_db
class TestListProductTags:
    def test_an_untagged_product_has_an_empty_list(self, api_client, product):
        response = api_client.get(tags_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    def test_anyone_lists_the_products_tags_by_label(self, api_client, product):
        sale, new = tag(product, 'sale'), tag(product, 'new')

        response = api_client.get(tags_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [{'id': new.pk, 'label': 'new'}, {'id': sale.pk, 'label': 'sale'}]

    def test_only_the_products_own_tags(self, api_client):
        group = Group.objects.create(name='same id, other model')
        product = make_product(id=group.pk)
        tag(product, 'mine')
        tag(make_product(), 'theirs')
        TaggedItem.objects.tag(group, 'group tag')

        mine = Tag.objects.get(label='mine')
        assert api_client.get(tags_url(product.pk)).json() == [{'id': mine.pk, 'label': 'mine'}]

    @pytest.mark.parametrize('is_staff', [False, True])
    def test_logged_in_users_list_them_too(self, api_client, authenticate, product, is_staff):
        sale = tag(product, 'sale')
        authenticate(is_staff=is_staff)

        response = api_client.get(tags_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == [{'id': sale.pk, 'label': 'sale'}]

    @pytest.mark.parametrize('product_pk, body', [
        ('99999', NO_PRODUCT), ('99999999999999999999999', NO_PRODUCT), ('abc', NOT_FOUND)])
    def test_unknown_or_malformed_product_is_404(self, api_client, product_pk, body):
        response = api_client.get(tags_url(product_pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == body

    @pytest.mark.parametrize('tag_count', [1, 20])
    def test_query_count_does_not_grow_with_tags(self, api_client, product, tag_count, django_assert_max_num_queries):
        for number in range(tag_count):
            tag(product, f'tag {number:02}')
        warm_content_types()

        with django_assert_max_num_queries(TAG_LIST_MAX_QUERIES):
            response = api_client.get(tags_url(product.pk))

        assert len(response.json()) == tag_count


@pytest.mark.django_db
class TestAddProductTag:
    def test_anonymous_is_401_and_nothing_is_tagged(self, api_client, product):
        response = api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert response.json() == NOT_AUTHENTICATED
        assert not TaggedItem.objects.exists() and not Tag.objects.exists()

    def test_customer_is_403_and_nothing_is_tagged(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert response.json() == FORBIDDEN
        assert not TaggedItem.objects.exists() and not Tag.objects.exists()

    def test_staff_tags_with_a_new_label_201(self, api_client, authenticate, product):
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert response.status_code == status.HTTP_201_CREATED
        created = Tag.objects.get()
        assert response.json() == {'id': created.pk, 'label': 'sale'}
        assert labels_of(product) == ['sale']

    def test_an_existing_label_reuses_its_tag_201(self, api_client, authenticate, product):
        existing = tag(make_product(), 'sale')
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json() == {'id': existing.pk, 'label': 'sale'}
        assert Tag.objects.count() == 1

    def test_tagging_twice_is_200_and_keeps_one_tagged_item(self, api_client, authenticate, product):
        authenticate(is_staff=True)
        first = api_client.post(tags_url(product.pk), {'label': 'sale'})

        second = api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert second.status_code == status.HTTP_200_OK
        assert second.json() == first.json()
        assert TaggedItem.objects.count() == 1

    def test_a_label_in_another_letter_case_is_the_same_tag(self, api_client, authenticate, product):
        sale = tag(product, 'Sale')
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), {'label': 'SALE'})

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'id': sale.pk, 'label': 'Sale'}
        assert Tag.objects.count() == 1 and TaggedItem.objects.count() == 1

    def test_the_label_is_trimmed(self, api_client, authenticate, product):
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), {'label': '  sale  '})

        assert response.status_code == status.HTTP_201_CREATED
        assert response.json()['label'] == 'sale'

    def test_a_label_of_255_characters_is_accepted(self, api_client, authenticate, product):
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), {'label': 'x' * 255})

        assert response.status_code == status.HTTP_201_CREATED
        assert labels_of(product) == ['x' * 255]

    @pytest.mark.parametrize('payload, error', [
        ({}, 'This field is required.'),
        ({'label': ''}, 'This field may not be blank.'),
        ({'label': '   '}, 'This field may not be blank.'),
        ({'label': 'x' * 256}, 'Ensure this field has no more than 255 characters.'),
    ])
    def test_missing_blank_or_too_long_label_is_400(self, api_client, authenticate, product, payload, error):
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product.pk), payload, format='json')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'label': [error]}
        assert not Tag.objects.exists()

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_is_404(self, api_client, authenticate, product_pk):
        authenticate(is_staff=True)

        response = api_client.post(tags_url(product_pk), {'label': 'sale'})

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not Tag.objects.exists()

    def test_other_products_stay_untagged(self, api_client, authenticate, product):
        other = make_product()
        authenticate(is_staff=True)

        api_client.post(tags_url(product.pk), {'label': 'sale'})

        assert labels_of(other) == []


@pytest.mark.django_db
class TestRemoveProductTag:
    def test_anonymous_is_401_and_the_tag_stays(self, api_client, product):
        sale = tag(product, 'sale')

        response = api_client.delete(tag_url(product.pk, sale.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert labels_of(product) == ['sale']

    def test_customer_is_403_and_the_tag_stays(self, api_client, authenticate, product):
        sale = tag(product, 'sale')
        authenticate(is_staff=False)

        response = api_client.delete(tag_url(product.pk, sale.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert labels_of(product) == ['sale']

    def test_staff_untags_204_and_the_tag_itself_stays(self, api_client, authenticate, product):
        sale, new = tag(product, 'sale'), tag(product, 'new')
        authenticate(is_staff=True)

        response = api_client.delete(tag_url(product.pk, sale.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert response.content == b''
        assert labels_of(product) == ['new']
        assert set(Tag.objects.all()) == {sale, new}

    def test_other_products_keep_the_tag(self, api_client, authenticate, product):
        other = make_product()
        sale = tag(product, 'sale')
        tag(other, 'sale')
        authenticate(is_staff=True)

        api_client.delete(tag_url(product.pk, sale.pk))

        assert labels_of(other) == ['sale']

    def test_a_tag_the_product_does_not_carry_is_404(self, api_client, authenticate, product):
        elsewhere = tag(make_product(), 'sale')
        authenticate(is_staff=True)

        response = api_client.delete(tag_url(product.pk, elsewhere.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert response.json() == NO_TAG
        assert TaggedItem.objects.count() == 1

    def test_untagging_twice_is_404_the_second_time(self, api_client, authenticate, product):
        sale = tag(product, 'sale')
        authenticate(is_staff=True)
        api_client.delete(tag_url(product.pk, sale.pk))

        response = api_client.delete(tag_url(product.pk, sale.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('tag_pk', ['99999', 'abc', '99999999999999999999999'])
    def test_unknown_or_malformed_tag_is_404(self, api_client, authenticate, product, tag_pk):
        tag(product, 'sale')
        authenticate(is_staff=True)

        response = api_client.delete(tag_url(product.pk, tag_pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert labels_of(product) == ['sale']

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_is_404(self, api_client, authenticate, product, product_pk):
        sale = tag(product, 'sale')
        authenticate(is_staff=True)

        response = api_client.delete(tag_url(product_pk, sale.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert labels_of(product) == ['sale']


@pytest.mark.django_db
class TestOtherMethods:
    def test_a_single_tag_cannot_be_read_or_edited(self, api_client, authenticate, product):
        sale = tag(product, 'sale')
        authenticate(is_staff=True)

        assert api_client.get(tag_url(product.pk, sale.pk)).status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert api_client.patch(tag_url(product.pk, sale.pk), {'label': 'x'}).status_code == \
            status.HTTP_405_METHOD_NOT_ALLOWED
        assert Tag.objects.get().label == 'sale'


@pytest.mark.django_db
class TestDeletedProduct:
    def test_deleting_a_product_drops_its_tags_but_not_the_tags_themselves(self, api_client, authenticate, product):
        tag(product, 'sale')
        other = make_product()
        tag(other, 'sale')
        authenticate(is_staff=True)

        response = api_client.delete(f'/store/products/{product.pk}/')

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert TaggedItem.objects.count() == 1
        assert labels_of(other) == ['sale']
