"""The staff dashboard (/admin/dashboard/, linked from the admin index): the last 30 days at a glance.

The selectors return plain data in a fixed number of queries whatever the number of orders and products
(seven: the per-day aggregate, the top products, the low-stock count and rows, the waiting orders' counts,
and the oldest orders of each waiting list); `chart` lays the days out as bars for the page's server-rendered SVG (the
Content-Security-Policy allows no inline script, and nothing is loaded from another host).
"""
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import TruncDate
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .models import CENT, Order, OrderItem, Product

WINDOW_DAYS = 30
LOW_STOCK_BELOW = 10  # the product admin's 'Low' inventory filter (admin.InventoryFilter)
LIST_LENGTH = 5

NOT_CANCELLED = Q(cancelled_at__isnull=True)
WAITING_FOR_PAYMENT = Q(payment_status__in=Order.UNPAID_STATUSES) & NOT_CANCELLED
WAITING_TO_SHIP = (Q(payment_status=Order.PAYMENT_STATUS_COMPLETE, fulfilment_status=Order.FULFILMENT_UNFULFILLED)
                   & NOT_CANCELLED)


def money(value):
    # SQLite sums decimals without their decimal places (and None for no rows).
    return (value or Decimal(0)).quantize(CENT)


def window_start():
    """The first day of the window: today and the 29 days before it, in the site's time zone."""
    return timezone.localdate() - timedelta(days=WINDOW_DAYS - 1)


def day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_orders(*, since):
    """One row per day from `since` to today, days without orders included: the orders placed (cancelled
    ones counted, and counted apart) and the revenue, the totals of the orders not cancelled."""
    rows = (Order.objects.filter(placed_at__gte=day_start(since))
            .values(day=TruncDate('placed_at'))
            .annotate(orders=Count('id'), cancelled=Count('id', filter=~NOT_CANCELLED),
                      revenue=Sum('total', filter=NOT_CANCELLED))
            .order_by('day'))
    by_day = {row['day']: row for row in rows}
    days = []
    for offset in range((timezone.localdate() - since).days + 1):
        day = since + timedelta(days=offset)
        row = by_day.get(day, {})
        days.append({'day': day, 'orders': row.get('orders', 0), 'cancelled': row.get('cancelled', 0),
                     'revenue': money(row.get('revenue'))})
    return days


def top_products(*, since, limit=LIST_LENGTH):
    """The products that sold the most units in orders placed since `since` and not cancelled (their stock
    went back), with the revenue of those lines."""
    rows = (OrderItem.objects
            .filter(order__placed_at__gte=day_start(since),
                    order__cancelled_at__isnull=True)
            .values('product_id', title=F('product__title'))
            .annotate(units=Sum('quantity'),
                      revenue=Sum(F('quantity') * F('unit_price'),
                                  output_field=DecimalField(max_digits=14, decimal_places=2)))
            .order_by('-units', '-revenue', 'title')[:limit])
    return [{**row, 'revenue': money(row['revenue'])} for row in rows]


def low_stock(*, limit=LIST_LENGTH * 2):
    """How many products are low on stock, and the lowest of them."""
    products = Product.objects.filter(inventory__lt=LOW_STOCK_BELOW)
    return {'count': products.count(),
            'products': list(products.values('id', 'title', 'inventory').order_by('inventory', 'title')[:limit])}


def waiting_orders(*, limit=LIST_LENGTH):
    """The orders waiting for payment and those waiting to ship: how many, their value, and the oldest."""
    totals = Order.objects.aggregate(
        payment_count=Count('id', filter=WAITING_FOR_PAYMENT), payment_value=Sum('total', filter=WAITING_FOR_PAYMENT),
        ship_count=Count('id', filter=WAITING_TO_SHIP), ship_value=Sum('total', filter=WAITING_TO_SHIP))
    fields = ['id', 'placed_at', 'total', 'payment_status', 'customer__user__first_name', 'customer__user__last_name']

    def oldest(condition):
        return [{**row, 'total': money(row['total'])}
                for row in Order.objects.filter(condition).values(*fields).order_by('placed_at', 'id')[:limit]]

    return {
        'payment': {'count': totals['payment_count'], 'value': money(totals['payment_value']),
                    'orders': oldest(WAITING_FOR_PAYMENT)},
        'ship': {'count': totals['ship_count'], 'value': money(totals['ship_value']), 'orders': oldest(WAITING_TO_SHIP)},
    }


