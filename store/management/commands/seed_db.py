"""`manage.py seed_db`: demo collections, products with images, customers, orders and promotions (and, from the apps
that receive `store.signals.catalogue_seeded`, their own demo rows: store_custom tags the products).

The whole data set is planned first, deterministically (`random.Random` with fixed seeds, never the
global generator), independently of what the database holds. Only then is it compared with the
database by natural keys, and only what is missing is inserted: collections by title, products by
slug, users by username, customers for demo users lacking one, orders for demo customers that have
none, promotions by description, and images for demo products that have none. Existing rows are left alone, so a second run changes nothing and a run on a partly seeded
database recreates exactly the missing rows with their original values.

Rows are inserted with `bulk_create` inside one transaction. MySQL (and older MariaDB) do not return
primary keys from a bulk insert, so the ids are always read back by the natural keys afterwards.
Users inserted in bulk fire no `post_save` signal, so their Customer rows are inserted here too.

Every demo product that has no image gets one: a small picture generated from its slug, title and
collection (`_seed_images`; the same product always gets the same bytes), stored through the image
field's storage (the default storage: MEDIA_ROOT or the S3 bucket) under a name of its own,
`store/images/seed-<slug>.png`, since deleting a ProductImage row deletes its file. A product that
already has images, the demo one or others, gets no new row, but a demo image row whose file is gone
gets its file written again. Existing files are never rewritten: the storage is listed once and only
names it lacks are saved, so a re-run neither rewrites a file nor makes Django store a `_abc123`
suffixed copy next to a taken name (should another process write the same name meanwhile, the copy
Django made is deleted and the other file kept). A file found under a demo name is taken as it is. A
demo name already used by another product's image row is skipped with a warning (two rows sharing a
file would lose it together). Files are written before their rows are inserted: a rolled-back run
leaves at most unreferenced demo files, which the next run uses.

Demo users get an unusable password: the command may run against a production database.
"""
import json
import posixpath
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from store.caching import invalidate_catalogue, promotions_changed
from store.models import Collection, Customer, Order, OrderItem, Product, ProductImage, Promotion
from store.services import order_amounts
from store.signals import catalogue_seeded

from . import _seed_images

SEED = 20240611
BATCH_SIZE = 500
# Longest `__in` list per query (SQLite builds older than 3.32 allow only 999 parameters).
IN_CHUNK = 500

# Collection title -> (brands, [[product noun, typical price in dollars]], selling points), from a data file.
# Every product is "<brand> <noun>": 10 brands x 10 nouns = 100 unique titles per collection.
CATALOG = {title: (entry['brands'], entry['products'], entry['selling_points'])
           for title, entry in json.loads(Path(__file__).with_name('demo_catalogue.json').read_text()).items()}
FEATURED_COLLECTIONS = ['Books', 'Electronics', 'Garden', 'Sports', 'Toys']
QUALITIES = ['well-made', 'best-selling', 'customer-favourite', 'thoughtfully designed',
             'great-value', 'premium', 'durable', 'popular']
PRICE_ENDINGS = [Decimal('0.99'), Decimal('0.99'), Decimal('0.49'), Decimal('0.95'), Decimal('0.00')]
MAX_PRICE = Decimal('499.99')

# username, first name, last name, membership
CUSTOMERS = [
    ('customer1', 'Emma', 'Johnson', Customer.MEMBERSHIP_GOLD),
    ('customer2', 'Liam', 'Garcia', Customer.MEMBERSHIP_SILVER),
    ('customer3', 'Olivia', 'Nguyen', Customer.MEMBERSHIP_BRONZE),
    ('customer4', 'Noah', 'Schmidt', Customer.MEMBERSHIP_SILVER),
    ('customer5', 'Ava', 'Okafor', Customer.MEMBERSHIP_BRONZE),
]
PAYMENT_STATUSES = [Order.PAYMENT_STATUS_COMPLETE, Order.PAYMENT_STATUS_PENDING, Order.PAYMENT_STATUS_FAILED]
# description, discount (%), window (days from the run: start, end or None), collection, how many of its
# products (the first by slug): one running, one without an end, one to come.
PROMOTIONS = [
    ('Garden week', Decimal('15'), (-2, 5), 'Garden', 12),
    ('Book lovers', Decimal('10'), (-30, None), 'Books', 8),
    ('Winter sale', Decimal('30'), (14, 28), 'Sports', 10),
]

@dataclass
class ProductSpec:
    title: str
    slug: str
    description: str
    unit_price: Decimal
    inventory: int
    collection: str


@dataclass
class CustomerSpec:
    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    birth_date: date
    membership: str
    # One (payment status, days ago, [(product slug, quantity)]) per order.
    orders: list = field(default_factory=list)


