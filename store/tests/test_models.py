from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from model_bakery import baker

from store.models import Cart, CartItem, Collection, Customer, Order, OrderItem, Product


def make_product(**fields):
    return baker.make(Product, **{'unit_price': Decimal('10.00'), 'inventory': 5, **fields})


# A check constraint refuses with IntegrityError; MySQL's UNSIGNED column (PositiveIntegerField) refuses a
# negative number first, with DataError ("out of range").
REFUSED = (IntegrityError, DataError)


def assert_rejected_by_database(create):
    with pytest.raises(REFUSED), transaction.atomic():
        create()


@pytest.mark.django_db
class TestProductConstraints:
    def test_negative_inventory_is_rejected_by_the_database(self):
        collection = baker.make(Collection)
        assert_rejected_by_database(lambda: Product.objects.create(
            title='a', slug='a', unit_price=Decimal('10.00'), inventory=-1, collection=collection))

    def test_inventory_cannot_be_updated_below_zero(self):
        product = make_product(inventory=3)
        with pytest.raises(REFUSED), transaction.atomic():
            Product.objects.filter(pk=product.pk).update(inventory=-1)
        product.refresh_from_db()
        assert product.inventory == 3

    def test_negative_unit_price_is_rejected_by_the_database(self):
        collection = baker.make(Collection)
        assert_rejected_by_database(lambda: Product.objects.create(
            title='a', slug='a', unit_price=Decimal('-0.01'), inventory=1, collection=collection))

    def test_inventory_is_a_positive_integer_field(self):
        assert Product._meta.get_field('inventory').get_internal_type() == 'PositiveIntegerField'

    def test_baker_makes_valid_products_every_time(self):
        products = [baker.make(Product) for _ in range(300)]
        assert Product.objects.count() == 300
        assert all(product.inventory >= 0 and product.unit_price >= 0 for product in products)

    def test_validation_rejects_negative_inventory_and_low_price(self):
        product = make_product()
        product.inventory = -1
        product.unit_price = Decimal('0.50')
        with pytest.raises(ValidationError) as error:
            product.full_clean()
        assert error.value.message_dict['unit_price'] == ['Ensure this value is greater than or equal to 1.']
        assert error.value.message_dict['inventory'] == ['Ensure this value is greater than or equal to 0.']

    def test_unit_price_allows_two_decimals_up_to_9999_99(self):
        product = make_product(unit_price=Decimal('9999.99'))
        product.refresh_from_db()
        assert product.unit_price == Decimal('9999.99')

    def test_collection_with_products_cannot_be_deleted(self):
        product = make_product()
        with pytest.raises(IntegrityError), transaction.atomic():
            product.collection.delete()
        assert Collection.objects.filter(pk=product.collection_id).exists()

    def test_deleting_the_featured_product_clears_it_on_the_collection(self):
        product = make_product()
        collection = product.collection
        collection.featured_product = product
        collection.save()
        product.delete()
        collection.refresh_from_db()
        assert collection.featured_product is None


@pytest.mark.django_db
class TestCartItemConstraints:
    def test_one_line_per_product_in_a_cart(self):
        cart = baker.make(Cart)
        product = make_product()
        CartItem.objects.create(cart=cart, product=product, quantity=1)
        assert_rejected_by_database(lambda: CartItem.objects.create(cart=cart, product=product, quantity=2))

    def test_same_product_may_be_in_two_carts(self):
        product = make_product()
        CartItem.objects.create(cart=baker.make(Cart), product=product, quantity=1)
        CartItem.objects.create(cart=baker.make(Cart), product=product, quantity=1)
        assert CartItem.objects.filter(product=product).count() == 2

    def test_quantity_zero_is_rejected_by_the_database(self):
        cart = baker.make(Cart)
        product = make_product()
        assert_rejected_by_database(lambda: CartItem.objects.create(cart=cart, product=product, quantity=0))

    def test_validation_rejects_quantity_zero(self):
        item = CartItem(cart=baker.make(Cart), product=make_product(), quantity=0)
        with pytest.raises(ValidationError) as error:
            item.full_clean()
        assert error.value.message_dict['quantity'] == ['Ensure this value is greater than or equal to 1.']

    def test_cart_ids_are_random_uuids_and_deleting_a_cart_deletes_its_items(self):
        first, second = baker.make(Cart, _quantity=2)
        assert first.id.version == 4 and first.id != second.id
        CartItem.objects.create(cart=first, product=make_product(), quantity=1)
        first.delete()
        assert not CartItem.objects.exists()


@pytest.mark.django_db
class TestOrderItemConstraints:
    def test_quantity_zero_is_rejected_by_the_database(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        product = make_product()
        assert_rejected_by_database(
            lambda: OrderItem.objects.create(order=order, product=product, quantity=0, unit_price=Decimal('5')))

    def test_negative_unit_price_is_rejected_by_the_database(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        product = make_product()
        assert_rejected_by_database(
            lambda: OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=Decimal('-0.5')))

    def test_one_line_per_product_in_an_order(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        product = make_product()
        OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=Decimal('5'))
        assert_rejected_by_database(
            lambda: OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=Decimal('5')))

    def test_ordered_product_cannot_be_deleted(self, make_customer):
        product = make_product()
        order = baker.make(Order, customer=make_customer())
        OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=Decimal('5'))
        with pytest.raises(IntegrityError), transaction.atomic():
            product.delete()
        assert Product.objects.filter(pk=product.pk).exists()

    def test_order_items_are_reachable_as_items(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        item = OrderItem.objects.create(order=order, product=make_product(), quantity=2, unit_price=Decimal('5'))
        assert list(order.items.all()) == [item]
        assert list(item.product.orderitems.all()) == [item]


@pytest.mark.django_db
class TestOrder:
    def test_new_order_is_pending(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        assert order.payment_status == Order.PAYMENT_STATUS_PENDING
        assert order.placed_at is not None

    def test_customer_with_orders_cannot_be_deleted(self, make_customer):
        order = baker.make(Order, customer=make_customer())
        with pytest.raises(IntegrityError), transaction.atomic():
            order.customer.delete()
        assert Customer.objects.filter(pk=order.customer_id).exists()


@pytest.mark.django_db
class TestCustomer:
    def test_names_come_from_the_user(self, django_user_model):
        user = baker.make(django_user_model, first_name='Ada', last_name='Lovelace')
        customer = Customer.objects.get(user=user)
        assert (customer.first_name(), customer.last_name(), str(customer)) == ('Ada', 'Lovelace', 'Ada Lovelace')
        assert customer.membership == Customer.MEMBERSHIP_BRONZE

    def test_a_customer_without_a_name_is_shown_by_username(self, django_user_model):
        user = baker.make(django_user_model, username='ada42', first_name='', last_name='')
        assert str(Customer.objects.get(user=user)) == 'ada42'

    def test_custom_permissions_exist(self):
        from django.contrib.auth.models import Permission
        codenames = set(Permission.objects.filter(content_type__app_label='store').values_list('codename', flat=True))
        assert {'view_history', 'cancel_order'} <= codenames
