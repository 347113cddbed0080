from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import ngettext

from . import models, services
from .exceptions import RowNotFound, StoreError
from .serializers import ShipOrderSerializer
from .caching import invalidate_catalogue
from .signals import announce_products_changed


class LockedChangeMixin:
    """A change form's POST locks the row before reading it (Django runs the change view in one
    transaction), so a concurrent delete waits, and a row deleted before is Django's "doesn't exist"
    message; a changelist's editable rows are locked as each is saved. The save's UPDATE always finds
    its row and never falls back to re-inserting it."""

    def get_object(self, request, object_id, from_field=None):
        if request.method == 'POST':
            field = self.model._meta.get_field(from_field) if from_field else self.model._meta.pk
            try:
                value = field.to_python(object_id)
            except ValidationError:
                return None
            if not services.lock_row(self.model, **{field.attname: value}):
                return None
        return super().get_object(request, object_id, from_field)

    def save_model(self, request, obj, form, change):
        # A changelist's editable rows were read before its transaction began: each is locked before its
        # save too, and one deleted meanwhile is left deleted, with a warning.
        if change and not services.lock_row(self.model, pk=obj.pk):
            self.message_user(request, f'The {self.model._meta.verbose_name} “{obj}” was deleted meanwhile: '
                                       'its change was not saved.', messages.WARNING)
            return
        super().save_model(request, obj, form, change)


class OrderAdminForm(forms.ModelForm):
    def clean_payment_status(self):
        payment_status = self.cleaned_data['payment_status']
        if not self.instance.may_take_payment_status(payment_status):
            raise ValidationError(str(services.payment_status_refusal(self.instance)))
        return payment_status


def changelist_link(model_name, filter_field, obj_id, text):
    """A link to another changelist filtered to the rows that point at `obj_id`."""
    url = reverse(f'admin:store_{model_name}_changelist') + '?' + urlencode({filter_field: str(obj_id)})
    return format_html('<a href="{}">{}</a>', url, text)


def image_thumbnail(product_image):
    if product_image is None or product_image.image.name == '':
        return ''
    return format_html('<img src="{}" class="thumbnail" alt="" />', product_image.image.url)


class InventoryFilter(admin.SimpleListFilter):
    title = 'inventory'
    parameter_name = 'inventory'

    def lookups(self, request, model_admin):
        return [('<10', 'Low')]

    def queryset(self, request, queryset):
        if self.value() == '<10':
            return queryset.filter(inventory__lt=10)
        return queryset


class ProductImageInline(admin.TabularInline):
    model = models.ProductImage
    readonly_fields = ['thumbnail']
    extra = 0

    def thumbnail(self, instance):
        return image_thumbnail(instance)


@admin.register(models.Product)
class ProductAdmin(LockedChangeMixin, admin.ModelAdmin):
    autocomplete_fields = ['collection', 'promotions']
    prepopulated_fields = {'slug': ['title']}
    actions = ['clear_inventory']
    inlines = [ProductImageInline]
    list_display = ['thumbnail', 'title', 'unit_price', 'sale_price', 'inventory_status', 'collection_title']
    list_display_links = ['title']
    list_editable = ['unit_price']
    list_filter = ['collection', 'last_update', InventoryFilter]
    list_per_page = 10
    list_select_related = ['collection']
    ordering = ['title']
    search_fields = ['title']

    @admin.display(description='Image')
    def thumbnail(self, product):
        return image_thumbnail(next(iter(product.images.all()), None))

    def get_queryset(self, request):
        return super().get_queryset(request).with_sale_price().prefetch_related('images')

    @admin.display(description='sale price')
    def sale_price(self, product):
        return product.sale_price

    @admin.display(ordering='collection__title')
    def collection_title(self, product):
        return product.collection.title

    @admin.display(ordering='inventory')
    def inventory_status(self, product):
        return 'Low' if product.inventory < 10 else 'OK'

    @admin.action(description='Clear inventory')
    def clear_inventory(self, request, queryset):
        product_ids = list(queryset.values_list('pk', flat=True))
        updated_count = queryset.update(inventory=0)
        invalidate_catalogue()
        announce_products_changed(product_ids)
        message = ngettext(
            '%(count)d product was successfully updated.',
            '%(count)d products were successfully updated.',
            updated_count,
        ) % {'count': updated_count}
        self.message_user(request, message, messages.SUCCESS)

    class Media:
        css = {'all': ['store/styles.css']}


class ProductsCountMixin:
    """A `products_count` column: the row's products (`products_relation` counts them), linked to the
    product list filtered by `products_filter`.

    The annotation's GROUP BY makes Django drop Meta.ordering: an admin using it states its `ordering`
    (else its list and autocomplete would be unordered).
    """
    products_relation = None
    products_filter = None

    @admin.display(description='products', ordering='products_count')
    def products_count(self, obj):
        return changelist_link('product', self.products_filter, obj.id, obj.products_count)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(products_count=Count(self.products_relation))


@admin.register(models.Collection)
class CollectionAdmin(LockedChangeMixin, ProductsCountMixin, admin.ModelAdmin):
    autocomplete_fields = ['featured_product']
    list_display = ['title', 'products_count']
    ordering = ['title']
    search_fields = ['title']
    products_relation, products_filter = 'products', 'collection__id'


