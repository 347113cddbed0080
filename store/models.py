from decimal import ROUND_HALF_UP, Decimal
from uuid import uuid4

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .validators import validate_file_size, validate_image_pixels

CENT = Decimal('0.01')


def discounted(unit_price, discount):
    """`unit_price` less `discount` percent, rounded half-up to cents: a sale price."""
    return (unit_price * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def validate_discount(value):
    if not 0 < value < 100:
        raise ValidationError('Ensure this value is greater than 0 and less than 100 (a percentage off).')


class PromotionQuerySet(models.QuerySet):
    # Of several promotions of a product, the best applies: the largest discount (the oldest of equal ones).
    BEST_FIRST = ('-discount', 'id')

    def active(self, at):
        """The promotions whose window holds `at`: started (starts_at <= at) and not ended (ends_at after
        `at`, or no end)."""
        return self.filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=at), starts_at__lte=at)

    def best_for(self, product_ids, at):
        """{product id: its best promotion active at `at`} for these products, in one query."""
        best = {}
        for promotion in (self.active(at).filter(product__in=product_ids)
                          .annotate(product_id=models.F('product')).order_by('product_id', *self.BEST_FIRST)):
            best.setdefault(promotion.product_id, promotion)
        return best


class Promotion(models.Model):
    """A percentage off the unit price of its products while its window [starts_at, ends_at) holds."""
    description = models.CharField(max_length=255)
    discount = models.DecimalField(max_digits=4, decimal_places=2, validators=[validate_discount],
                                   help_text='The percentage off: more than 0, less than 100.')
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text='None: until staff end it.')

    objects = PromotionQuerySet.as_manager()

    def __str__(self):
        return self.description

    def sale_price(self, unit_price):
        return discounted(unit_price, self.discount)

    @staticmethod
    def check_window(starts_at, ends_at):
        """ValidationError unless the window ends after it starts (or has no end)."""
        if starts_at and ends_at and ends_at <= starts_at:
            raise ValidationError({'ends_at': 'A promotion must end after it starts.'})

    def clean(self):
        self.check_window(self.starts_at, self.ends_at)

    class Meta:
        ordering = ['-starts_at', 'id']
        constraints = [
            models.CheckConstraint(condition=models.Q(discount__gt=0, discount__lt=100),
                                   name='store_promotion_discount_between_0_and_100'),
            models.CheckConstraint(condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F('starts_at')),
                                   name='store_promotion_ends_after_it_starts'),
        ]
        indexes = [models.Index(fields=['starts_at', 'ends_at'], name='store_promotion_window_idx')]


class Collection(models.Model):
    title = models.CharField(max_length=255)
    featured_product = models.ForeignKey(
        'Product', on_delete=models.SET_NULL, null=True, blank=True, related_name='+')

    def __str__(self):
        return self.title

    class Meta:
        ordering = ['title']


