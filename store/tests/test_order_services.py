"""The order services, called directly: place_order, update_order, cancel_order, delete_order and lock_products.

Placing an order checks every cart line against inventory under row locks, decrements the stock,
snapshots the prices and deletes the cart, all in one transaction (DECISIONS §4); cancelling or
deleting an order gives its stock back, once.
"""
from decimal import Decimal
from uuid import UUID

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from store import services
from store.models import Cart, CartItem, Collection, Order, OrderItem, Product
from store.tests.factories import inventory, make_cart, make_product

# SAVEPOINT; lock the cart; read its lines; lock their products; read their promotions; INSERT the order; INSERT its items
# (one bulk insert); UPDATE the inventories (one bulk update); delete the cart (select it, delete its
# items, delete it); INSERT the "placed" event; RELEASE SAVEPOINT. The same for 1 line as for 50.
PLACE_ORDER_QUERIES = 13

UNKNOWN_CART_ID = UUID('2c9b1a64-6f3e-4d4b-9a1e-5b0c7d8e9f10')


def out_of_stock(available, title):
    return f'Only {available} units of "{title}" are available.'


@pytest.fixture
def customer(make_customer):
    return make_customer()


@pytest.mark.django_db
class TestPlaceOrder:
    def test_returns_the_new_order_and_created_true(self, customer, mug):
        cart = make_cart((mug, 2))

        order, created = services.place_order(customer=customer, cart_id=cart.pk)

        assert created is True
        assert Order.objects.get() == order
        assert (order.customer, order.payment_status, order.cancelled_at) == (customer, 'P', None)
        assert order.cart_id == cart.pk

    def test_copies_every_line_with_the_products_current_price(self, customer, mug, tea):
        cart = make_cart((mug, 2), (tea, 3))

        order, _ = services.place_order(customer=customer, cart_id=cart.pk)

        assert sorted(order.items.values_list('product_id', 'quantity', 'unit_price')) == sorted([
            (mug.pk, 2, Decimal('8.99')), (tea.pk, 3, Decimal('4.50'))])

    def test_decrements_the_inventory_of_every_product(self, customer, mug, tea):
        cart = make_cart((mug, 2), (tea, 3))

        services.place_order(customer=customer, cart_id=cart.pk)

        assert (inventory(mug), inventory(tea)) == (8, 17)

    def test_ordering_the_whole_stock_leaves_zero(self, customer, mug):
        cart = make_cart((mug, 10))

        services.place_order(customer=customer, cart_id=cart.pk)

        assert inventory(mug) == 0

    def test_deletes_the_cart_and_its_items(self, customer, mug, tea):
        cart = make_cart((mug, 2), (tea, 3))
        other_cart = make_cart((mug, 1))

        services.place_order(customer=customer, cart_id=cart.pk)

        assert list(Cart.objects.all()) == [other_cart]
        assert list(CartItem.objects.values_list('cart_id', flat=True)) == [other_cart.pk]

    def test_later_price_changes_do_not_change_the_order(self, customer, mug):
        order, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 1)).pk)

        Product.objects.filter(pk=mug.pk).update(unit_price=Decimal('99.00'))

        assert OrderItem.objects.get(order=order).unit_price == Decimal('8.99')

    def test_accepts_the_cart_id_as_a_string(self, customer, mug):
        cart = make_cart((mug, 1))

        order, created = services.place_order(customer=customer, cart_id=str(cart.pk))

        assert created is True
        assert order.items.get().product == mug

    def test_sends_order_created_once_after_commit(self, customer, mug, order_created_calls,
                                                   django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            order, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 1)).pk)
        assert order_created_calls == []  # not before the commit

        for callback in callbacks:
            callback()

        assert order_created_calls == [order.pk]

    def test_places_with_the_same_number_of_queries_for_1_and_50_lines(self, customer, django_assert_num_queries):
        collection = baker.make(Collection)
        for lines in (1, 50):
            products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=100,
                                  _quantity=lines)
            cart = make_cart(*((product, 2) for product in products))

            with django_assert_num_queries(PLACE_ORDER_QUERIES):
                order, _ = services.place_order(customer=customer, cart_id=cart.pk)

            assert order.items.count() == lines
            assert {inventory(product) for product in products} == {98}

    def test_locks_the_cart_and_the_products(self, customer, mug, tea):
        if not connection.features.has_select_for_update:
            pytest.skip(f'{connection.vendor} has no SELECT ... FOR UPDATE (it locks the whole database)')
        cart = make_cart((mug, 1), (tea, 1))

        with CaptureQueriesContext(connection) as queries:
            services.place_order(customer=customer, cart_id=cart.pk)

        locking = [query['sql'] for query in queries if 'FOR UPDATE' in query['sql']]
        assert len(locking) == 2
        assert Cart._meta.db_table in locking[0] and Product._meta.db_table in locking[1]