class PromotionProductInline(admin.TabularInline):
    """The products a promotion applies to (the course's Product.promotions, from the promotion's side)."""
    model = models.Product.promotions.through
    autocomplete_fields = ['product']
    extra = 0
    verbose_name, verbose_name_plural = 'product', 'products'

    def get_queryset(self, request):
        return super().get_queryset(request).select_related('product')


class PromotionWindowFilter(admin.SimpleListFilter):
    title = 'window'
    parameter_name = 'window'

    def lookups(self, request, model_admin):
        return [('active', 'Active now'), ('upcoming', 'Upcoming'), ('ended', 'Ended')]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == 'active':
            return queryset.active(now)
        if self.value() == 'upcoming':
            return queryset.filter(starts_at__gt=now)
        if self.value() == 'ended':
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(models.Promotion)
class PromotionAdmin(LockedChangeMixin, ProductsCountMixin, admin.ModelAdmin):
    inlines = [PromotionProductInline]
    list_display = ['description', 'discount', 'starts_at', 'ends_at', 'products_count']
    list_filter = [PromotionWindowFilter, 'starts_at']
    ordering = ['-starts_at', 'id']
    search_fields = ['description']
    products_relation, products_filter = 'product', 'promotions__id'


class AddressInline(admin.StackedInline):
    model = models.Address
    extra = 0


@admin.register(models.Customer)
class CustomerAdmin(LockedChangeMixin, admin.ModelAdmin):
    inlines = [AddressInline]
    autocomplete_fields = ['user']
    list_display = ['first_name', 'last_name', 'membership', 'orders']
    list_editable = ['membership']
    list_per_page = 10
    list_select_related = ['user']
    ordering = ['user__first_name', 'user__last_name']
    search_fields = ['user__first_name__istartswith', 'user__last_name__istartswith']

    @admin.display(ordering='orders_count')
    def orders(self, customer):
        count = customer.orders_count
        text = ngettext('%(count)d order', '%(count)d orders', count) % {'count': count}
        return changelist_link('order', 'customer__id', customer.id, text)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(orders_count=Count('order'))


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that shows its selected option from the object the form already holds
    (`preloaded`) instead of querying for it, so an inline of N lines does not cost N queries."""
    preloaded = None

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if self.preloaded is None or selected != [str(self.preloaded.pk)]:
            return super().optgroups(name, value, attr)  # a new or changed choice: look it up
        options = [] if self.is_required else [self.create_option(name, '', '', False, 0)]
        label = self.choices.field.label_from_instance(self.preloaded)
        options.append(self.create_option(name, self.preloaded.pk, label, True, len(options)))
        return [(None, options, 0)]


class OrderItemForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        product_field = self.instance._meta.get_field('product')
        widget = getattr(self.fields['product'].widget, 'widget', self.fields['product'].widget)
        if isinstance(widget, PreloadedAutocompleteSelect) and product_field.is_cached(self.instance):
            widget.preloaded = self.instance.product


class OrderItemInline(admin.TabularInline):
    model = models.OrderItem
    form = OrderItemForm
    autocomplete_fields = ['product']
    fields = ['product', 'quantity', 'unit_price', 'list_price', 'promotion']
    readonly_fields = ['promotion']  # what applied when the order was placed
    extra = 0
    min_num = 1
    max_num = 10

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == 'product':
            kwargs['widget'] = PreloadedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get('using'))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        # One query for the lines, their products and promotions: each line's title ("2 × Espresso") and widgets.
        return super().get_queryset(request).select_related('product', 'promotion')


class ReadOnlyInline(admin.TabularInline):
    """Rows staff look at but never add, change or delete here (others write them)."""
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderEventInline(ReadOnlyInline):
    """The order's history, written by the services."""
    model = models.OrderEvent
    fields = ['created_at', 'type', 'actor_type', 'actor_username', 'data']
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    """Each attempt to collect the order's total; written by the payment services only."""
    model = models.Payment
    fields = ['provider', 'provider_id', 'amount', 'currency', 'status', 'flagged_reason', 'refund_id',
              'created_at', 'updated_at']
    readonly_fields = fields


class OrderActionForm(ActionForm):
    """The changelist's action bar, with what the "ship" action needs."""
    carrier = forms.CharField(required=False)
    tracking_number = forms.CharField(required=False)
    override = forms.BooleanField(required=False, label='Ship unpaid (manual payments)')