def _lower_noun(noun):
    """'USB-C Charger' -> 'USB-C charger', 'Dog Chew Toy' -> 'dog chew toy'."""
    return ' '.join(word.lower() if word[1:].islower() else word for word in noun.split())


def build_products():
    """The 1000 demo products, and the collection title -> featured product slug choices."""
    rng = random.Random(SEED)
    products = []
    featured = {}
    for collection, (brands, nouns, selling_points) in CATALOG.items():
        brand_factors = {brand: rng.uniform(0.7, 1.5) for brand in brands}
        for brand in brands:
            for noun, typical_price in nouns:
                title = f'{brand} {noun}'
                whole = int(typical_price * brand_factors[brand] * rng.uniform(0.9, 1.1))
                unit_price = min(Decimal(max(whole, 1)) + rng.choice(PRICE_ENDINGS), MAX_PRICE)
                # About one product in ten is running low.
                inventory = rng.randint(0, 9) if rng.random() < 0.1 else rng.randint(10, 150)
                description = (f'{rng.choice(QUALITIES).capitalize()} {_lower_noun(noun)} by {brand}, '
                               f'{rng.choice(selling_points)}.')
                products.append(ProductSpec(title, slugify(title), description,
                                            unit_price.quantize(Decimal('0.01')), inventory, collection))
        if collection in FEATURED_COLLECTIONS:
            featured[collection] = rng.choice([p.slug for p in products if p.collection == collection])
    slugs = [p.slug for p in products]
    if len(set(slugs)) != len(slugs):
        raise AssertionError('The demo catalog produces duplicate slugs.')
    return products, featured


def build_customers(product_slugs):
    """The demo customers with their planned orders (each customer has its own random stream)."""
    customers = []
    for username, first_name, last_name, membership in CUSTOMERS:
        rng = random.Random(f'{SEED}:customer:{username}')
        spec = CustomerSpec(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f'{first_name}.{last_name}@example.com'.lower(),
            # 555-0100 to 555-0199 are reserved for fiction.
            phone=f'+1 555-01{rng.randint(0, 99):02d}',
            birth_date=date(1960, 1, 1) + timedelta(days=rng.randint(0, 45 * 365)),
            membership=membership,
        )
        for _ in range(rng.randint(1, 3)):
            lines = [(slug, rng.randint(1, 3)) for slug in rng.sample(product_slugs, rng.randint(1, 4))]
            spec.orders.append((rng.choice(PAYMENT_STATUSES), rng.randint(1, 180), lines))
        customers.append(spec)
    return customers


def _values(queryset, lookup, keys, *fields):
    """`queryset.filter(<lookup>__in=keys).values_list(*fields)`, ordered by id, in chunks."""
    keys = list(keys)
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start:start + IN_CHUNK]
        yield from queryset.filter(**{f'{lookup}__in': chunk}).order_by('pk').values_list(*fields)


def _first_ids(queryset, lookup, keys):
    """natural key -> id of the oldest row with that key (the keys are not unique in every table)."""
    ids = {}
    for key, pk in _values(queryset, lookup, keys, lookup, 'pk'):
        ids.setdefault(key, pk)
    return ids


def _stored_names(storage, names):
    """The names among these that the storage holds: one listing per directory, not one request per name."""
    by_directory = {}
    for name in names:
        by_directory.setdefault(posixpath.dirname(name), []).append(name)
    stored = set()
    for directory, in_directory in by_directory.items():
        try:
            _, files = storage.listdir(directory)
        except FileNotFoundError:
            continue
        except NotImplementedError:
            stored.update(name for name in in_directory if storage.exists(name))
            continue
        listed = {posixpath.join(directory, file) for file in files}
        stored.update(name for name in in_directory if name in listed)
    return stored


