import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from model_bakery import baker

from store.models import Customer

User = get_user_model()

USER_CHANGELIST_QUERY_BUDGET = 6

PASSWORD = 'Unguessable-Pass-4821'


def add_user_data(**overrides):
    data = {
        'username': 'jdoe',
        'password1': PASSWORD,
        'password2': PASSWORD,
        'email': 'jdoe@example.com',
        'first_name': 'John',
        'last_name': 'Doe',
        '_save': 'Save',
    }
    data.update(overrides)
    return data


def rendered_field_names(response):
    return [
        admin_field.field.name
        for fieldset in response.context['adminform']
        for line in fieldset
        for admin_field in line
    ]


@pytest.mark.django_db
class TestUserAdminPagesForSuperuser:
    def test_changelist_returns_200(self, admin_client):
        baker.make(User)

        response = admin_client.get(reverse('admin:core_user_changelist'))

        assert response.status_code == 200

    def test_add_form_returns_200(self, admin_client):
        response = admin_client.get(reverse('admin:core_user_add'))

        assert response.status_code == 200

    def test_change_form_returns_200(self, admin_client):
        user = baker.make(User)

        response = admin_client.get(reverse('admin:core_user_change', args=[user.id]))

        assert response.status_code == 200


@pytest.mark.django_db
class TestUserAdminPagesForAnonymous:
    def test_changelist_redirects_to_login(self, client):
        url = reverse('admin:core_user_changelist')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    def test_add_form_redirects_to_login(self, client):
        url = reverse('admin:core_user_add')

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"

    def test_change_form_redirects_to_login(self, client):
        url = reverse('admin:core_user_change', args=[baker.make(User).id])

        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.django_db
class TestUserChangelistQueryCount:
    def test_query_count_is_constant_in_the_number_of_users(self, admin_client, django_assert_max_num_queries):
        url = reverse('admin:core_user_changelist')
        admin_client.get(url)
        with django_assert_max_num_queries(USER_CHANGELIST_QUERY_BUDGET):
            assert admin_client.get(url).status_code == 200
        for _ in range(10):
            baker.make(User)

        with django_assert_max_num_queries(USER_CHANGELIST_QUERY_BUDGET):
            response = admin_client.get(url)

        assert response.status_code == 200
        assert len(response.context['cl'].result_list) == 11


@pytest.mark.django_db
class TestUserAddForm:
    def test_has_username_password_email_and_name_fields(self, admin_client):
        response = admin_client.get(reverse('admin:core_user_add'))

        assert rendered_field_names(response) == [
            'username', 'password1', 'password2', 'email', 'first_name', 'last_name']

    def test_creates_the_user(self, admin_client):
        response = admin_client.post(reverse('admin:core_user_add'), add_user_data())

        user = User.objects.get(username='jdoe')
        assert response.status_code == 302
        assert response.url == reverse('admin:core_user_change', args=[user.id])
        assert (user.email, user.first_name, user.last_name) == ('jdoe@example.com', 'John', 'Doe')
        assert user.check_password(PASSWORD)

    def test_creates_a_customer_for_the_new_user(self, admin_client):
        admin_client.post(reverse('admin:core_user_add'), add_user_data())

        assert Customer.objects.filter(user__username='jdoe').count() == 1

    def test_rejects_a_duplicate_email(self, admin_client):
        baker.make(User, username='existing', email='taken@example.com')

        response = admin_client.post(
            reverse('admin:core_user_add'), add_user_data(email='taken@example.com'))

        assert response.status_code == 200
        assert response.context['adminform'].form.errors == {'email': ['User with this Email already exists.']}
        assert not User.objects.filter(username='jdoe').exists()

    def test_rejects_an_email_differing_only_in_case(self, admin_client):
        baker.make(User, username='existing', email='taken@example.com')

        response = admin_client.post(reverse('admin:core_user_add'), add_user_data(email='TAKEN@Example.com'))

        assert response.status_code == 200
        assert response.context['adminform'].form.errors == {'email': ['User with this Email already exists.']}


@pytest.mark.django_db
class TestUserChangeFormEmailCase:
    def test_rejects_an_email_differing_only_in_case(self, admin_client):
        baker.make(User, username='existing', email='taken@example.com')
        user = User.objects.create_user(username='jdoe', email='jdoe@example.com', password=PASSWORD)
        response = admin_client.get(reverse('admin:core_user_change', args=[user.pk]))
        data = {name: value for name, value in response.context['adminform'].form.initial.items()
                if name in ('username', 'email', 'first_name', 'last_name', 'is_active')}
        data.update({'email': 'Taken@example.com', 'date_joined_0': '2026-01-01', 'date_joined_1': '00:00:00'})

        response = admin_client.post(reverse('admin:core_user_change', args=[user.pk]), data)

        assert response.status_code == 200
        assert response.context['adminform'].form.errors == {'email': ['User with this Email already exists.']}


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username='boss', email='boss@example.com', password=PASSWORD,
                                                 is_staff=True)


@pytest.fixture
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def admin_login(client, address, password=PASSWORD, username='boss'):
    return client.post(reverse('admin:login'), {'username': username, 'password': password, 'next': '/admin/'},
                       REMOTE_ADDR=address)


@pytest.mark.django_db
@pytest.mark.usefixtures('failure_limit')
class TestAdminLoginLockout:
    def test_admin_login_locks_out_the_username_and_address_pair_after_the_failure_limit(self, client, staff):
        failures = [admin_login(client, '10.1.0.1', password=f'guess-{n}').status_code for n in range(3)]

        locked = admin_login(client, '10.1.0.1')

        assert failures == [200, 200, 429]  # the form again, with its error; the failure that hits the limit locks
        assert locked.status_code == 429
        assert '_auth_user_id' not in client.session

    def test_the_account_still_logs_in_from_another_address(self, client, staff):
        for n in range(3):
            admin_login(client, '10.1.0.1', password=f'guess-{n}')

        response = admin_login(client, '10.1.0.2')

        assert response.status_code == 302
        assert response.url == '/admin/'

    def test_other_accounts_still_log_in_from_the_locked_address(self, client, staff, django_user_model):
        django_user_model.objects.create_user(username='clerk', password=PASSWORD, is_staff=True,
                                              email='clerk@example.com')
        for n in range(3):
            admin_login(client, '10.1.0.1', password=f'guess-{n}')

        assert admin_login(client, '10.1.0.1', username='clerk').status_code == 302

    def test_a_success_before_the_limit_resets_the_count(self, client, staff):
        for n in range(2):
            admin_login(client, '10.1.0.1', password=f'guess-{n}')
        assert admin_login(client, '10.1.0.1').status_code == 302
        client.logout()

        statuses = [admin_login(client, '10.1.0.1', password=f'again-{n}').status_code for n in range(2)]

        assert statuses == [200, 200]
        assert admin_login(client, '10.1.0.1').status_code == 302

    def test_api_login_of_a_locked_out_pair_is_429_json(self, api_client, staff):
        for n in range(3):
            admin_login(api_client, '10.1.0.1', password=f'guess-{n}')

        response = api_client.post('/auth/jwt/create/', {'username': 'boss', 'password': PASSWORD}, format='json',
                                   REMOTE_ADDR='10.1.0.1')

        assert response.status_code == 429
        assert response.json()['detail'] == ('Too many failed logins for this account from your address. '
                                             'Expected available in 1800 seconds.')
        assert int(response['Retry-After']) == 30 * 60
