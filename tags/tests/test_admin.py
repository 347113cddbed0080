import pytest
from django.urls import reverse
from model_bakery import baker

from tags.models import Tag

TAG_CHANGELIST_QUERY_BUDGET = 5


@pytest.mark.django_db
class TestTagAdminPagesForSuperuser:
    def test_changelist_returns_200(self, admin_client):
        baker.make(Tag)

        response = admin_client.get(reverse('admin:tags_tag_changelist'))

        assert response.status_code == 200

    def test_add_form_returns_200(self, admin_client):
        response = admin_client.get(reverse('admin:tags_tag_add'))

        assert response.status_code == 200

    def test_change_form_returns_200(self, admin_client):
        tag = baker.make(Tag)

        response = admin_client.get(reverse('admin:tags_tag_change', args=[tag.id]))

        assert response.status_code == 200


@pytest.mark.django_db
class TestTagAdminPagesForAnonymous:
    def test_changelist_redirects_to_login(self, client):
        url = reverse('admin:tags_tag_changelist')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    def test_add_form_redirects_to_login(self, client):
        url = reverse('admin:tags_tag_add')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    def test_change_form_redirects_to_login(self, client):
        url = reverse('admin:tags_tag_change', args=[baker.make(Tag).id])

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.django_db
class TestTagChangelistQueryCount:
    def test_query_count_is_constant_in_the_number_of_tags(self, admin_client, django_assert_max_num_queries):
        url = reverse('admin:tags_tag_changelist')
        baker.make(Tag)
        admin_client.get(url)
        with django_assert_max_num_queries(TAG_CHANGELIST_QUERY_BUDGET):
            assert admin_client.get(url).status_code == 200
        baker.make(Tag, _quantity=10)

        with django_assert_max_num_queries(TAG_CHANGELIST_QUERY_BUDGET):
            response = admin_client.get(url)

        assert response.status_code == 200
        assert len(response.context['cl'].result_list) == 11


@pytest.mark.django_db
class TestTagChangelistSearch:
    def test_search_by_label_lists_only_matching_tags(self, admin_client):
        baker.make(Tag, label='organic')
        baker.make(Tag, label='fair trade')
        baker.make(Tag, label='inorganic')

        response = admin_client.get(reverse('admin:tags_tag_changelist'), {'q': 'organic'})

        assert response.status_code == 200
        assert [tag.label for tag in response.context['cl'].result_list] == ['inorganic', 'organic']
