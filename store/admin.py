from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from . import models
from .caching import invalidate_catalogue


def changelist_link(model_name, filter_field, obj_id, text):
    """A link to another changelist filtered to the rows that point at `obj_id`."""
    url = reverse(f'admin:store_{model_name}_changelist') + '?' + urlencode({filter_field: str(obj_id)})
    return format_html('<a href="{}">{}</a>', url, text)


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
        if instance.image.name != '':
            return format_html('<img src="{}" class="thumbnail" />', instance.image.url)
        return ''


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    autocomplete_fields = ['collection']
    prepopulated_fields = {'slug': ['title']}
    actions = ['clear_inventory']
    inlines = [ProductImageInline]
    list_display = ['thumbnail', 'title', 'unit_price', 'inventory_status', 'collection_title']
    list_display_links = ['title']
    list_editable = ['unit_price']
    list_filter = ['collection', 'last_update', InventoryFilter]
    list_per_page = 10
    list_select_related = ['collection']
    ordering = ['title']
    search_fields = ['title']

    @admin.display(description='Image')
    def thumbnail(self, product):
        image = next(iter(product.images.all()), None)
        if image is None:
            return ''
        return format_html('<img src="{}" class="thumbnail" alt="" />', image.image.url)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related('images')

    @admin.display(ordering='collection__title')
    def collection_title(self, product):
        return product.collection.title

    @admin.display(ordering='inventory')
    def inventory_status(self, product):
        return 'Low' if product.inventory < 10 else 'OK'

    @admin.action(description='Clear inventory')
    def clear_inventory(self, request, queryset):
        updated_count = queryset.update(inventory=0)
        invalidate_catalogue()
        self.message_user(request, f'{updated_count} products were successfully updated.', messages.SUCCESS)

    class Media:
        css = {'all': ['store/styles.css']}


@admin.register(models.Collection)
class CollectionAdmin(admin.ModelAdmin):
    autocomplete_fields = ['featured_product']
    list_display = ['title', 'products_count']
    # Explicit: the Count annotation below makes Django drop Meta.ordering (GROUP BY), so the autocomplete was unordered.
    ordering = ['title']
    search_fields = ['title']

    @admin.display(ordering='products_count')
    def products_count(self, collection):
        return changelist_link('product', 'collection__id', collection.id, collection.products_count)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(products_count=Count('products'))


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    autocomplete_fields = ['user']
    list_display = ['first_name', 'last_name', 'membership', 'orders']
    list_editable = ['membership']
    list_per_page = 10
    list_select_related = ['user']
    ordering = ['user__first_name', 'user__last_name']
    search_fields = ['user__first_name__istartswith', 'user__last_name__istartswith']

    @admin.display(ordering='orders_count')
    def orders(self, customer):
        return changelist_link('order', 'customer__id', customer.id, f'{customer.orders_count} Orders')

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(orders_count=Count('order'))


class OrderItemInline(admin.TabularInline):
    model = models.OrderItem
    autocomplete_fields = ['product']
    extra = 0
    min_num = 1
    max_num = 10


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
    autocomplete_fields = ['customer']
    inlines = [OrderItemInline]
    list_display = ['id', 'placed_at', 'customer', 'payment_status']
    list_filter = ['payment_status', 'placed_at']
    list_per_page = 20
    list_select_related = ['customer__user']
    ordering = ['-placed_at']