def tax_on(amount):
    """The tax on `amount` at TAX_RATE, rounded half-up to cents (a product's price with tax, an order's tax)."""
    return (amount * settings.TAX_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
# The largest quantity one cart or order line holds: a PositiveSmallIntegerField's range on every database.
MAX_LINE_QUANTITY = 32767


class ProductQuerySet(models.QuerySet):
    def with_sale_price(self, at=None):
        """Each product annotated with the discount of its best promotion active at `at` (now), which
        `Product.sale_price` reads: the sale price without a query per product."""
        column = f'{connection.ops.quote_name(Product._meta.db_table)}.{connection.ops.quote_name("id")}'
        return self.annotate(best_discount=Product.best_discount_of(column, at or timezone.now()))


class Product(models.Model):
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255)
    description = models.TextField(null=True, blank=True)
    unit_price = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(1)])
    inventory = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    last_update = models.DateTimeField(auto_now=True)
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name='products')
    promotions = models.ManyToManyField(Promotion, blank=True)

    objects = ProductQuerySet.as_manager()

    def __str__(self):
        return self.title

    @property
    def price_with_tax(self):
        return self.unit_price + tax_on(self.unit_price)

    @property
    def sale_price(self):
        """The unit price after the best promotion active now, or None when none is: from the
        `with_sale_price` annotation, else read (once) for this product alone."""
        if not hasattr(self, 'best_discount'):
            promotion = Promotion.objects.best_for([self.pk], timezone.now()).get(self.pk)
            self.best_discount = promotion.discount if promotion else None
        return None if self.best_discount is None else discounted(self.unit_price, self.best_discount)

    @staticmethod
    def best_discount_of(product_column, at):
        """A correlated subquery: the discount of the best promotion active at `at` (PromotionQuerySet's
        `active` and BEST_FIRST) of the product whose id is `product_column` (the outer query's quoted
        "table"."column"), or NULL.

        Plain SQL: building and compiling the ORM's Subquery cost more than running the whole product
        page's queries (docs/performance.md). test_promotion_prices checks that it agrees with `best_for`.
        """
        quote = connection.ops.quote_name
        order = ', '.join(f'p.{quote(name.lstrip("-"))} {"DESC" if name.startswith("-") else "ASC"}'
                          for name in PromotionQuerySet.BEST_FIRST)
        sql = (f'SELECT p.{quote("discount")} FROM {quote(Promotion._meta.db_table)} p '
               f'INNER JOIN {quote(Product.promotions.through._meta.db_table)} l ON l.{quote("promotion_id")} = p.{quote("id")} '
               f'WHERE l.{quote("product_id")} = {product_column} AND p.{quote("starts_at")} <= %s '
               f'AND (p.{quote("ends_at")} IS NULL OR p.{quote("ends_at")} > %s) ORDER BY {order} LIMIT 1')
        at = connection.ops.adapt_datetimefield_value(at)
        return RawSQL(sql, (at, at), output_field=Promotion._meta.get_field('discount'))

    @property
    def current_price(self):
        """What a unit costs now: the sale price if any, else the unit price."""
        sale_price = self.sale_price
        return self.unit_price if sale_price is None else sale_price

    class Meta:
        ordering = ['title']
        constraints = [
            models.CheckConstraint(condition=models.Q(inventory__gte=0), name='store_product_inventory_not_negative'),
            # Prices below 1 are refused by the validator (API, admin); the database refuses only negative
            # ones, so test factories (model-bakery) make valid rows on every engine.
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name='store_product_unit_price_not_negative'),
        ]
        # The API lists products by title (default), by price and by last update, within a collection or not.
        indexes = [
            models.Index(fields=['title', 'id'], name='store_product_title_idx'),
            models.Index(fields=['unit_price', 'id'], name='store_product_price_idx'),
            models.Index(fields=['last_update', 'id'], name='store_product_updated_idx'),
            models.Index(fields=['collection', 'title', 'id'], name='store_product_coll_title_idx'),
        ]


class Customer(models.Model):
    MEMBERSHIP_BRONZE = 'B'
    MEMBERSHIP_SILVER = 'S'
    MEMBERSHIP_GOLD = 'G'
    MEMBERSHIP_CHOICES = [(MEMBERSHIP_BRONZE, 'Bronze'), (MEMBERSHIP_SILVER, 'Silver'), (MEMBERSHIP_GOLD, 'Gold')]
    phone = models.CharField(max_length=255)
    birth_date = models.DateField(null=True, blank=True)
    membership = models.CharField(max_length=1, choices=MEMBERSHIP_CHOICES, default=MEMBERSHIP_BRONZE)
    liked_product_alerts = models.BooleanField(
        default=True, help_text='E-mail me when a product I like is back in stock or its price drops.')
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()

    @admin.display(ordering='user__first_name')
    def first_name(self):
        return self.user.first_name

    @admin.display(ordering='user__last_name')
    def last_name(self):
        return self.user.last_name

    class Meta:
        ordering = ['user__first_name', 'user__last_name']
        permissions = [
            ('view_history', 'Can view history'),
        ]