def changelist_url(model_name, **params):
    return reverse(f'admin:store_{model_name}_changelist') + ('?' + urlencode(params) if params else '')


def links(*, since):
    """The filtered admin changelists behind each block (their parameters are the admin's own filters and
    lookups on the order's fields)."""
    return {
        'orders': changelist_url('order', placed_at__gte=str(day_start(since))),
        'products': changelist_url('product'),
        'low_stock': changelist_url('product', inventory=f'<{LOW_STOCK_BELOW}'),
        'payment': changelist_url('order', payment_status__in=','.join(Order.UNPAID_STATUSES),
                                  cancelled_at__isnull='True'),
        'ship': changelist_url('order', payment_status__exact=Order.PAYMENT_STATUS_COMPLETE,
                               fulfilment_status__exact=Order.FULFILMENT_UNFULFILLED, cancelled_at__isnull='True'),
    }


# The chart's drawing area, in SVG user units (the SVG scales to the page's width).
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_RIGHT, CHART_BOTTOM, CHART_TOP = 720, 150, 56, 16, 22, 8


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above `value` (at least 1): the axis' top."""
    value = max(value, 1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal('2.5'), 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def chart(days, key):
    """Bars for `key` ('orders' or 'revenue') of each day: x, y, width and height in SVG units, with the
    cancelled share of an orders bar drawn apart; the axis ticks; a date label every 7 days back from today."""
    top = nice_ceiling(max(Decimal(day[key]) for day in days))
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = Decimal(CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / len(days)
    baseline = CHART_HEIGHT - CHART_BOTTOM

    def height(value):
        return float(Decimal(value) * plot_height / top)

    bars = []
    for index, day in enumerate(days):
        x = float(CHART_LEFT + slot * index + slot / 10)
        bar = {'day': day['day'], 'value': day[key], 'x': x, 'width': float(slot * 8 / 10),
               'height': height(day[key]), 'label_x': float(CHART_LEFT + slot * index + slot / 2),
               'label': (len(days) - 1 - index) % 7 == 0}
        bar['y'] = baseline - bar['height']
        if key == 'orders':
            bar['cancelled'] = day['cancelled']
            bar['cancelled_height'] = height(day['cancelled'])
        bars.append(bar)
    ticks = [{'y': baseline - height(value), 'value': value} for value in (top, top / 2, 0)]
    return {'bars': bars, 'ticks': ticks, 'width': CHART_WIDTH, 'height': CHART_HEIGHT, 'left': CHART_LEFT,
            'right': CHART_WIDTH - CHART_RIGHT, 'tick_x': CHART_LEFT - 6, 'day_y': CHART_HEIGHT - 6}


def dashboard_data():
    since = window_start()
    days = daily_orders(since=since)
    orders = sum(day['orders'] for day in days)
    cancelled = sum(day['cancelled'] for day in days)
    revenue = sum((day['revenue'] for day in days), Decimal(0))
    kept = orders - cancelled
    return {
        'since': since, 'days': days, 'window_days': WINDOW_DAYS, 'currency': settings.CURRENCY,
        'time_zone': settings.TIME_ZONE,
        'orders_chart': chart(days, 'orders'), 'revenue_chart': chart(days, 'revenue'),
        'totals': {'orders': orders, 'cancelled': cancelled, 'revenue': revenue,
                   'average': (revenue / kept).quantize(CENT) if kept else None},
        'top_products': top_products(since=since), 'low_stock': low_stock(), 'low_stock_below': LOW_STOCK_BELOW,
        'waiting': waiting_orders(), 'links': links(since=since),
    }


def dashboard(request):
    # Staff see the figures of what they may view in the admin: orders and products.
    if not request.user.has_perms(['store.view_order', 'store.view_product']):
        raise PermissionDenied
    context = {**admin.site.each_context(request), 'title': 'Dashboard', **dashboard_data()}
    return TemplateResponse(request, 'store/dashboard.html', context)


# The admin's own guard: staff only (others go to the admin login), never cached.
dashboard_view = admin.site.admin_view(dashboard)