@pytest.mark.django_db
class TestPlaceOrderRefused:
    def assert_nothing_written(self, cart, lines, inventories):
        assert not Order.objects.exists() and not OrderItem.objects.exists()
        assert Cart.objects.filter(pk=cart.pk).exists()
        assert sorted(CartItem.objects.filter(cart=cart).values_list('product_id', 'quantity')) == sorted(
            (product.pk, quantity) for product, quantity in lines)
        assert {product.pk: inventory(product) for product, _ in lines} == inventories

    def test_short_stock_raises_insufficient_stock_listing_every_short_product(self, customer, mug, tea):
        plenty = make_product(title='Spoon', inventory=100)
        cart = make_cart((mug, 11), (plenty, 1), (tea, 25))

        with pytest.raises(services.InsufficientStock) as error:
            services.place_order(customer=customer, cart_id=cart.pk)

        shortages = {shortage.product.pk: shortage.available for shortage in error.value.shortages}
        assert shortages == {mug.pk: 10, tea.pk: 20}
        assert sorted(str(shortage) for shortage in error.value.shortages) == [
            out_of_stock(10, 'Coffee Mug'), out_of_stock(20, 'Green Tea')]

    def test_short_stock_writes_nothing(self, customer, mug, tea):
        lines = [(mug, 2), (tea, 21)]
        cart = make_cart(*lines)

        with pytest.raises(services.InsufficientStock):
            services.place_order(customer=customer, cart_id=cart.pk)

        self.assert_nothing_written(cart, lines, {mug.pk: 10, tea.pk: 20})

    def test_a_product_sold_out_since_it_was_added_is_short(self, customer, mug):
        cart = make_cart((mug, 1))
        Product.objects.filter(pk=mug.pk).update(inventory=0)

        with pytest.raises(services.InsufficientStock) as error:
            services.place_order(customer=customer, cart_id=cart.pk)

        assert [str(shortage) for shortage in error.value.shortages] == [out_of_stock(0, 'Coffee Mug')]

    def test_short_stock_sends_no_signal(self, customer, mug, order_created_calls, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(services.InsufficientStock):
            services.place_order(customer=customer, cart_id=make_cart((mug, 11)).pk)

        assert callbacks == [] and order_created_calls == []

    def test_unknown_cart(self, customer):
        with pytest.raises(services.OrderError, match='^No cart with the given ID was found.$'):
            services.place_order(customer=customer, cart_id=UNKNOWN_CART_ID)
        assert not Order.objects.exists()

    def test_empty_cart_writes_nothing(self, customer):
        cart = make_cart()

        with pytest.raises(services.OrderError, match='^The cart is empty.$'):
            services.place_order(customer=customer, cart_id=cart.pk)

        self.assert_nothing_written(cart, [], {})

    def test_a_cart_is_ordered_only_once(self, customer, mug):
        cart = make_cart((mug, 2))
        services.place_order(customer=customer, cart_id=cart.pk)

        with pytest.raises(services.OrderError, match='^No cart with the given ID was found.$'):
            services.place_order(customer=customer, cart_id=cart.pk)

        assert Order.objects.count() == 1
        assert inventory(mug) == 8

    def test_another_customer_cannot_order_an_ordered_cart_either(self, customer, make_customer, mug):
        cart = make_cart((mug, 2))
        services.place_order(customer=customer, cart_id=cart.pk)

        with pytest.raises(services.OrderError, match='^No cart with the given ID was found.$'):
            services.place_order(customer=make_customer(), cart_id=cart.pk)


@pytest.mark.django_db
class TestPlaceOrderIdempotency:
    def test_stores_the_key_on_the_order(self, customer, mug):
        order, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 1)).pk, idempotency_key='k-1')

        assert Order.objects.get(pk=order.pk).idempotency_key == 'k-1'

    def test_an_empty_key_is_no_key(self, customer, mug):
        order, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 1)).pk, idempotency_key='')

        assert Order.objects.get(pk=order.pk).idempotency_key is None

    def test_retry_with_the_same_key_and_cart_returns_the_original_order_and_writes_nothing(
            self, customer, mug, order_created_calls, django_capture_on_commit_callbacks):
        cart = make_cart((mug, 2))
        original, _ = services.place_order(customer=customer, cart_id=cart.pk, idempotency_key='k-1')

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            replayed, created = services.place_order(customer=customer, cart_id=cart.pk, idempotency_key='k-1')

        assert (replayed, created) == (original, False)
        assert Order.objects.count() == 1 and OrderItem.objects.count() == 1
        assert inventory(mug) == 8
        assert callbacks == [] and order_created_calls == []

    def test_retry_with_the_cart_id_as_a_string_is_a_replay_too(self, customer, mug):
        cart = make_cart((mug, 2))
        original, _ = services.place_order(customer=customer, cart_id=cart.pk, idempotency_key='k-1')

        replayed, created = services.place_order(customer=customer, cart_id=str(cart.pk), idempotency_key='k-1')

        assert (replayed, created) == (original, False)

    def test_the_same_key_for_another_cart_is_refused(self, customer, mug):
        services.place_order(customer=customer, cart_id=make_cart((mug, 2)).pk, idempotency_key='k-1')
        other_cart = make_cart((mug, 3))

        with pytest.raises(services.IdempotencyKeyReused):
            services.place_order(customer=customer, cart_id=other_cart.pk, idempotency_key='k-1')

        assert Order.objects.count() == 1
        assert inventory(mug) == 8
        assert other_cart.items.get().quantity == 3

    def test_keys_are_per_customer(self, customer, make_customer, mug):
        first, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 1)).pk, idempotency_key='k-1')

        second, created = services.place_order(customer=make_customer(), cart_id=make_cart((mug, 1)).pk,
                                               idempotency_key='k-1')

        assert created is True and second != first
        assert inventory(mug) == 8

    def test_a_new_key_for_an_ordered_cart_is_refused(self, customer, mug):
        cart = make_cart((mug, 1))
        services.place_order(customer=customer, cart_id=cart.pk, idempotency_key='k-1')

        with pytest.raises(services.OrderError, match='^No cart with the given ID was found.$'):
            services.place_order(customer=customer, cart_id=cart.pk, idempotency_key='k-2')