@admin.register(models.Order)
class OrderAdmin(LockedChangeMixin, admin.ModelAdmin):
    form = OrderAdminForm
    action_form = OrderActionForm
    actions = ['ship', 'deliver']
    autocomplete_fields = ['customer']
    inlines = [OrderItemInline, PaymentInline, OrderEventInline]
    readonly_fields = ['subtotal', 'tax', 'total', 'currency', 'shipping_address',
                       'fulfilment_status', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at']
    list_display = ['id', 'placed_at', 'customer', 'payment_status', 'fulfilment_status', 'total']
    list_filter = ['payment_status', 'fulfilment_status', 'placed_at']
    list_per_page = 20
    list_select_related = ['customer__user']
    ordering = ['-placed_at']
    search_fields = ['customer__user__first_name', 'customer__user__last_name', 'customer__user__email']

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else [OrderItemInline]  # a new order has no payments nor events

    def save_model(self, request, obj, form, change):
        if not (change and 'payment_status' in form.changed_data):
            return super().save_model(request, obj, form, change)
        # A new payment status goes through the service, as the API's PATCH does: the manual payment
        # follows it, the event is recorded, and a payment is acknowledged by e-mail.
        payment_status, obj.payment_status = obj.payment_status, form.initial['payment_status']
        super().save_model(request, obj, form, change)
        try:
            services.update_order(order=obj, payment_status=payment_status, actor=request.user)
        except RowNotFound:
            return  # deleted meanwhile: LockedChangeMixin has said so
        obj.payment_status = payment_status

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:  # placed here by staff: its money is fixed from the lines just saved
            services.price_order(order=form.instance, actor=request.user)

    @admin.action(description='Ship the selected orders (with the carrier and tracking number given)')
    def ship(self, request, queryset):
        # The API's rules for the carrier and tracking number (required, lengths).
        serializer = ShipOrderSerializer(data={
            'carrier': request.POST.get('carrier', ''), 'tracking_number': request.POST.get('tracking_number', ''),
            'override': bool(request.POST.get('override'))})
        if not serializer.is_valid():
            errors = '; '.join(f'{field}: {" ".join(map(str, messages_))}' for field, messages_ in serializer.errors.items())
            self.message_user(request, f'Nothing shipped. {errors}', messages.ERROR)
            return
        self.apply_to_each(request, queryset, 'shipped',
                           lambda order: services.ship_order(order=order, actor=request.user, **serializer.validated_data))

    @admin.action(description='Mark the selected orders delivered')
    def deliver(self, request, queryset):
        self.apply_to_each(request, queryset, 'delivered', lambda order: services.deliver_order(order=order, actor=request.user))

    def apply_to_each(self, request, queryset, done, change):
        """Run a service on each selected order (in its own transaction); refusals are reported per order."""
        changed = 0
        for order in queryset.order_by('pk'):
            try:
                change(order)
            except StoreError as error:
                self.message_user(request, f'{order}: {error}', messages.ERROR)
            else:
                changed += 1
        if changed:
            message = ngettext('%(count)d order was %(done)s.', '%(count)d orders were %(done)s.', changed)
            self.message_user(request, message % {'count': changed, 'done': done}, messages.SUCCESS)


def cart_items_with_sale_prices():
    """Cart lines with their products and sale prices (what the lines' totals are at), in two queries."""
    return models.CartItem.objects.prefetch_related(Prefetch('product', queryset=models.Product.objects.with_sale_price()))


class CartItemInline(ReadOnlyInline):
    """Carts are filled through the API."""
    model = models.CartItem
    fields = ['product', 'quantity', 'unit_price', 'sale_price', 'total_price']
    readonly_fields = fields

    @admin.display(description='unit price')
    def unit_price(self, item):
        return item.product.unit_price

    @admin.display(description='sale price')
    def sale_price(self, item):
        return item.product.sale_price

    def get_queryset(self, request):
        return cart_items_with_sale_prices()


@admin.register(models.Cart)
class CartAdmin(admin.ModelAdmin):
    """Carts belong to the shoppers who fill them through the API: staff look at them and may delete them."""
    fields = ['id', 'created_at', 'updated_at', 'items_count', 'total_price']
    readonly_fields = fields
    inlines = [CartItemInline]
    list_display = ['id', 'created_at', 'updated_at', 'items_count', 'total_price']
    list_filter = ['updated_at']
    list_per_page = 20
    ordering = ['-updated_at', 'id']

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description='items', ordering='items_count')
    def items_count(self, cart):
        return cart.items_count

    @admin.display(description='total price')
    def total_price(self, cart):
        # At sale prices, as the API totals it: rounded per unit, which SQL cannot do the same on every engine.
        return cart.total_price.quantize(models.CENT)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(items_count=Count('items')).prefetch_related(
            Prefetch('items', queryset=cart_items_with_sale_prices()))


@admin.register(models.Review)
class ReviewAdmin(LockedChangeMixin, admin.ModelAdmin):
    autocomplete_fields = ['product']
    list_display = ['product', 'name', 'date']
    list_filter = ['date']
    list_per_page = 20
    list_select_related = ['product']
    ordering = ['-date', '-id']
    search_fields = ['name', 'description', 'product__title']


@admin.register(models.ProductImage)
class ProductImageAdmin(LockedChangeMixin, admin.ModelAdmin):
    autocomplete_fields = ['product']
    list_display = ['thumbnail', 'product']
    list_display_links = ['thumbnail', 'product']
    list_per_page = 20
    list_select_related = ['product']
    ordering = ['product__title', 'id']
    search_fields = ['product__title']

    @admin.display(description='Image')
    def thumbnail(self, product_image):
        return image_thumbnail(product_image)

    class Media:
        css = {'all': ['store/styles.css']}
