"""Bodies the API refuses before its views: JSON nested too deeply (400) and bodies over the size limit (413)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker

from store.models import Product

DEEP_JSON = '[' * 2000 + ']' * 2000  # 4 KB


@pytest.fixture
def product(db):
    return baker.make(Product, unit_price=5, inventory=1)


def json_endpoints(product):
    """(method, path, as staff) for JSON writes across the apps."""
    return [
        ('post', '/store/carts/', False),
        ('post', f'/store/products/{product.pk}/reviews/', False),
        ('post', '/store/products/', True),
        ('patch', f'/store/products/{product.pk}/', True),
        ('post', '/store/collections/', True),
        ('post', '/store/orders/', False),
        ('post', '/auth/users/', False),
        ('post', '/auth/jwt/create/', False),
        ('post', '/auth/jwt/refresh/', False),
        ('patch', '/auth/users/me/', False),
    ]


@pytest.mark.django_db
class TestDeeplyNestedJson:
    def test_deeply_nested_json_is_a_400_on_every_json_endpoint(self, api_client, authenticate, product):
        answers = {}
        for method, path, as_staff in json_endpoints(product):
            authenticate(is_staff=as_staff)
            response = getattr(api_client, method)(path, DEEP_JSON, content_type='application/json')
            answers[(method, path)] = (response.status_code, response['Content-Type'], response.json())

        assert answers == {key: (400, 'application/json', {'detail': 'JSON parse error - the document is nested too deeply.'})
                           for key in answers}

    def test_json_nested_within_the_limit_still_parses(self, api_client, product):
        response = api_client.post(f'/store/products/{product.pk}/reviews/',
                                   {'name': 'Ann', 'description': 'Nice', 'extra': [[[[['deep enough']]]]]}, format='json')

        assert response.status_code == 201


@pytest.mark.django_db
class TestBodySizeLimit:
    def test_a_body_over_the_limit_is_refused_with_413_json(self, api_client, settings):
        settings.MAX_REQUEST_BODY_BYTES = 1000

        response = api_client.post('/store/carts/', '{}', content_type='application/json', CONTENT_LENGTH='1001')

        assert response.status_code == 413
        assert response.json() == {'detail': 'Request body too large: the limit is 1000 bytes.'}

    def test_a_multipart_upload_over_the_limit_is_refused_before_it_is_parsed(self, api_client, authenticate, product,
                                                                             settings):
        settings.MAX_REQUEST_BODY_BYTES = 10_000
        authenticate(is_staff=True)
        image = SimpleUploadedFile('big.png', b'\x89PNG' + b'0' * 20_000, content_type='image/png')

        response = api_client.post(f'/store/products/{product.pk}/images/', {'image': image}, format='multipart')

        assert response.status_code == 413
        assert response.json()['detail'] == 'Request body too large: the limit is 10000 bytes.'
        assert product.images.count() == 0

    def test_a_body_at_the_limit_goes_through(self, api_client, settings):
        settings.MAX_REQUEST_BODY_BYTES = 2

        response = api_client.post('/store/carts/', '{}', content_type='application/json')

        assert response.status_code == 201

    def test_the_default_limit_is_django_s_upload_limit(self, settings):
        assert settings.MAX_REQUEST_BODY_BYTES == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440

    def test_a_malformed_content_length_is_a_400_json(self, api_client):
        response = api_client.post('/store/carts/', '{}', content_type='application/json', CONTENT_LENGTH='many')

        assert response.status_code == 400
        assert response.json() == {'detail': 'Malformed Content-Length header.'}
