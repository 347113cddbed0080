"""/store/products/?tag=<label>: the product list filtered by tag, served fresh from the cached catalogue.

store's ProductViewSet serves /store/products/; store_custom adds the tag filter through
store.extension_points when it is ready.
"""
import pytest
from django.contrib.auth.models import Group
from django.urls import URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from model_bakery import baker
from rest_framework import status
from rest_framework.test import APIClient

from store.models import Collection
from store.views import ProductViewSet
from store_custom.filters import TagFilterBackend
from store_custom.tests.helpers import make_product, warm_content_types
from store_custom.views import ProductLikeView, ProductTagViewSet
from tags.models import Tag, TaggedItem

LIST_URL = '/store/products/'
# The catalogue version + page count + the page + its images: the tag filter is a subquery, no extra query.
TAGGED_LIST_MAX_QUERIES = 4
# A page served from the cache costs the catalogue version's lookup only.
CACHED_READ_QUERIES = 1


def tag(product, label):
    return TaggedItem.objects.tag(product, label)[0]


def ids(response):
    assert response.status_code == status.HTTP_200_OK, response.content
    return [product['id'] for product in response.json()['results']]


@pytest.fixture
def products(db):
    """Three products by title: a tagged 'sale', b tagged 'sale' and 'new', c untagged."""
    a, b, c = (make_product(title=title) for title in ('a', 'b', 'c'))
    tag(a, 'sale')
    tag(b, 'sale')
    tag(b, 'new')
    return a, b, c


@pytest.mark.django_db
class TestFilterByTag:
    def test_only_products_carrying_the_tag(self, api_client, products):
        a, b, _ = products

        assert ids(api_client.get(LIST_URL, {'tag': 'sale'})) == [a.pk, b.pk]
        assert ids(api_client.get(LIST_URL, {'tag': 'new'})) == [b.pk]

    def test_the_label_matches_whatever_its_letter_case(self, api_client, products):
        a, b, _ = products

        assert ids(api_client.get(LIST_URL, {'tag': 'SaLe'})) == [a.pk, b.pk]

    def test_the_label_is_trimmed(self, api_client, products):
        _, b, _ = products

        assert ids(api_client.get(LIST_URL, {'tag': '  new '})) == [b.pk]

    def test_the_label_must_match_exactly_not_partly(self, api_client, products):
        assert ids(api_client.get(LIST_URL, {'tag': 'sal'})) == []

    def test_an_unknown_tag_is_an_empty_page(self, api_client, products):
        response = api_client.get(LIST_URL, {'tag': 'nope'})

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}

    def test_a_tag_no_product_carries_is_an_empty_page(self, api_client, products):
        TaggedItem.objects.tag(Group.objects.create(name='g'), 'groups only')

        assert ids(api_client.get(LIST_URL, {'tag': 'groups only'})) == []

    def test_an_empty_tag_filters_nothing(self, api_client, products):
        assert ids(api_client.get(LIST_URL, {'tag': ''})) == [p.pk for p in products]

    def test_no_duplicate_rows_for_a_product_with_several_tags(self, api_client, db):
        product = make_product(title='many')
        for label in ('x', 'y', 'z'):
            tag(product, label)

        response = api_client.get(LIST_URL, {'tag': 'y'})

        assert ids(response) == [product.pk]
        assert response.json()['count'] == 1
        assert ids(api_client.get(LIST_URL)) == [product.pk]

    def test_other_models_tagged_with_the_same_id_do_not_leak_in(self, api_client, db):
        group = Group.objects.create(name='same id, other model')
        product = make_product(id=group.pk)
        TaggedItem.objects.tag(group, 'sale')

        assert product.pk not in ids(api_client.get(LIST_URL, {'tag': 'sale'}))

    def test_combines_with_collection_id(self, api_client, products):
        a, b, _ = products
        mugs = baker.make(Collection, title='Mugs')
        mug = make_product(title='mug', collection=mugs)
        tag(mug, 'sale')

        assert ids(api_client.get(LIST_URL, {'tag': 'sale', 'collection_id': mugs.pk})) == [mug.pk]
        assert ids(api_client.get(LIST_URL, {'tag': 'sale', 'collection_id': a.collection_id})) == [a.pk]

    def test_combines_with_search_ordering_and_pagination(self, api_client, db):
        teapots = [make_product(title=f'teapot {n}', unit_price=10 + n) for n in range(3)]
        for teapot in teapots:
            tag(teapot, 'sale')
        tag(make_product(title='coffee'), 'sale')

        response = api_client.get(LIST_URL, {'tag': 'sale', 'search': 'teapot', 'ordering': '-unit_price',
                                             'page_size': 2})

        assert ids(response) == [teapots[2].pk, teapots[1].pk]
        assert response.json()['count'] == 3

    def test_a_product_not_carrying_the_tag_is_404_in_detail_too(self, api_client, products):
        a, _, c = products

        assert api_client.get(f'{LIST_URL}{a.pk}/', {'tag': 'sale'}).status_code == status.HTTP_200_OK
        assert api_client.get(f'{LIST_URL}{c.pk}/', {'tag': 'sale'}).status_code == status.HTTP_404_NOT_FOUND

    def test_the_format_suffix_url_filters_too(self, api_client, products):
        a, b, _ = products

        assert ids(api_client.get('/store/products.json', {'tag': 'sale'})) == [a.pk, b.pk]

    def test_query_budget(self, api_client, db, django_assert_max_num_queries):
        for number in range(15):
            product = make_product(title=f'p{number:02}')
            for label in ('sale', 'new', 'eco'):
                tag(product, label)
        warm_content_types()

        with django_assert_max_num_queries(TAGGED_LIST_MAX_QUERIES):
            response = api_client.get(LIST_URL, {'tag': 'new', 'page_size': 100})

        assert len(ids(response)) == 15


