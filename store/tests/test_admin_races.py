"""The admin's change forms never re-create a row deleted meanwhile, and refuse to mark a cancelled order
paid (issue 14, items 6 and 7, in the admin)."""
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from store.admin import ProductAdmin
from store.models import Collection, Customer, Order, Product

from .concurrency_helpers import SKIP_ON_SQLITE_REASON, run_workers
from .factories import make_product
from .orders_helpers import make_order

ROUNDS = 15
EDITORS = 7


@pytest.mark.django_db
def test_a_cancelled_order_cannot_be_marked_paid_in_the_admin(admin_client):
    customer = Customer.objects.get(user=baker.make(get_user_model()))  # made with the user
    order = make_order(customer, (make_product(), 2))
    Order.objects.filter(pk=order.pk).update(cancelled_at=timezone.now())
    line = order.items.get()

    response = admin_client.post(reverse('admin:store_order_change', args=[order.id]), {
        'customer': str(order.customer_id),
        'payment_status': Order.PAYMENT_STATUS_COMPLETE,
        'items-TOTAL_FORMS': '1', 'items-INITIAL_FORMS': '1', 'items-MIN_NUM_FORMS': '1', 'items-MAX_NUM_FORMS': '10',
        'items-0-id': str(line.id), 'items-0-order': str(order.id), 'items-0-product': str(line.product_id),
        'items-0-quantity': str(line.quantity), 'items-0-unit_price': str(line.unit_price),
        'payments-TOTAL_FORMS': '0', 'payments-INITIAL_FORMS': '0',
        'events-TOTAL_FORMS': '0', 'events-INITIAL_FORMS': '0',
        '_save': 'Save',
    })

    assert response.status_code == 200
    assert response.context['adminform'].form.errors == {
        'payment_status': ['A cancelled order cannot be marked as paid: its stock has been returned.']}
    order.refresh_from_db()
    assert order.payment_status == Order.PAYMENT_STATUS_PENDING


@pytest.mark.django_db
def test_a_change_form_saved_after_its_row_was_deleted_does_not_re_create_it(admin_client):
    collection = baker.make(Collection, title='Mugs')
    url = reverse('admin:store_collection_change', args=[collection.pk])
    Collection.objects.filter(pk=collection.pk).delete()

    response = admin_client.post(url, {'title': 'Mugs, edited', '_save': 'Save'}, follow=True)

    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()
    assert not Collection.objects.exists()


@pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON)
@pytest.mark.django_db(transaction=True)
def test_a_deleted_collection_is_not_resurrected_by_concurrent_admin_edits():
    staff = get_user_model().objects.create_superuser('editor', 'editor@example.com', 'Quartz-Lantern-9817')

    def editor(url):
        def edit():
            client = Client(raise_request_exception=False)
            client.force_login(staff)
            return client.post(url, {'title': 'Mugs, edited', '_save': 'Save'}).status_code
        return edit

    for round_number in range(ROUNDS):
        collection = Collection.objects.create(title='Mugs')
        url = reverse('admin:store_collection_change', args=[collection.pk])

        def delete(pk=collection.pk, delay=round_number * 0.004):
            # Later each round, sweeping the editors' requests: some have read the row, not yet saved it.
            time.sleep(delay)
            return Collection.objects.filter(pk=pk).delete()[0]

        deleted, *edits = run_workers([delete] + [editor(url)] * EDITORS)

        assert deleted == 1
        assert all(status == 302 for status in edits), edits
        assert not Collection.objects.filter(pk=collection.pk).exists()


def changelist_edit(product, unit_price):
    """The product changelist's POST that saves its editable unit price for one row."""
    return {'form-TOTAL_FORMS': '1', 'form-INITIAL_FORMS': '1', 'form-MIN_NUM_FORMS': '0',
            'form-MAX_NUM_FORMS': '1000', 'form-0-id': str(product.pk), 'form-0-unit_price': unit_price,
            '_save': 'Save'}


@pytest.mark.django_db
def test_a_changelist_edit_saves_the_editable_field(admin_client):
    product = make_product(unit_price='10.00')

    response = admin_client.post(reverse('admin:store_product_changelist'), changelist_edit(product, '12.50'))

    assert response.status_code == 302
    product.refresh_from_db()
    assert str(product.unit_price) == '12.50'


@pytest.mark.django_db
def test_a_changelist_edit_of_a_row_deleted_after_it_was_read_does_not_re_create_it(admin_client, monkeypatch):
    product = make_product(unit_price='10.00')
    save_form = ProductAdmin.save_form

    def save_form_after_a_delete(self, request, form, change):
        # The delete lands between the formset's read of the row and its save: the race, made certain.
        Product.objects.filter(pk=product.pk).delete()
        return save_form(self, request, form, change)
    monkeypatch.setattr(ProductAdmin, 'save_form', save_form_after_a_delete)

    response = admin_client.post(reverse('admin:store_product_changelist'), changelist_edit(product, '12.50'),
                                 follow=True)

    assert response.status_code == 200
    assert 'was deleted meanwhile: its change was not saved.' in response.content.decode()
    assert not Product.objects.filter(pk=product.pk).exists()


@pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON)
@pytest.mark.django_db(transaction=True)
def test_a_deleted_product_is_not_resurrected_by_concurrent_changelist_edits():
    staff = get_user_model().objects.create_superuser('editor', 'editor@example.com', 'Quartz-Lantern-9817')
    url = reverse('admin:store_product_changelist')

    def editor(product):
        def edit():
            client = Client(raise_request_exception=False)
            client.force_login(staff)
            return client.post(url, changelist_edit(product, '12.50')).status_code
        return edit

    for round_number in range(ROUNDS):
        product = make_product(unit_price='10.00')

        def delete(pk=product.pk, delay=round_number * 0.004):
            time.sleep(delay)
            return Product.objects.filter(pk=pk).delete()[0]

        deleted, *edits = run_workers([delete] + [editor(product)] * EDITORS)

        assert deleted >= 1
        # An editor that read the row after the delete gets the formset's error page (200), never a 5xx.
        assert all(status in (200, 302) for status in edits), edits
        assert not Product.objects.filter(pk=product.pk).exists()
