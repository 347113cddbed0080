"""URLs, builders and expected bodies shared by the /store/customers/ API tests (test_customers*.py)."""
from decimal import Decimal

from model_bakery import baker

from store.models import Customer, Order, OrderItem, Product

CUSTOMERS_URL = '/store/customers/'
UNKNOWN_ID = 999999

NOT_AUTHENTICATED = {'detail': 'Authentication credentials were not provided.'}
NOT_PERMITTED = {'detail': 'You do not have permission to perform this action.'}
REQUIRED = ['This field is required.']


def make_order(customer, item_count=2, **fields):
    """An order written directly with `item_count` lines of distinct products (quantities 1, 2, …)."""
    order = Order.objects.create(customer=customer, **fields)
    for quantity in range(1, item_count + 1):
        product = baker.make(Product, unit_price=Decimal('10.00'), inventory=5)
        OrderItem.objects.create(order=order, product=product, quantity=quantity, unit_price=Decimal('12.50'))
    return order


def user_without_customer(django_user_model, **fields):
    """A user as they were before the create-customer signal existed: no Customer row."""
    user = baker.make(django_user_model, **fields)
    Customer.objects.filter(user=user).delete()
    return user