@pytest.mark.django_db
class TestCachedTaggedPages:
    """Tagging changes `?tag=` pages at once; pytest-django never commits, so writes run inside `committed()`."""

    @pytest.fixture
    def committed(self, django_capture_on_commit_callbacks):
        return lambda: django_capture_on_commit_callbacks(execute=True)

    @pytest.fixture
    def reader(self):
        return APIClient()

    def warm(self, reader, params, django_assert_num_queries):
        first = ids(reader.get(LIST_URL, params))
        with django_assert_num_queries(CACHED_READ_QUERIES):
            assert ids(reader.get(LIST_URL, params)) == first
        return first

    def test_tagging_a_product_over_the_api_shows_it_on_the_tag_page(
            self, api_client, authenticate, reader, committed, django_assert_num_queries):
        product = make_product()
        assert self.warm(reader, {'tag': 'sale'}, django_assert_num_queries) == []
        authenticate(is_staff=True)

        with committed():
            assert api_client.post(f'{LIST_URL}{product.pk}/tags/', {'label': 'sale'}).status_code == 201

        assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == [product.pk]

    def test_untagging_a_product_over_the_api_drops_it_from_the_tag_page(
            self, api_client, authenticate, reader, committed, django_assert_num_queries):
        product = make_product()
        sale = tag(product, 'sale')
        assert self.warm(reader, {'tag': 'sale'}, django_assert_num_queries) == [product.pk]
        authenticate(is_staff=True)

        with committed():
            assert api_client.delete(f'{LIST_URL}{product.pk}/tags/{sale.pk}/').status_code == 204

        assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == []

    def test_tagging_outside_the_api_also_refreshes_the_page(self, reader, committed, django_assert_num_queries):
        # e.g. the product admin's tag inline
        product = make_product()
        self.warm(reader, {'tag': 'sale'}, django_assert_num_queries)

        with committed():
            tag(product, 'sale')

        assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == [product.pk]

    def test_renaming_a_tag_moves_its_products_to_the_new_label(self, reader, committed, django_assert_num_queries):
        product = make_product()
        sale = tag(product, 'sale')
        self.warm(reader, {'tag': 'sale'}, django_assert_num_queries)
        self.warm(reader, {'tag': 'promo'}, django_assert_num_queries)

        with committed():
            sale.label = 'promo'
            sale.save()

        assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == []
        assert ids(reader.get(LIST_URL, {'tag': 'promo'})) == [product.pk]

    def test_deleting_a_tag_empties_its_page(self, reader, committed, django_assert_num_queries):
        sale = tag(make_product(), 'sale')
        self.warm(reader, {'tag': 'sale'}, django_assert_num_queries)

        with committed():
            Tag.objects.filter(pk=sale.pk).delete()

        assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == []

    def test_tagging_other_models_leaves_the_catalogue_cached(self, reader, committed, django_assert_num_queries):
        make_product()
        self.warm(reader, {'tag': 'sale'}, django_assert_num_queries)

        with committed() as callbacks:
            TaggedItem.objects.tag(Group.objects.create(name='g'), 'sale')

        assert callbacks == []
        with django_assert_num_queries(CACHED_READ_QUERIES):
            assert ids(reader.get(LIST_URL, {'tag': 'sale'})) == []


