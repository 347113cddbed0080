"""Inputs the schemathesis fuzzing run found to crash the API once; each must stay a clean 4xx/2xx."""
import pytest


@pytest.mark.django_db
class TestOptionsOnMeRoutes:
    @pytest.mark.parametrize('url', ['/auth/users/me/', '/store/customers/me/'])
    def test_options_describes_the_route(self, api_client, authenticate, url):
        authenticate()
        response = api_client.options(url)
        assert response.status_code == 200
        assert 'PUT' in response.data['actions']

    @pytest.mark.parametrize('url', ['/auth/users/me/', '/store/customers/me/'])
    def test_options_as_anonymous_is_not_an_error(self, api_client, url):
        response = api_client.options(url)
        assert response.status_code in (200, 401)


@pytest.mark.django_db
class TestUidOfTheWrongType:
    @pytest.mark.parametrize('url, extra', [
        ('/auth/users/activation/', {}),
        ('/auth/users/reset_password_confirm/', {'new_password': 'Quartz-Lantern-9817'}),
        ('/auth/users/reset_username_confirm/', {'new_username': 'someone'}),
    ])
    @pytest.mark.parametrize('uid', [0, 12345, None, ['x'], {'a': 1}])
    def test_is_a_400_naming_the_uid(self, api_client, url, extra, uid):
        response = api_client.post(url, {'uid': uid, 'token': 'abc', **extra}, format='json')
        assert response.status_code == 400
        assert 'uid' in response.data

    def test_an_empty_body_is_a_400(self, api_client):
        response = api_client.post('/auth/users/reset_username_confirm/', {}, format='json')
        assert response.status_code == 400
        assert response.json() == {'new_username': ['This field is required.']}


@pytest.mark.django_db
class TestResendActivationWhenActivationIsOff:
    def test_is_a_json_400(self, api_client):
        response = api_client.post('/auth/users/resend_activation/', {'email': 'a@example.com'}, format='json')
        assert response.status_code == 400
        assert response.json() == {'detail': 'Account activation is not required here.'}


@pytest.mark.django_db
def test_username_reset_sends_its_link(api_client, django_user_model, mailoutbox, django_capture_on_commit_callbacks,
                                       eager_tasks):
    django_user_model.objects.create_user(username='ann', email='ann@example.com', password='Quartz-Lantern-9817')
    with django_capture_on_commit_callbacks(execute=True):  # account e-mails are queued after the commit
        response = api_client.post('/auth/users/reset_username/', {'email': 'ann@example.com'}, format='json')
    assert response.status_code == 204
    assert len(mailoutbox) == 1 and 'username-reset/' in mailoutbox[0].body
