import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from store.management.commands import _seed_images, seed_db
from store.models import CatalogueVersion, Collection, Customer, Order, OrderItem, Product, ProductImage, Promotion

User = get_user_model()

DEMO_USERNAMES = [username for username, *_ in seed_db.CUSTOMERS]
IMAGE_DIRECTORY = 'store/images'


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Each test stores its images in a media directory of its own (the default storage follows MEDIA_ROOT).

    Removed afterwards: pytest keeps the temporary directories of its recent runs.
    """
    media_root = tmp_path / 'media'
    settings.MEDIA_ROOT = str(media_root)
    yield ProductImage._meta.get_field('image').storage
    shutil.rmtree(media_root, ignore_errors=True)


@pytest.fixture
def in_memory_storage(settings, storage):
    """The default storage (the image field's) keeps its files in memory: a storage that is not the disk."""
    settings.STORAGES = {**settings.STORAGES, 'default': {'BACKEND': 'django.core.files.storage.InMemoryStorage'}}
    assert isinstance(storage, InMemoryStorage)
    return storage


# (slug, title, collection) -> PNG bytes, kept for the later tests of the same process.
RENDERED = {}


@pytest.fixture(autouse=True)
def reuse_rendered_pictures(request, monkeypatch):
    """Rendering 1000 pictures takes half a second or more: tests reuse an earlier render's bytes.

    The pictures are deterministic (which the tests that ask for `real_render` check, rendering every time).
    """
    if 'real_render' in request.fixturenames:
        return
    render = _seed_images.render

    def reuse(*args):
        if args not in RENDERED:
            RENDERED[args] = render(*args)
        return RENDERED[args]

    monkeypatch.setattr(_seed_images, 'render', reuse)


@pytest.fixture
def real_render():
    """Every picture rendered by `_seed_images.render` itself (see `reuse_rendered_pictures`)."""


@pytest.fixture
def render_calls(monkeypatch):
    """The slugs `_seed_images.render` is called for, in order."""
    calls = []
    render = _seed_images.render

    def spy(slug, title, collection):
        calls.append(slug)
        return render(slug, title, collection)

    monkeypatch.setattr(_seed_images, 'render', spy)
    return calls


def run_seed(stderr=None):
    out = io.StringIO()
    call_command('seed_db', stdout=out, stderr=stderr if stderr is not None else io.StringIO())
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count()
            for model in (Collection, Product, User, Customer, Order, OrderItem, ProductImage)}


def demo_image_name(slug):
    return f'{IMAGE_DIRECTORY}/seed-{slug}.png'


def stored_files(storage):
    """{name: (size, mtime in ns, SHA-256)} of every file in the image directory."""
    if not storage.exists(IMAGE_DIRECTORY):
        return {}
    files = {}
    for file in storage.listdir(IMAGE_DIRECTORY)[1]:
        name = f'{IMAGE_DIRECTORY}/{file}'
        stat = os.stat(storage.path(name))
        with storage.open(name) as opened:
            files[name] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(opened.read()).hexdigest())
    return files


def image_rows():
    return sorted(ProductImage.objects.values_list('product__slug', 'image'))


def product_rows():
    return sorted(Product.objects.values_list(
        'slug', 'title', 'description', 'unit_price', 'inventory', 'collection__title'))


def order_item_rows():
    return sorted(OrderItem.objects.values_list(
        'order__customer__user__username', 'order__payment_status', 'product__slug', 'quantity', 'unit_price'))


def snapshot():
    return {
        'counts': counts(),
        'products': product_rows(),
        'collections': sorted(Collection.objects.values_list('title', 'featured_product__slug')),
        'users': sorted(User.objects.values_list('username', 'email', 'first_name', 'last_name')),
        'customers': sorted(Customer.objects.values_list('user__username', 'phone', 'birth_date', 'membership')),
        'order_items': order_item_rows(),
        'images': image_rows(),
    }


