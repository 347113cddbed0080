import importlib

import pytest
from django.core import serializers

from store.models import Customer


@pytest.mark.django_db
class TestCustomerForNewUser:
    def test_creating_a_user_creates_their_customer(self, django_user_model):
        user = django_user_model.objects.create_user(username='joe', email='joe@example.com', password='x')
        customer = Customer.objects.get(user=user)
        assert (customer.phone, customer.birth_date, customer.membership) == ('', None, Customer.MEMBERSHIP_BRONZE)

    def test_superusers_get_a_customer_too(self, django_user_model):
        user = django_user_model.objects.create_superuser(username='root', email='root@example.com', password='x')
        assert Customer.objects.filter(user=user).exists()

    def test_saving_an_existing_user_creates_no_second_customer(self, django_user_model):
        user = django_user_model.objects.create_user(username='joe', email='joe@example.com', password='x')
        user.first_name = 'Joe'
        user.save()
        assert Customer.objects.filter(user=user).count() == 1

    def test_loading_a_user_fixture_creates_no_customer(self, django_user_model):
        user = django_user_model.objects.create_user(username='joe', email='joe@example.com', password='x')
        data = serializers.serialize('json', [user])
        django_user_model.objects.all().delete()
        for obj in serializers.deserialize('json', data):
            obj.save()
        assert django_user_model.objects.filter(username='joe').exists()
        assert not Customer.objects.exists()


@pytest.mark.django_db
class TestProfilesForOlderUsers:
    """Migration store.0005 gives every user without a profile (from before the receiver) one."""

    def test_the_migration_creates_the_missing_profiles_only(self, django_user_model):
        from django.apps import apps
        create_missing_profiles = importlib.import_module(
            'store.migrations.0005_customer_for_every_user').create_missing_profiles
        old = django_user_model.objects.create_user(username='old', email='old@example.com', password='x')
        Customer.objects.filter(user=old).delete()
        current = django_user_model.objects.create_user(username='joe', email='joe@example.com', password='x')
        existing = Customer.objects.get(user=current)

        create_missing_profiles(apps, None)

        assert Customer.objects.filter(user=old).count() == 1
        assert list(Customer.objects.filter(user=current)) == [existing]
