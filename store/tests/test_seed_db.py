import io
import random
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from store.management.commands import seed_db
from store.models import Collection, Customer, Order, OrderItem, Product

# The store app must not import the tags app: its models are looked up by name.
Tag = apps.get_model('tags', 'Tag')
TaggedItem = apps.get_model('tags', 'TaggedItem')
User = get_user_model()

DEMO_USERNAMES = [username for username, *_ in seed_db.CUSTOMERS]


def run_seed():
    out = io.StringIO()
    call_command('seed_db', stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count()
            for model in (Collection, Product, User, Customer, Order, OrderItem, Tag, TaggedItem)}


def product_rows():
    return sorted(Product.objects.values_list(
        'slug', 'title', 'description', 'unit_price', 'inventory', 'collection__title'))


def order_item_rows():
    return sorted(OrderItem.objects.values_list(
        'order__customer__user__username', 'order__payment_status', 'product__slug', 'quantity', 'unit_price'))


def tagging_rows():
    slugs = dict(Product.objects.values_list('pk', 'slug'))
    content_type = ContentType.objects.get_for_model(Product)
    return sorted((label, slugs.get(object_id)) for label, object_id in TaggedItem.objects.filter(
        content_type=content_type).values_list('tag__label', 'object_id'))


def snapshot():
    return {
        'counts': counts(),
        'products': product_rows(),
        'collections': sorted(Collection.objects.values_list('title', 'featured_product__slug')),
        'users': sorted(User.objects.values_list('username', 'email', 'first_name', 'last_name')),
        'customers': sorted(Customer.objects.values_list('user__username', 'phone', 'birth_date', 'membership')),
        'order_items': order_item_rows(),
        'tagging': tagging_rows(),
    }


@pytest.mark.django_db
class TestSeedDb:
    def test_first_run_creates_the_demo_data(self):
        output = run_seed()

        assert output.startswith('Populating the database...')
        assert 'Created 10 collections, 1000 products, 5 users, 5 customers' in output
        assert Collection.objects.count() == 10
        assert Product.objects.filter(collection__title='Electronics').count() == 100
        assert Product.objects.count() == 1000
        assert Product.objects.values('slug').distinct().count() == 1000
        assert Product.objects.values('title').distinct().count() == 1000
        assert not Product.objects.filter(unit_price__lt=1).exists()
        assert not Product.objects.filter(inventory__lt=0).exists()
        assert not Product.objects.filter(inventory__gt=150).exists()
        assert Product.objects.filter(inventory__lt=10).exists()
        assert Collection.objects.exclude(featured_product=None).exists()
        assert Customer.objects.filter(user__username__in=DEMO_USERNAMES).count() == 5
        assert all(not user.has_usable_password() for user in User.objects.filter(username__in=DEMO_USERNAMES))
        assert Order.objects.count() > 0
        assert Order.objects.values('payment_status').distinct().count() > 1
        assert OrderItem.objects.count() > 0
        assert Tag.objects.count() == len(seed_db.TAG_LABELS)
        assert TaggedItem.objects.count() > 0
        assert set(TaggedItem.objects.values_list('object_id', flat=True)) <= set(
            Product.objects.values_list('pk', flat=True))

    def test_orders_are_realistic(self):
        run_seed()

        for customer in Customer.objects.filter(user__username__in=DEMO_USERNAMES):
            orders = Order.objects.filter(customer=customer)
            assert 1 <= orders.count() <= 3
            for order in orders:
                assert 1 <= order.items.count() <= 4

    def test_order_item_price_is_the_product_price(self):
        run_seed()

        items = OrderItem.objects.select_related('product')
        assert items.exists()
        assert all(item.unit_price == item.product.unit_price for item in items)

    def test_new_order_items_take_the_current_product_price(self):
        run_seed()
        customer = Customer.objects.get(user__username='customer2')
        OrderItem.objects.filter(order__customer=customer).delete()
        Order.objects.filter(customer=customer).delete()
        Product.objects.update(unit_price=Decimal('7.77'))

        run_seed()

        prices = set(OrderItem.objects.filter(order__customer=customer).values_list('unit_price', flat=True))
        assert prices == {Decimal('7.77')}

    def test_second_run_changes_nothing(self):
        run_seed()
        before = snapshot()

        output = run_seed()

        assert 'Nothing to do: the demo data is already there.' in output
        assert snapshot() == before

    def test_rerun_recreates_only_the_missing_products(self):
        run_seed()
        # An existing product that was edited keeps its edit.
        kept = Product.objects.filter(orderitems=None).order_by('pk').first()
        kept.unit_price = Decimal('123.45')
        kept.save()
        before = snapshot()
        featured = Collection.objects.exclude(featured_product=None).values_list('featured_product_id', flat=True)
        removed = list(Product.objects.filter(orderitems=None).exclude(pk__in=featured).exclude(pk=kept.pk)
                       .order_by('pk').values_list('pk', flat=True)[:25])
        TaggedItem.objects.filter(content_type=ContentType.objects.get_for_model(Product),
                                  object_id__in=removed).delete()
        untouched_ids = set(Product.objects.exclude(pk__in=removed).values_list('pk', flat=True))
        Product.objects.filter(pk__in=removed).delete()

        output = run_seed()

        assert 'Created 25 products' in output
        assert 'collections' not in output and 'orders' not in output
        assert snapshot() == before
        assert Product.objects.get(pk=kept.pk).unit_price == Decimal('123.45')
        assert untouched_ids <= set(Product.objects.values_list('pk', flat=True))

    def test_rerun_recreates_a_missing_customer_with_the_same_orders(self):
        run_seed()
        before = snapshot()
        OrderItem.objects.filter(order__customer__user__username='customer3').delete()
        Order.objects.filter(customer__user__username='customer3').delete()
        User.objects.filter(username='customer3').delete()

        output = run_seed()

        assert 'Created 1 user, 1 customer, ' in output
        assert snapshot() == before

    def test_existing_demo_username_is_left_alone(self):
        # A regular sign-up: the post_save receiver gives the user a customer profile.
        user = User.objects.create_user(username='customer1', email='someone@example.org', first_name='Someone')

        run_seed()

        user.refresh_from_db()
        assert (user.email, user.first_name) == ('someone@example.org', 'Someone')
        assert Customer.objects.filter(user=user).count() == 1
        assert Order.objects.filter(customer__user=user).exists()
        assert User.objects.filter(username__in=DEMO_USERNAMES).count() == 5

    def test_demo_user_whose_email_is_taken_is_skipped(self):
        User.objects.create_user(username='emma', email='emma.johnson@example.com')

        run_seed()

        assert not User.objects.filter(username='customer1').exists()
        assert Customer.objects.filter(user__username__in=DEMO_USERNAMES).count() == 4

    def test_without_the_tags_app_nothing_is_tagged(self, monkeypatch):
        is_installed = seed_db.apps.is_installed
        monkeypatch.setattr(seed_db.apps, 'is_installed', lambda name: name != 'tags' and is_installed(name))

        output = run_seed()

        assert Product.objects.count() == 1000
        assert (Tag.objects.count(), TaggedItem.objects.count()) == (0, 0)
        assert 'tag' not in output

    def test_the_global_random_generator_is_not_used(self):
        state = random.getstate()

        run_seed()

        assert random.getstate() == state