class Order(models.Model):
    PAYMENT_STATUS_PENDING = 'P'
    PAYMENT_STATUS_COMPLETE = 'C'
    PAYMENT_STATUS_FAILED = 'F'
    PAYMENT_STATUS_REFUNDED = 'R'
    PAYMENT_STATUS_CHOICES = [
        (PAYMENT_STATUS_PENDING, 'Pending'), (PAYMENT_STATUS_COMPLETE, 'Complete'), (PAYMENT_STATUS_FAILED, 'Failed'),
        (PAYMENT_STATUS_REFUNDED, 'Refunded'),
    ]
    UNPAID_STATUSES = (PAYMENT_STATUS_PENDING, PAYMENT_STATUS_FAILED)
    FULFILMENT_UNFULFILLED = 'unfulfilled'
    FULFILMENT_SHIPPED = 'shipped'
    FULFILMENT_DELIVERED = 'delivered'
    FULFILMENT_STATUS_CHOICES = [(status, status.capitalize()) for status in (
        FULFILMENT_UNFULFILLED, FULFILMENT_SHIPPED, FULFILMENT_DELIVERED)]
    placed_at = models.DateTimeField(auto_now_add=True)
    payment_status = models.CharField(max_length=1, choices=PAYMENT_STATUS_CHOICES, default=PAYMENT_STATUS_PENDING)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The cart the order was placed from (the cart itself is deleted): one order per cart.
    cart_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The client's Idempotency-Key of the POST that placed it: a retry returns this order.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, editable=False)
    # The money, fixed when the order is placed (services.place_order): what a payment must match.
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), editable=False)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), editable=False)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), editable=False)
    currency = models.CharField(max_length=3, default='USD', editable=False)
    # A copy of the address it ships to (Address.snapshot()): editing or deleting that address later
    # never changes where an order went.
    shipping_address = models.JSONField(null=True, blank=True, editable=False)
    # Fulfilment: moved by staff through services.ship_order and deliver_order only.
    fulfilment_status = models.CharField(max_length=11, choices=FULFILMENT_STATUS_CHOICES,
                                         default=FULFILMENT_UNFULFILLED, editable=False)
    carrier = models.CharField(max_length=100, blank=True, editable=False)
    tracking_number = models.CharField(max_length=100, blank=True, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f'Order {self.pk}'

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    @property
    def is_paid(self):
        return self.payment_status == self.PAYMENT_STATUS_COMPLETE

    @property
    def is_unpaid(self):
        return self.payment_status in self.UNPAID_STATUSES

    @property
    def is_shipped(self):
        """Shipped or delivered: the goods have left, so the order is no longer cancelled or changed."""
        return self.fulfilment_status != self.FULFILMENT_UNFULFILLED

    def may_take_payment_status(self, payment_status):
        """A cancelled order's stock went back: it is never marked paid. Refunds are made by cancelling a
        paid order (services.cancel_order), never set by hand, and a refunded order stays refunded."""
        if payment_status == self.PAYMENT_STATUS_REFUNDED or self.payment_status == self.PAYMENT_STATUS_REFUNDED:
            return payment_status == self.payment_status
        return not (self.is_cancelled and payment_status == self.PAYMENT_STATUS_COMPLETE)

    def payment_expires_at(self):
        """When an unpaid order expires (PAYMENT_TIMEOUT after it was placed), or None if orders do not."""
        timeout = settings.PAYMENT_TIMEOUT
        return None if timeout is None else self.placed_at + timeout

    @property
    def total_price(self):
        return sum((item.total_price for item in self.items.all()), Decimal(0))

    class Meta:
        permissions = [
            ('cancel_order', 'Can cancel order'),
        ]
        constraints = [
            models.UniqueConstraint(fields=['customer', 'idempotency_key'], name='store_order_idempotency_key_per_customer'),
        ]
        indexes = [models.Index(fields=['placed_at'], name='store_order_placed_at_idx')]


class OrderEvent(models.Model):
    """One change to an order, written by the service that makes it, in the same transaction."""
    TYPES = ('placed', 'payment_started', 'paid', 'payment_failed', 'refunded', 'cancelled', 'expired',
             'address_set', 'shipped', 'delivered')
    ACTOR_CUSTOMER, ACTOR_STAFF, ACTOR_SYSTEM = 'customer', 'staff', 'system'
    ACTOR_TYPES = (ACTOR_CUSTOMER, ACTOR_STAFF, ACTOR_SYSTEM)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name='events')
    type = models.CharField(max_length=20, choices=[(type_, type_) for type_ in TYPES])
    # Who made the change: a customer or staff user (their username then, kept if the account goes), or the
    # system (webhooks, periodic tasks).
    actor_type = models.CharField(max_length=10, choices=[(type_, type_) for type_ in ACTOR_TYPES])
    actor_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f'{self.type} of order {self.order_id}'

    @classmethod
    def actor_fields(cls, user):
        """The actor columns for a change made by `user` (None: the system)."""
        if user is None:
            return {'actor_type': cls.ACTOR_SYSTEM, 'actor_username': ''}
        return {'actor_type': cls.ACTOR_STAFF if user.is_staff else cls.ACTOR_CUSTOMER,
                'actor_username': user.get_username()}

    @property
    def actor(self):
        return {'type': self.actor_type, 'username': self.actor_username or None}

    class Meta:
        ordering = ['created_at', 'id']


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name='items')
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name='orderitems')
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_LINE_QUANTITY)])
    # What a unit was charged: the product's unit price then (`list_price`), less the discount of the
    # promotion that applied, if one did.
    unit_price = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(1)])
    list_price = models.DecimalField(max_digits=6, decimal_places=2, blank=True,
                                     help_text='The unit price before any promotion (blank: the unit price charged).')
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, null=True, blank=True, related_name='orderitems')

    def __str__(self):
        return f'{self.quantity} × {self.product}'

    def save(self, *args, **kwargs):
        if self.list_price is None:  # a line staff add in the admin, at the price they charge
            self.list_price = self.unit_price
        super().save(*args, **kwargs)

    @property
    def total_price(self):
        return self.quantity * self.unit_price

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name='store_orderitem_quantity_at_least_1'),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name='store_orderitem_unit_price_not_negative'),
            models.UniqueConstraint(fields=['order', 'product'], name='store_orderitem_one_line_per_product'),
        ]


