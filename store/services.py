"""Business operations that write several rows: each owns its transaction and its locks."""
from django.db import transaction
from django.shortcuts import get_object_or_404

from .models import MAX_LINE_QUANTITY, Cart, CartItem, Product


class OutOfStock(Exception):
    """A cart line or an order asks for more units of a product than are available."""

    def __init__(self, product, available):
        super().__init__(product, available)
        self.product = product
        self.available = available

    def __str__(self):
        return f'Only {self.available} units of "{self.product.title}" are available.'


def check_stock(*, product, quantity):
    available = min(product.inventory, MAX_LINE_QUANTITY)
    if quantity > available:
        raise OutOfStock(product, max(available, 0))


@transaction.atomic
def add_to_cart(*, cart_id, product_id, quantity):
    """Add `quantity` units of a product to a cart, merging with the product's existing line."""
    # Locking the cart serialises concurrent adds to it, so two requests cannot both create the line.
    get_object_or_404(Cart.objects.select_for_update(), pk=cart_id)
    product = get_object_or_404(Product, pk=product_id)
    item = CartItem.objects.filter(cart_id=cart_id, product=product).first()
    if item is None:
        check_stock(product=product, quantity=quantity)
        return CartItem.objects.create(cart_id=cart_id, product=product, quantity=quantity)
    check_stock(product=product, quantity=item.quantity + quantity)
    item.quantity += quantity
    item.save(update_fields=['quantity'])
    return item
