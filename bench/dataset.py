"""The benchmark's data set, bulk-inserted into a fresh (migrated, empty) database in one transaction.

N products spread over 10 collections, 3 image rows each (paths only: no files), customers with
orders, and whatever the measurements need prepared beforehand (a cart with 5 lines, buyers with
carts, the buyers' unpaid orders to open payments for, and open Stripe payments for webhooks to settle). Primary keys are assigned here, so nothing has to be read back after the inserts.
Call with Django set up (bench/run.py does it).
"""
import random
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from bench.workload import product_code
from store import models as store

COLLECTIONS = 10
IMAGES_PER_PRODUCT = 3
BATCH = 5000
INVENTORY = 1_000_000   # orders and carts in the benchmark never run out of stock
SEARCH_WORD = 'classic'  # in about one title in eight: the "common word" the search endpoint looks for

ADJECTIVES = ['classic', 'modern', 'compact', 'deluxe', 'rustic', 'smart', 'vintage', 'eco']
NOUNS = ['lamp', 'chair', 'kettle', 'backpack', 'speaker', 'notebook', 'mug', 'blanket', 'jacket', 'clock',
         'shelf', 'bottle', 'camera', 'watch', 'scarf', 'pillow']
WORDS = ['durable', 'lightweight', 'handmade', 'premium', 'affordable', 'elegant', 'sturdy', 'portable',
         'colourful', 'practical', 'quiet', 'warm', 'soft', 'bright', 'simple', 'robust']


def insert(model, objects):
    model.objects.bulk_create(objects, batch_size=BATCH)


def order_item(**fields):
    """An order line charged at its list price, in the schema of whichever version the benchmark runs
    (order lines gained `list_price` with promotions)."""
    fields = {'list_price': fields['unit_price'], **fields} if hasattr(store.OrderItem, 'list_price') else fields
    return store.OrderItem(**fields)


# The money of every prepared unpaid order: 3 x 10.00 plus 10 % tax (the default TAX_RATE).
UNIT_PRICE, QUANTITY = Decimal('10.00'), 3
SUBTOTAL = UNIT_PRICE * QUANTITY
TAX = SUBTOTAL / 10
TOTAL_CENTS = int((SUBTOTAL + TAX) * 100)


def build(products, customers=2000, orders=5000, buyers=0, buyer_carts=0, payment_orders=0, webhook_payments=0,
          seed=1):
    """Insert the data set; returns what the benchmark needs to know about it."""
    rng = random.Random(seed)
    User = get_user_model()
    info = {'products': products, 'collections': COLLECTIONS, 'customers': customers, 'orders': orders}
    with transaction.atomic():
        insert(store.Collection, [store.Collection(id=i, title=f'Collection {i}') for i in range(1, COLLECTIONS + 1)])
        insert(store.Product, (
            store.Product(
                id=i, title=f'{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} {i}', slug=f'product-{i}',
                description=' '.join(rng.sample(WORDS, 6)).capitalize() + f'. Code {product_code(i)}.',
                unit_price=Decimal(rng.randint(100, 99999)) / 100, inventory=INVENTORY,
                collection_id=rng.randint(1, COLLECTIONS))
            for i in range(1, products + 1)))
        insert(store.ProductImage, (
            store.ProductImage(id=(i - 1) * IMAGES_PER_PRODUCT + k + 1, product_id=i,
                               image=f'store/images/bench-{(i - 1) * IMAGES_PER_PRODUCT + k + 1}.png')
            for i in range(1, products + 1) for k in range(IMAGES_PER_PRODUCT)))

        # Customers (and their users: bulk inserts send no post_save signal), plus the order buyers.
        total_users = customers + buyers
        users = []
        for i in range(1, total_users + 1):
            name = f'bench{i}' if i <= customers else f'buyer{i - customers}'
            user = User(id=i, username=name, email=f'{name}@example.com', first_name='Bench', last_name=str(i))
            user.password = '!bench-unusable'
            users.append(user)
        insert(User, users)
        insert(store.Customer, (store.Customer(id=i, user_id=i, phone=f'+1 555-01{i % 100:02d}')
                                for i in range(1, total_users + 1)))
        insert(store.Order, (store.Order(id=i, customer_id=rng.randint(1, customers), payment_status=rng.choice('PCF'))
                             for i in range(1, orders + 1)))
        items = []
        for order_id in range(1, orders + 1):
            for product_id in rng.sample(range(1, products + 1), rng.randint(1, 3)):
                items.append(order_item(order_id=order_id, product_id=product_id, quantity=rng.randint(1, 3),
                                        unit_price=Decimal('9.99')))
        insert(store.OrderItem, items)
        info['order_items'] = len(items)

        # The cart the "cart with 5 lines" endpoint reads.
        cart_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        insert(store.Cart, [store.Cart(id=cart_id)])
        insert(store.CartItem, [store.CartItem(cart_id=cart_id, product_id=product_id, quantity=2)
                                for product_id in rng.sample(range(1, products + 1), 5)])
        info['cart_5_lines'] = str(cart_id)

        # Carts ready to become orders (3 lines each), for the order-placement measurement.
        carts = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(buyer_carts)]
        insert(store.Cart, (store.Cart(id=c) for c in carts))
        insert(store.CartItem, (store.CartItem(cart_id=c, product_id=p, quantity=1)
                                for c in carts for p in rng.sample(range(1, products + 1), 3)))
        info['buyer_carts'] = [str(c) for c in carts]
        info['buyer_user_ids'] = list(range(customers + 1, total_users + 1))

    if payment_orders or webhook_payments:
        build_payments(info, customers, orders, buyers, payment_orders, webhook_payments)

    info['deep_page'] = max(1, (products + 9) // 10 // 2)
    info['detail_id'] = products // 2 or 1
    return info


@transaction.atomic
def build_payments(info, customers, orders, buyers, payment_orders, webhook_payments):
    """Unpaid orders of the buyers (order i is buyer i's, round robin): the first `payment_orders` to open a
    payment for, the rest with an open Stripe payment (pi_bench_<order id>) for a webhook to settle.
    Apart from build(): a checkout from before payments (--app-dir, --versus) has no such columns."""
    unpaid = range(orders + 1, orders + 1 + payment_orders + webhook_payments)
    buyer_ids = range(customers + 1, customers + buyers + 1)
    insert(store.Order, (store.Order(id=i, customer_id=buyer_ids[i % buyers], payment_status='P', subtotal=SUBTOTAL,
                                     tax=TAX, total=SUBTOTAL + TAX, currency='USD') for i in unpaid))
    insert(store.OrderItem, (order_item(order_id=i, product_id=1, quantity=QUANTITY, unit_price=UNIT_PRICE)
                             for i in unpaid))
    open_payments = unpaid[payment_orders:]
    insert(store.Payment, (store.Payment(order_id=i, provider='stripe', provider_id=f'pi_bench_{i}',
                                         amount=TOTAL_CENTS, currency='USD', status='pending')
                           for i in open_payments))
    info['payment_orders'] = [(i, buyer_ids[i % buyers]) for i in unpaid[:payment_orders]]
    info['webhook_payments'] = [f'pi_bench_{i}' for i in open_payments]
    info['payment_amount'] = TOTAL_CENTS


def new_cart_with_items(products, lines, rng):
    """A cart with `lines` random products (for in-process query counts of order placement)."""
    cart = store.Cart.objects.create()
    store.CartItem.objects.bulk_create(store.CartItem(cart=cart, product_id=p, quantity=1)
                                       for p in rng.sample(range(1, products + 1), lines))
    return cart
