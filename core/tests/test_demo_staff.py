import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command


@pytest.mark.django_db
class TestCreateDemoStaff:
    def test_creates_the_staff_login_when_missing(self, settings):
        settings.DEBUG = True

        call_command('create_demo_staff')

        user = get_user_model().objects.get(username='admin')
        assert user.is_staff and user.is_superuser and user.is_active
        assert user.check_password('admin')

    def test_a_second_run_keeps_the_password_the_staff_chose(self, settings):
        settings.DEBUG = True
        call_command('create_demo_staff')
        user = get_user_model().objects.get(username='admin')
        user.set_password('Chosen-by-staff-77')
        user.save()

        call_command('create_demo_staff')

        user.refresh_from_db()
        assert user.check_password('Chosen-by-staff-77')
        assert get_user_model().objects.filter(username='admin').count() == 1

    def test_refuses_to_run_with_debug_off(self, settings):
        settings.DEBUG = False

        with pytest.raises(CommandError, match='development only'):
            call_command('create_demo_staff')
        assert not get_user_model().objects.filter(username='admin').exists()
