import pytest


@pytest.mark.django_db
class TestHomePage:
    def test_links_the_api_the_docs_and_the_admin(self, client):
        response = client.get('/')
        assert response.status_code == 200
        html = response.content.decode()
        for link in ('href="/store/"', 'href="/auth/"', 'href="/api/docs/"', 'href="/api/redoc/"', 'href="/admin/"'):
            assert link in html
        assert '<title>Storefront</title>' in html

    def test_its_stylesheet_and_logo_are_served(self, client):
        assert client.get('/static/core/styles.css').status_code == 200
        assert client.get('/static/core/logo.svg').status_code == 200


@pytest.mark.django_db
class TestApiDocs:
    def test_schema_is_openapi_3_with_the_jwt_scheme(self, client):
        response = client.get('/api/schema/', HTTP_ACCEPT='application/json')
        assert response.status_code == 200
        schema = response.json()
        assert schema['openapi'].startswith('3.')
        assert schema['components']['securitySchemes']['jwtAuth']['scheme'] == 'bearer'
        assert '/store/carts/{cart_pk}/items/' in schema['paths']

    def test_cart_ids_are_documented_as_uuids(self, client):
        paths = client.get('/api/schema/', HTTP_ACCEPT='application/json').json()['paths']
        parameters = {p['name']: p['schema'] for p in paths['/store/carts/{cart_pk}/items/']['get']['parameters']}
        assert parameters['cart_pk'] == {'type': 'string', 'format': 'uuid'}

    def test_product_list_documents_its_query_parameters(self, client):
        operation = client.get('/api/schema/', HTTP_ACCEPT='application/json').json()['paths']['/store/products/']['get']
        names = {p['name'] for p in operation['parameters']}
        assert {'collection_id', 'unit_price__gt', 'unit_price__lt', 'search', 'ordering', 'page', 'page_size'} <= names

    @pytest.mark.parametrize('url', ['/api/docs/', '/api/redoc/'])
    def test_docs_pages_render_with_local_assets(self, client, url):
        response = client.get(url)
        assert response.status_code == 200
        assert b'/static/drf_spectacular_sidecar/' in response.content