@pytest.mark.django_db
@pytest.mark.usefixtures('in_memory_storage')
class TestSeedDb:
    """The rows, the whole catalogue. Their files stay in memory: creating 1000 files costs seconds on some disks."""

    def test_first_run_creates_the_demo_data(self, storage):
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
        assert output.rstrip().endswith(' and 1000 images.')
        assert image_rows() == [(slug, demo_image_name(slug)) for slug in sorted(
            Product.objects.values_list('slug', flat=True))]
        assert len(storage.listdir(IMAGE_DIRECTORY)[1]) == 1000

    def test_demo_promotions_run_end_never_and_are_to_come(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            output = run_seed()

        assert 'Created 10 collections, 1000 products, 5 users, 5 customers' in output and ' 3 promotions' in output
        now = timezone.now()
        promotions = {promotion.description: promotion for promotion in Promotion.objects.all()}
        assert set(promotions) == {'Garden week', 'Book lovers', 'Winter sale'}
        assert set(Promotion.objects.active(now).values_list('description', flat=True)) == {'Garden week', 'Book lovers'}
        assert promotions['Winter sale'].starts_at > now and promotions['Book lovers'].ends_at is None
        assert [promotions[name].product_set.count() for name in ('Garden week', 'Book lovers', 'Winter sale')] == [12, 8, 10]
        assert set(promotions['Garden week'].product_set.values_list('collection__title', flat=True)) == {'Garden'}
        garden = promotions['Garden week'].product_set.with_sale_price().first()
        assert garden.sale_price == (garden.unit_price * Decimal('0.85')).quantize(Decimal('0.01'), ROUND_HALF_UP)
        # The cached catalogue knows when the next window starts.
        assert CatalogueVersion.objects.get().next_change_at == promotions['Garden week'].ends_at
        assert 'Nothing to do: the demo data is already there.' in run_seed()
        assert Promotion.objects.count() == 3

    def test_orders_are_realistic(self):
        run_seed()

        for customer in Customer.objects.filter(user__username__in=DEMO_USERNAMES):
            orders = Order.objects.filter(customer=customer)
            assert 1 <= orders.count() <= 3
            for order in orders:
                assert 1 <= order.items.count() <= 4

    def test_demo_orders_carry_their_money(self):
        run_seed()

        orders = Order.objects.prefetch_related('items')
        assert orders.exists()
        for order in orders:
            subtotal = sum(item.quantity * item.unit_price for item in order.items.all())
            tax = (subtotal * Decimal('0.1')).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)
            assert (order.subtotal, order.tax, order.total, order.currency) == (subtotal, tax, subtotal + tax, 'USD')

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
        untouched_ids = set(Product.objects.exclude(pk__in=removed).values_list('pk', flat=True))
        Product.objects.filter(pk__in=removed).delete()

        output = run_seed()

        assert 'Created 25 products, ' in output and output.rstrip().endswith(' and 25 images.')
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

    def test_the_global_random_generator_is_not_used(self):
        state = random.getstate()

        run_seed()

        assert random.getstate() == state


@pytest.fixture
def small_catalogue(monkeypatch):
    """Two brands a collection instead of ten: 200 products, for the tests that write real files."""
    monkeypatch.setattr(seed_db, 'CATALOG', {
        title: (brands[:2], nouns, selling_points)
        for title, (brands, nouns, selling_points) in seed_db.CATALOG.items()})
    return len(seed_db.build_products()[0])