@pytest.fixture
def placed_order(customer, mug, tea):
    """An order for 2 mugs and 3 teas: inventories 8 and 17 afterwards."""
    order, _ = services.place_order(customer=customer, cart_id=make_cart((mug, 2), (tea, 3)).pk)
    return order


@pytest.mark.django_db
class TestCancelOrder:
    def test_sets_cancelled_at_and_keeps_the_rows(self, placed_order):
        cancelled = services.cancel_order(order=placed_order)

        assert cancelled.cancelled_at is not None
        assert Order.objects.get(pk=placed_order.pk).cancelled_at == cancelled.cancelled_at
        assert placed_order.items.count() == 2

    def test_returns_the_stock(self, placed_order, mug, tea):
        services.cancel_order(order=placed_order)

        assert (inventory(mug), inventory(tea)) == (10, 20)

    def test_adds_to_the_current_inventory_not_a_stale_one(self, placed_order, mug):
        Product.objects.filter(pk=mug.pk).update(inventory=50)  # restocked by staff meanwhile

        services.cancel_order(order=placed_order)

        assert inventory(mug) == 52

    def test_cancelling_twice_is_refused_and_returns_the_stock_once(self, placed_order, mug):
        services.cancel_order(order=placed_order)

        with pytest.raises(services.OrderError, match='^This order is already cancelled.$'):
            services.cancel_order(order=placed_order)

        assert inventory(mug) == 10

    def test_a_stale_instance_of_a_cancelled_order_is_refused(self, placed_order, mug):
        services.cancel_order(order=Order.objects.get(pk=placed_order.pk))
        assert placed_order.cancelled_at is None  # this instance does not know

        with pytest.raises(services.OrderError):
            services.cancel_order(order=placed_order)

        assert inventory(mug) == 10

    def test_any_payment_status_can_be_cancelled_by_the_service(self, placed_order, mug):
        Order.objects.filter(pk=placed_order.pk).update(payment_status=Order.PAYMENT_STATUS_COMPLETE)

        services.cancel_order(order=placed_order)

        assert inventory(mug) == 10