# ISO 3166-1 alpha-2: the officially assigned codes (no library in this project ships the list).
COUNTRY_CODES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())


def validate_country(value):
    if value not in COUNTRY_CODES:
        raise ValidationError(f'"{value}" is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. "US").')


class Address(models.Model):
    name = models.CharField(max_length=255, help_text='The recipient.')
    street = models.CharField(max_length=255)
    city = models.CharField(max_length=255)
    zip = models.CharField(max_length=20)
    country = models.CharField(max_length=2, validators=[validate_country], help_text='ISO 3166-1 alpha-2 code.')
    phone = models.CharField(max_length=32, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)

    # The fields an order's shipping address copies (Order.shipping_address).
    SNAPSHOT_FIELDS = ('name', 'street', 'city', 'zip', 'country', 'phone')

    def __str__(self):
        return f'{self.name}, {self.street}, {self.zip} {self.city}, {self.country}'

    def snapshot(self):
        return {field: getattr(self, field) for field in self.SNAPSHOT_FIELDS}

    class Meta:
        verbose_name_plural = 'addresses'


class Cart(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last time an item was added; carts untouched for STALE_CART_DAYS are purged.
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def total_price(self):
        return sum((item.total_price for item in self.items.all()), Decimal(0))

    def __str__(self):
        return f'Cart {self.id}'

    class Meta:
        indexes = [models.Index(fields=['updated_at'], name='store_cart_updated_idx')]


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name='items')
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_LINE_QUANTITY)])

    def __str__(self):
        return f'{self.quantity} × {self.product}'

    @property
    def total_price(self):
        return self.line_total(quantity=self.quantity, unit_price=self.product.current_price)

    @staticmethod
    def line_total(*, quantity, unit_price):
        """A line's total, for instances (`total_price`) and plain rows (selectors.cart_with_lines)."""
        return quantity * unit_price

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name='store_cartitem_quantity_at_least_1'),
            models.UniqueConstraint(fields=['cart', 'product'], name='store_cartitem_one_line_per_product'),
        ]


# Reviews are anonymous (course): capped so a few posts cannot make a product's review list megabytes long.
MAX_REVIEW_LENGTH = 5000


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name='reviews')
    name = models.CharField(max_length=255)
    description = models.TextField(max_length=MAX_REVIEW_LENGTH)
    date = models.DateField(auto_now_add=True)

    def __str__(self):
        return f'Review {self.pk} by {self.name}'


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name='images')
    image = models.ImageField(upload_to='store/images', validators=[validate_file_size, validate_image_pixels])

    def __str__(self):
        return self.image.name


class CatalogueVersion(models.Model):
    """One row whose number changes on every catalogue write: the key space of the cached catalogue.

    It lives in the database, not the cache, so every process (and every cache backend, local memory
    included) agrees at once that older cached pages are obsolete.
    """
    value = models.BigIntegerField(default=0)
    # When the catalogue next changes by itself, with no write: the next start or end of a promotion's
    # window (None: no such boundary ahead). Passing it moves `value` on (store.caching).
    next_change_at = models.DateTimeField(null=True)


class Payment(models.Model):
    """One attempt to collect an order's total through a provider (store.payments): a Stripe
    PaymentIntent, say. Amounts are in the currency's minor units (cents), as providers count them."""
    STATUS_PENDING = 'pending'
    STATUS_FAILED = 'failed'
    STATUS_SUCCEEDED = 'succeeded'
    STATUS_CANCELED = 'canceled'
    STATUS_REFUNDED = 'refunded'
    STATUS_CHOICES = [(status, status.capitalize()) for status in (
        STATUS_PENDING, STATUS_FAILED, STATUS_SUCCEEDED, STATUS_CANCELED, STATUS_REFUNDED)]
    # Still payable: a failed attempt can be paid again (Stripe's intent goes back to waiting for a card).
    OPEN_STATUSES = (STATUS_PENDING, STATUS_FAILED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name='payments')
    provider = models.CharField(max_length=20)
    provider_id = models.CharField(max_length=255, unique=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=STATUS_PENDING)
    # Why the provider's word was not accepted (an amount that does not match the order), for staff.
    flagged_reason = models.CharField(max_length=255, blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f'{self.provider} payment {self.provider_id}'

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    class Meta:
        indexes = [models.Index(fields=['status', 'created_at'], name='store_payment_status_idx')]


class PaymentEvent(models.Model):
    """A provider's webhook event, recorded in the transaction that applies it: each is applied once."""
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f'{self.provider} event {self.event_id}'

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=['provider', 'event_id'], name='store_paymentevent_once_per_provider'),
        ]