@pytest.mark.django_db
@pytest.mark.usefixtures('small_catalogue')
class TestSeedDbImages:
    """The files: on the file system (a temporary MEDIA_ROOT) unless a test says otherwise; 200 products."""

    def test_every_product_gets_one_image_of_its_own(self, storage, small_catalogue):
        run_seed()

        rows = image_rows()
        assert [slug for slug, _ in rows] == sorted(Product.objects.values_list('slug', flat=True))
        assert rows == [(slug, demo_image_name(slug)) for slug, _ in rows]
        digests = set()
        for _, name in rows:
            with storage.open(name) as file:
                data = file.read()
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                assert (image.format, image.size) == ('PNG', (_seed_images.SIZE, _seed_images.SIZE))
                image.load()
            assert len(data) < 8 * 1024
            digests.add(hashlib.sha256(data).hexdigest())
        assert len(digests) == len(rows) == small_catalogue
        assert set(stored_files(storage)) == {name for _, name in rows}

    def test_two_fresh_seeds_store_the_same_bytes(self, storage, small_catalogue, real_render,
                                                  django_capture_on_commit_callbacks):
        run_seed()
        first = {name: digest for name, (_, _, digest) in stored_files(storage).items()}
        # Deleting the rows deletes their files once committed: the next run starts from nothing.
        with django_capture_on_commit_callbacks(execute=True):
            OrderItem.objects.all().delete()
            Product.objects.all().delete()
        assert stored_files(storage) == {}

        output = run_seed()

        assert f'Created {small_catalogue} products, ' in output
        assert output.rstrip().endswith(f' and {small_catalogue} images.')
        assert {name: digest for name, (_, _, digest) in stored_files(storage).items()} == first

    def test_the_picture_does_not_depend_on_the_process(self, real_render):
        """Another interpreter (another hash seed) renders the same bytes: no `hash()`, no global state."""
        args = ('voltix-smart-watch', 'Voltix Smart Watch', 'Electronics')
        script = ('import importlib.util, sys\n'
                  'spec = importlib.util.spec_from_file_location("seed_images", sys.argv[1])\n'
                  'module = importlib.util.module_from_spec(spec)\n'
                  'spec.loader.exec_module(module)\n'
                  'sys.stdout.buffer.write(module.render(*sys.argv[2:]))\n')
        result = subprocess.run([sys.executable, '-c', script, _seed_images.__file__, *args],
                                capture_output=True, check=True, env={**os.environ, 'PYTHONHASHSEED': '12345'})

        assert result.stdout == _seed_images.render(*args) == _seed_images.render(*args)
        assert _seed_images.render(*args) != _seed_images.render('voltix-power-bank', 'Voltix Power Bank',
                                                                 'Electronics')

    def test_second_run_writes_no_file(self, storage, render_calls):
        run_seed()
        before = stored_files(storage)
        rows = list(ProductImage.objects.order_by('pk').values_list('pk', 'product_id', 'image'))
        render_calls.clear()

        output = run_seed()

        assert 'Nothing to do: the demo data is already there.' in output
        assert render_calls == []
        assert stored_files(storage) == before
        assert list(ProductImage.objects.order_by('pk').values_list('pk', 'product_id', 'image')) == rows

    def test_a_deleted_image_is_created_again(self, storage, render_calls, django_capture_on_commit_callbacks):
        run_seed()
        before = stored_files(storage)
        removed = list(ProductImage.objects.order_by('pk').values_list('pk', flat=True)[10:13])
        removed_names = set(ProductImage.objects.filter(pk__in=removed).values_list('image', flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            for image in ProductImage.objects.filter(pk__in=removed):
                image.delete()
        assert set(before) - set(stored_files(storage)) == removed_names
        render_calls.clear()

        output = run_seed()

        assert 'Created 3 images.' in output
        assert len(render_calls) == 3
        after = stored_files(storage)
        assert {name: digest for name, (_, _, digest) in after.items()} == {
            name: digest for name, (_, _, digest) in before.items()}
        assert {name: stat for name, stat in after.items() if name not in removed_names} == {
            name: stat for name, stat in before.items() if name not in removed_names}
        assert sorted(ProductImage.objects.values_list('image', flat=True)) == sorted(before)

    def test_a_missing_file_is_written_again(self, storage, render_calls):
        run_seed()
        before = stored_files(storage)
        rows = list(ProductImage.objects.order_by('pk').values_list('pk', 'product_id', 'image'))
        lost = [name for _, _, name in rows[:2]]
        for name in lost:
            storage.delete(name)
        render_calls.clear()

        output = run_seed()

        assert 'Created 2 image files.' in output
        assert 'images' not in output
        assert len(render_calls) == 2
        assert list(ProductImage.objects.order_by('pk').values_list('pk', 'product_id', 'image')) == rows
        after = stored_files(storage)
        assert set(after) == set(before)
        assert all(after[name][2] == before[name][2] for name in lost)
        assert all(after[name] == before[name] for name in before if name not in lost)

    def test_a_file_already_under_a_demo_name_is_used_as_it_is(self, storage, small_catalogue):
        product_slug = seed_db.build_products()[0][0].slug
        name = demo_image_name(product_slug)
        assert storage.save(name, ContentFile(b'left over')) == name

        run_seed()

        assert ProductImage.objects.get(product__slug=product_slug).image.name == name
        with storage.open(name) as file:
            assert file.read() == b'left over'
        # No `seed-<slug>_abc1234.png` copy next to the taken name.
        assert len(stored_files(storage)) == small_catalogue

    def test_a_concurrent_writer_of_a_demo_name_wins(self, storage, monkeypatch, render_calls):
        """The listing said missing, but the file appeared since: Django's renamed copy is removed."""
        run_seed()
        before = stored_files(storage)
        render_calls.clear()
        # The listing misses three names that are in fact there.
        monkeypatch.setattr(seed_db, '_stored_names', lambda storage, names: set(names[3:]))

        output = run_seed()

        assert len(render_calls) == 3
        assert 'Nothing to do: the demo data is already there.' in output
        assert stored_files(storage) == before

    def test_a_product_that_has_other_images_gets_no_demo_image(self, storage):
        run_seed()
        product = Product.objects.order_by('pk').first()
        product.images.all().delete()
        photo = ProductImage.objects.create(product=product, image=ContentFile(b'a photo', name='photo.png'))

        output = run_seed()

        assert 'Nothing to do: the demo data is already there.' in output
        assert list(product.images.all()) == [photo]

    def test_a_demo_name_used_by_another_product_is_skipped(self, storage, small_catalogue):
        slug = seed_db.build_products()[0][0].slug
        other = Product.objects.create(title='Other', slug='other', unit_price=Decimal('1.00'), inventory=1,
                                       collection=Collection.objects.create(title='Other'))
        storage.save(demo_image_name(slug), ContentFile(b'not a demo picture'))
        ProductImage.objects.create(product=other, image=demo_image_name(slug))
        stderr = io.StringIO()

        output = run_seed(stderr=stderr)

        assert output.rstrip().endswith(f' and {small_catalogue - 1} images.')
        assert f'Skipped the demo image of {slug}: another product has an image stored as ' in stderr.getvalue()
        assert not ProductImage.objects.filter(product__slug=slug).exists()
        assert ProductImage.objects.filter(image=demo_image_name(slug)).get().product == other

    def test_a_storage_that_cannot_list_is_asked_name_by_name(self, storage, monkeypatch):
        run_seed()
        before = stored_files(storage)
        storage.delete(demo_image_name(Product.objects.order_by('pk').first().slug))

        def cannot_list(self, path):
            raise NotImplementedError

        with monkeypatch.context() as patch:
            patch.setattr(FileSystemStorage, 'listdir', cannot_list)
            output = run_seed()

        assert 'Created 1 image file.' in output
        assert stored_files(storage).keys() == before.keys()

    def test_a_storage_other_than_the_file_system(self, in_memory_storage, small_catalogue, api_client):
        output = run_seed()

        assert output.rstrip().endswith(f' and {small_catalogue} images.')
        product = Product.objects.order_by('pk').first()
        name = product.images.get().image.name
        assert name == demo_image_name(product.slug)
        with in_memory_storage.open(name) as file, Image.open(file) as image:
            assert image.size == (_seed_images.SIZE, _seed_images.SIZE)
        assert len(in_memory_storage.listdir(IMAGE_DIRECTORY)[1]) == small_catalogue
        assert 'Nothing to do: the demo data is already there.' in run_seed()
        assert len(in_memory_storage.listdir(IMAGE_DIRECTORY)[1]) == small_catalogue
        assert api_client.get(f'/store/products/{product.pk}/').json()['images'][0]['image'] == (
            f'http://testserver/media/{name}')

    def test_the_api_shows_the_image(self, storage, api_client):
        run_seed()
        product = Product.objects.order_by('pk').first()
        image = product.images.get()

        response = api_client.get(f'/store/products/{product.pk}/')

        assert response.status_code == 200
        assert response.json()['images'] == [
            {'id': image.pk, 'image': f'http://testserver/media/{demo_image_name(product.slug)}'}]
        assert Path(storage.path(image.image.name)).is_file()
        page = api_client.get('/store/products/').json()['results']
        assert page and all(len(item['images']) == 1 for item in page)