class Command(BaseCommand):
    help = 'Populates the database with demo collections, products with images, customers, orders, promotions (and tags)'

    def handle(self, *args, **options):
        self.stdout.write('Populating the database...')
        products, featured = build_products()
        product_slugs = [p.slug for p in products]
        customers = build_customers(product_slugs)

        self.created = {}
        with transaction.atomic():
            collection_ids, new_collection_ids = self.seed_collections()
            product_ids = self.seed_products(products, collection_ids)
            self.feature_products(featured, collection_ids, new_collection_ids, product_ids)
            self.seed_customers_and_orders(customers, product_ids)
            # Other apps seed their own demo rows for these products (store_custom: tags).
            for _, created in catalogue_seeded.send(
                    sender=self.__class__, slugs=product_slugs,
                    product_ids={slug: pk for slug, (pk, _) in product_ids.items()}):
                self.created.update(created or {})
            self.seed_promotions(products, product_ids)
            self.seed_images(products, product_ids)
            # Bulk inserts send no signals: cached catalogue pages must go explicitly.
            invalidate_catalogue()

        parts = [f'{count} {name if count != 1 else name[:-1]}' for name, count in self.created.items() if count]
        if parts:
            summary = ', '.join(parts[:-1]) + (' and ' if len(parts) > 1 else '') + parts[-1]
            self.stdout.write(self.style.SUCCESS(f'Created {summary}.'))
        else:
            self.stdout.write(self.style.SUCCESS('Nothing to do: the demo data is already there.'))

    def seed_collections(self):
        titles = list(CATALOG)
        ids = _first_ids(Collection.objects, 'title', titles)
        missing = [title for title in titles if title not in ids]
        Collection.objects.bulk_create([Collection(title=title) for title in missing], batch_size=BATCH_SIZE)
        new_ids = _first_ids(Collection.objects, 'title', missing)
        ids.update(new_ids)
        self.created['collections'] = len(missing)
        return ids, set(new_ids.values())

    def seed_products(self, products, collection_ids):
        """Creates the missing products; returns slug -> (id, current unit price) for all of them."""
        existing = {slug for (slug,) in _values(Product.objects, 'slug', [p.slug for p in products], 'slug')}
        missing = [p for p in products if p.slug not in existing]
        Product.objects.bulk_create(
            [Product(title=p.title, slug=p.slug, description=p.description, unit_price=p.unit_price,
                     inventory=p.inventory, collection_id=collection_ids[p.collection]) for p in missing],
            batch_size=BATCH_SIZE)
        self.created['products'] = len(missing)
        product_ids = {}
        for slug, pk, unit_price in _values(Product.objects, 'slug', [p.slug for p in products],
                                            'slug', 'pk', 'unit_price'):
            product_ids.setdefault(slug, (pk, unit_price))
        return product_ids

    def feature_products(self, featured, collection_ids, new_collection_ids, product_ids):
        """Only collections created by this run get a featured product: existing ones are left alone."""
        updated = []
        for title, slug in featured.items():
            if collection_ids[title] in new_collection_ids and slug in product_ids:
                updated.append(Collection(pk=collection_ids[title], featured_product_id=product_ids[slug][0]))
        Collection.objects.bulk_update(updated, ['featured_product'], batch_size=BATCH_SIZE)

    def seed_customers_and_orders(self, customers, product_ids):
        User = get_user_model()
        usernames = [c.username for c in customers]
        existing = set(User.objects.filter(username__in=usernames).values_list('username', flat=True))
        missing = [c for c in customers if c.username not in existing]
        taken_emails = set(User.objects.filter(email__in=[c.email for c in missing]).values_list('email', flat=True))
        new_users = []
        for spec in missing:
            if spec.email in taken_emails:
                self.stderr.write(self.style.WARNING(
                    f'Skipped the demo user {spec.username}: another user has the email {spec.email}.'))
                continue
            user = User(username=spec.username, email=spec.email,
                        first_name=spec.first_name, last_name=spec.last_name)
            user.set_unusable_password()
            new_users.append(user)
        # bulk_create sends no post_save signal: the Customer rows are created below.
        User.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
        self.created['users'] = len(new_users)

        user_ids = dict(User.objects.filter(username__in=usernames).values_list('username', 'pk'))
        with_customer = set(Customer.objects.filter(user_id__in=user_ids.values()).values_list('user_id', flat=True))
        new_customers = [
            Customer(user_id=user_ids[c.username], phone=c.phone, birth_date=c.birth_date, membership=c.membership)
            for c in customers if c.username in user_ids and user_ids[c.username] not in with_customer]
        Customer.objects.bulk_create(new_customers, batch_size=BATCH_SIZE)
        self.created['customers'] = len(new_customers)

        customer_ids = dict(Customer.objects.filter(user_id__in=user_ids.values())
                            .order_by().values_list('user__username', 'pk'))
        with_orders = set(Order.objects.filter(customer_id__in=customer_ids.values())
                          .order_by().values_list('customer_id', flat=True).distinct())
        planned = [(customer_ids[c.username], c.orders) for c in customers
                   if c.username in customer_ids and customer_ids[c.username] not in with_orders]
        Order.objects.bulk_create(
            [Order(customer_id=customer_id, payment_status=status)
             for customer_id, orders in planned for status, _, _ in orders],
            batch_size=BATCH_SIZE)
        self.created['orders'] = sum(len(orders) for _, orders in planned)

        # These customers had no orders before: their orders, by id, are the ones just inserted, in order.
        order_ids = {}
        for customer_id, pk in Order.objects.filter(customer_id__in=[cid for cid, _ in planned]) \
                .order_by('customer_id', 'pk').values_list('customer_id', 'pk'):
            order_ids.setdefault(customer_id, []).append(pk)
        now = timezone.now()
        placed = []
        items = []
        for customer_id, orders in planned:
            for order_id, (_, days_ago, lines) in zip(order_ids[customer_id], orders):
                order_items = [OrderItem(order_id=order_id, product_id=product_ids[slug][0], quantity=quantity,
                                         unit_price=product_ids[slug][1], list_price=product_ids[slug][1])
                               for slug, quantity in lines if slug in product_ids]
                items += order_items
                # placed_at is auto_now_add, so the insert stamped "now": spread the demo orders over the past months.
                placed.append(Order(pk=order_id, placed_at=now - timedelta(days=days_ago, hours=days_ago % 12),
                                    **order_amounts((item.quantity, item.unit_price) for item in order_items)))
        Order.objects.bulk_update(placed, ['placed_at', 'subtotal', 'tax', 'total', 'currency'], batch_size=BATCH_SIZE)
        OrderItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        self.created['order items'] = len(items)

    def seed_promotions(self, products, product_ids):
        """Creates the missing demo promotions (by description), each on its products; windows are relative
        to this run, so the demo always has a promotion running and one to come."""
        existing = set(Promotion.objects.filter(description__in=[p[0] for p in PROMOTIONS])
                       .values_list('description', flat=True))
        missing = [promotion for promotion in PROMOTIONS if promotion[0] not in existing]
        now = timezone.now()
        Promotion.objects.bulk_create([
            Promotion(description=description, discount=discount, starts_at=now + timedelta(days=start),
                      ends_at=None if end is None else now + timedelta(days=end))
            for description, discount, (start, end), _, _ in missing])
        promotion_ids = dict(Promotion.objects.filter(description__in=[p[0] for p in missing])
                             .values_list('description', 'pk'))
        slugs = {title: sorted(p.slug for p in products if p.collection == title and p.slug in product_ids)
                 for title in CATALOG}
        Product.promotions.through.objects.bulk_create([
            Product.promotions.through(promotion_id=promotion_ids[description], product_id=product_ids[slug][0])
            for description, _, _, collection, count in missing for slug in slugs[collection][:count]])
        if missing:
            promotions_changed()  # bulk inserts send no signals
        self.created['promotions'] = len(missing)

    def seed_images(self, products, product_ids):
        """One generated picture for every demo product without an image; missing demo files written again."""
        image_field = ProductImage._meta.get_field('image')
        storage = image_field.storage
        planned = {}
        for spec in products:
            if spec.slug in product_ids:
                # The field's upload_to and the storage's name rules: 'store/images/seed-<slug>.png'.
                name = image_field.generate_filename(None, _seed_images.file_name(spec.slug))
                if len(name) > image_field.max_length:
                    raise AssertionError(f'The demo image name {name} is too long for the image field.')
                planned[spec.slug] = (product_ids[spec.slug][0], name, spec)
        slug_of = {product_id: slug for slug, (product_id, _, _) in planned.items()}

        with_images = set()
        demo_rows = {}  # slug -> None, in id order: the demo products that have their demo image row
        for product_id, name in _values(ProductImage.objects, 'product_id', slug_of, 'product_id', 'image'):
            with_images.add(product_id)
            slug = slug_of[product_id]
            if name == planned[slug][1]:
                demo_rows[slug] = None
        # Demo names that image rows already use: for a product without images, another product's row.
        used = {name for (name,) in _values(ProductImage.objects, 'image',
                                            [name for _, name, _ in planned.values()], 'image')}

        new_rows = []
        for slug, (product_id, name, _) in planned.items():
            if product_id in with_images:
                continue
            if name in used:
                self.stderr.write(self.style.WARNING(
                    f'Skipped the demo image of {slug}: another product has an image stored as {name}.'))
                continue
            new_rows.append(slug)

        needed = new_rows + list(demo_rows)
        stored = _stored_names(storage, [planned[slug][1] for slug in needed])
        restored = 0
        for slug in needed:
            _, name, spec = planned[slug]
            if name in stored:
                continue
            saved = storage.save(name, ContentFile(_seed_images.render(spec.slug, spec.title, spec.collection)),
                                 max_length=image_field.max_length)
            if saved != name:
                # Another process stored this name since the listing: keep its file, not Django's renamed copy.
                storage.delete(saved)
            elif slug in demo_rows:
                restored += 1

        ProductImage.objects.bulk_create(
            [ProductImage(product_id=planned[slug][0], image=planned[slug][1]) for slug in new_rows],
            batch_size=BATCH_SIZE)
        self.created['images'] = len(new_rows)
        self.created['image files'] = restored