@pytest.mark.django_db
class TestUpdateOrder:
    def test_sets_the_payment_status(self, placed_order):
        updated = services.update_order(order=placed_order, payment_status=Order.PAYMENT_STATUS_COMPLETE)

        assert updated.payment_status == Order.PAYMENT_STATUS_COMPLETE
        assert Order.objects.get(pk=placed_order.pk).payment_status == Order.PAYMENT_STATUS_COMPLETE

    def test_a_cancelled_order_cannot_be_marked_paid(self, placed_order):
        services.cancel_order(order=placed_order)

        with pytest.raises(services.CancelledOrderCannotBePaid):
            services.update_order(order=placed_order, payment_status=Order.PAYMENT_STATUS_COMPLETE)

        assert Order.objects.get(pk=placed_order.pk).payment_status == Order.PAYMENT_STATUS_PENDING

    def test_a_cancelled_order_can_be_marked_failed(self, placed_order):
        services.cancel_order(order=placed_order)

        services.update_order(order=placed_order, payment_status=Order.PAYMENT_STATUS_FAILED)

        assert Order.objects.get(pk=placed_order.pk).payment_status == Order.PAYMENT_STATUS_FAILED


@pytest.mark.django_db
class TestVanishedOrder:
    """An order deleted since the caller read it (by a concurrent request): RowNotFound, nothing written."""

    @pytest.fixture
    def vanished_order(self, placed_order):
        Order.objects.get(pk=placed_order.pk).items.all().delete()
        Order.objects.filter(pk=placed_order.pk).delete()
        return placed_order

    def test_a_deleted_order_is_not_resurrected_by_a_payment_update(self, vanished_order):
        with pytest.raises(services.RowNotFound, match='^No Order matches the given query.$'):
            services.update_order(order=vanished_order, payment_status=Order.PAYMENT_STATUS_COMPLETE)

        assert not Order.objects.exists()

    def test_cancelling_a_deleted_order_is_row_not_found(self, vanished_order, mug):
        with pytest.raises(services.RowNotFound):
            services.cancel_order(order=vanished_order)

        assert not Order.objects.exists() and inventory(mug) == 8

    def test_deleting_a_deleted_order_is_row_not_found(self, vanished_order, mug):
        with pytest.raises(services.RowNotFound):
            services.delete_order(order=vanished_order)

        assert inventory(mug) == 8


@pytest.mark.django_db
class TestDeleteOrder:
    def test_deletes_the_order_and_its_items(self, placed_order):
        other, _ = services.place_order(customer=placed_order.customer, cart_id=make_cart((make_product(), 1)).pk)

        services.delete_order(order=placed_order)

        assert list(Order.objects.all()) == [other]
        assert list(OrderItem.objects.values_list('order_id', flat=True)) == [other.pk]

    def test_returns_the_stock(self, placed_order, mug, tea):
        services.delete_order(order=placed_order)

        assert (inventory(mug), inventory(tea)) == (10, 20)

    def test_a_cancelled_order_does_not_return_its_stock_twice(self, placed_order, mug, tea):
        services.cancel_order(order=placed_order)

        services.delete_order(order=placed_order)

        assert not Order.objects.exists()
        assert (inventory(mug), inventory(tea)) == (10, 20)

    def test_a_stale_instance_of_a_cancelled_order_does_not_return_the_stock_twice(self, placed_order, mug):
        services.cancel_order(order=Order.objects.get(pk=placed_order.pk))

        services.delete_order(order=placed_order)

        assert inventory(mug) == 10

    def test_the_products_can_be_deleted_afterwards(self, placed_order, mug):
        services.delete_order(order=placed_order)

        mug.delete()

        assert not Product.objects.filter(pk=mug.pk).exists()


@pytest.mark.django_db
class TestLockProducts:
    def test_returns_the_products_by_primary_key_in_key_order(self):
        collection = baker.make(Collection)
        products = baker.make(Product, collection=collection, unit_price=Decimal('5.00'), inventory=1, _quantity=4)
        wanted = [products[3].pk, products[0].pk, products[2].pk]

        locked = services.lock_products(wanted)

        assert list(locked) == sorted(wanted)
        assert all(locked[pk].pk == pk for pk in wanted)

    def test_unknown_ids_are_left_out(self, mug):
        assert list(services.lock_products([mug.pk, mug.pk + 1000])) == [mug.pk]