class TestWiring:
    def test_products_are_served_by_stores_viewset_with_the_tag_filter(self):
        assert resolve(LIST_URL).func.cls is ProductViewSet
        assert resolve(f'{LIST_URL}1/').func.cls is ProductViewSet
        assert ProductViewSet().filter_backends[-1] is TagFilterBackend

    def test_every_route_is_registered_once(self):
        def routes(patterns, prefix=''):
            for pattern in patterns:
                if isinstance(pattern, URLResolver):
                    yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
                else:
                    yield prefix + str(pattern.pattern)

        all_routes = list(routes(get_resolver().url_patterns))
        assert len(all_routes) == len(set(all_routes))
        assert [route for route in all_routes if route.startswith('store/^products/$')] == ['store/^products/$']

    def test_tags_and_likes_routes(self):
        assert resolve(f'{LIST_URL}1/tags/').func.cls is ProductTagViewSet
        assert resolve(f'{LIST_URL}1/tags/2/').func.cls is ProductTagViewSet
        assert resolve(f'{LIST_URL}1/likes/').func.view_class is ProductLikeView

    def test_stores_own_routes_still_resolve(self):
        assert resolve(f'{LIST_URL}1/reviews/').func.cls.__name__ == 'ReviewViewSet'
        assert resolve('/store/collections/').func.cls.__name__ == 'CollectionViewSet'

    @pytest.mark.urls('store_custom.tests.store_only_urls')
    @pytest.mark.django_db
    def test_without_store_custom_urls_the_plain_store_api_works(self, api_client):
        product = make_product()

        assert resolve(LIST_URL).func.cls is ProductViewSet
        assert ids(api_client.get(LIST_URL)) == [product.pk]
        assert api_client.get(f'{LIST_URL}{product.pk}/tags/').status_code == status.HTTP_404_NOT_FOUND


@pytest.fixture(scope='module')
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


class TestSchema:
    def test_the_filter_documents_the_tag_parameter(self):
        assert TagFilterBackend().get_schema_operation_parameters(view=None) == [{
            'name': 'tag', 'required': False, 'in': 'query',
            'description': 'Only items carrying the tag with this label (exact label, letter case ignored).',
            'schema': {'type': 'string'},
        }]

    def test_the_product_list_documents_tag_once(self, schema):
        names = [parameter['name'] for parameter in schema['paths']['/store/products/']['get']['parameters']]
        assert names.count('tag') == 1

    @pytest.mark.parametrize('path, method, statuses', [
        ('/store/products/{product_pk}/tags/', 'get', {'200', '404'}),
        ('/store/products/{product_pk}/tags/', 'post', {'200', '201', '400', '401', '403', '404'}),
        ('/store/products/{product_pk}/tags/{id}/', 'delete', {'204', '401', '403', '404'}),
        ('/store/products/{product_pk}/likes/', 'get', {'200', '404'}),
        ('/store/products/{product_pk}/likes/', 'post', {'200', '201', '401', '404'}),
        ('/store/products/{product_pk}/likes/', 'delete', {'200', '401', '404'}),
    ])
    def test_every_status_the_endpoints_return_is_documented(self, schema, path, method, statuses):
        assert statuses <= set(schema['paths'][path][method]['responses'])

    def test_the_like_summary_is_documented(self, schema):
        response = schema['paths']['/store/products/{product_pk}/likes/']['get']['responses']['200']
        component = response['content']['application/json']['schema']['$ref'].rsplit('/', 1)[1]
        assert schema['components']['schemas'][component]['properties'].keys() == {'likes_count', 'liked'}
