"""Every error under /store/, /auth/, /healthz/ and /api/ is JSON, including those Django gives before
any view (a bad Host, too many fields, CSRF); the admin and other pages keep Django's HTML."""
import pytest
from django.test import Client, RequestFactory

from core.views import csrf_failure


@pytest.mark.django_db
class TestJsonErrors:
    def test_post_to_healthz_is_a_405_json_not_a_csrf_page(self):
        response = Client(enforce_csrf_checks=True).post('/healthz/')

        assert response.status_code == 405
        assert response['Content-Type'] == 'application/json'
        assert response.json() == {'detail': 'Method "POST" not allowed.'}
        assert response['Allow'] == 'GET, HEAD'

    @pytest.mark.parametrize('method', ['get', 'head'])
    def test_healthz_still_answers_reads(self, method):
        assert getattr(Client(), method)('/healthz/').status_code == 200

    @pytest.mark.parametrize('path', ['/store/products/', '/auth/users/', '/healthz/', '/api/schema/'])
    def test_a_bad_host_header_is_a_400_json(self, path):
        response = Client().get(path, HTTP_HOST='attacker.example')

        assert response.status_code == 400
        assert response['Content-Type'] == 'application/json'
        assert response.json() == {'detail': 'Bad request.'}

    def test_a_bad_host_header_on_the_admin_keeps_django_s_page(self):
        response = Client().get('/admin/', HTTP_HOST='attacker.example')

        assert response.status_code == 400
        assert response['Content-Type'].startswith('text/html')

    def test_too_many_form_fields_is_a_400_json(self, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
        body = '&'.join(f'field{n}=x' for n in range(11))

        response = Client().post('/store/carts/', body, content_type='application/x-www-form-urlencoded')

        assert response.status_code == 400
        assert response.json() == {'detail': 'Bad request.'}

    def test_an_unknown_api_path_is_a_404_json(self):
        response = Client().get('/api/no-such-thing/')

        assert response.status_code == 404
        assert response.json() == {'detail': 'Not found.'}

    def test_a_csrf_failure_on_the_api_is_json(self):
        response = csrf_failure(RequestFactory().post('/auth/users/'), reason='CSRF cookie not set.')

        assert response.status_code == 403
        assert response['Content-Type'] == 'application/json'
        assert response.content == b'{"detail": "CSRF Failed: CSRF cookie not set."}'

    def test_a_csrf_failure_on_the_admin_keeps_django_s_page(self):
        response = Client(enforce_csrf_checks=True).post('/admin/login/', {'username': 'a', 'password': 'b'})

        assert response.status_code == 403
        assert response['Content-Type'].startswith('text/html')
