"""The "Customer Service" group that migrations store.0002 and 0004 set up (course-part3 §11).

It manages customers and orders and views customer history; its staff members use the history endpoint.
"""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from model_bakery import baker
from rest_framework import status

from store.models import Order, OrderItem, Product

GROUP_NAME = 'Customer Service'
EXPECTED_PERMISSIONS = {
    ('customer', 'view_customer'), ('customer', 'add_customer'),
    ('customer', 'change_customer'), ('customer', 'delete_customer'),
    ('order', 'view_order'), ('order', 'add_order'), ('order', 'change_order'), ('order', 'delete_order'),
    ('customer', 'view_history'),
    # store.0004: the lines of those orders, and the products put on them.
    ('orderitem', 'view_orderitem'), ('orderitem', 'add_orderitem'),
    ('orderitem', 'change_orderitem'), ('orderitem', 'delete_orderitem'),
    ('product', 'view_product'),
}


@pytest.fixture
def customer_service():
    return Group.objects.get(name=GROUP_NAME)


@pytest.mark.django_db
class TestCustomerServiceGroup:
    def test_the_migration_created_exactly_one(self):
        assert Group.objects.filter(name=GROUP_NAME).count() == 1

    def test_has_exactly_the_customer_and_order_permissions_and_view_history(self, customer_service):
        permissions = customer_service.permissions.select_related('content_type')

        assert {permission.content_type.app_label for permission in permissions} == {'store'}
        assert {(permission.content_type.model, permission.codename) for permission in permissions} == \
            EXPECTED_PERMISSIONS

    def test_members_hold_those_permissions_and_no_others(self, customer_service, django_user_model):
        member = baker.make(django_user_model, is_staff=True)
        member.groups.add(customer_service)

        assert member.get_all_permissions() == {f'store.{codename}' for _, codename in EXPECTED_PERMISSIONS}
        assert not member.has_perm('store.cancel_order')
        assert not member.has_perm('store.change_product')


@pytest.mark.django_db
class TestCustomerServiceStaffMember:
    def test_uses_the_customer_history_endpoint(self, api_client, authenticate, make_customer, customer_service):
        customer = make_customer()
        order = Order.objects.create(customer=customer)
        product = baker.make(Product, unit_price=Decimal('10.00'), inventory=5)
        OrderItem.objects.create(order=order, product=product, quantity=2, unit_price=Decimal('10.00'))
        authenticate(is_staff=True).groups.add(customer_service)

        response = api_client.get(f'/store/customers/{customer.id}/history/')

        assert response.status_code == status.HTTP_200_OK
        assert [(o['id'], o['customer'], len(o['items'])) for o in response.data] == [(order.id, customer.id, 1)]
        assert response.data[0]['items'][0]['product'] == {'id': product.id, 'title': product.title,
                                                           'unit_price': 10.0}

    def test_leaving_the_group_loses_the_history(self, api_client, authenticate, make_customer, customer_service,
                                                 django_user_model):
        customer = make_customer()
        member = authenticate(is_staff=True)
        member.groups.add(customer_service)
        member.groups.remove(customer_service)
        api_client.force_authenticate(user=django_user_model.objects.get(pk=member.pk))

        response = api_client.get(f'/store/customers/{customer.id}/history/')

        assert response.status_code == status.HTTP_403_FORBIDDEN
