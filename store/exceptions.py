"""The store's business errors. Services raise them; one DRF exception handler
(`store.exception_handler`) turns them into responses with the course's status codes, keys and messages.

A `StoreError` is a refused request (400); `field` names the input it is about, or None for the request
as a whole. `NotFound` and `Conflict` are the other two kinds of refusal.
"""


class StoreError(Exception):
    """A business rule refused the operation; the message says why."""
    field = None

    @property
    def messages(self):
        return [str(self)]


class NotFound(StoreError):
    """What the operation needs does not exist."""


class Conflict(StoreError):
    """The request contradicts one made before."""


class Unavailable(StoreError):
    """A service the operation depends on (a payment provider) failed or could not be reached."""


class RowNotFound(NotFound):
    """The row a request names is gone: deleted before, or by a concurrent request since it was read."""

    def __init__(self, model):
        # DRF's get_object() message for a missing row, so both 404s read the same.
        super().__init__(f'No {model._meta.object_name} matches the given query.')


class CartNotFound(NotFound):
    def __init__(self):
        super().__init__('No Cart matches the given query.')


class OutOfStock(StoreError):
    """A cart line or an order asks for more units of a product than are available."""
    field = 'quantity'

    def __init__(self, product, available):
        super().__init__(product, available)
        self.product = product
        self.available = available

    def __str__(self):
        return f'Only {self.available} units of "{self.product.title}" are available.'


class OrderError(StoreError):
    """An order cannot be placed or changed."""


class CancelledOrderCannotBePaid(OrderError):
    field = 'payment_status'

    def __init__(self):
        super().__init__('A cancelled order cannot be marked as paid: its stock has been returned.')


class CartCannotBeOrdered(OrderError):
    """The cart named by `cart_id` cannot become an order."""
    field = 'cart_id'


class InsufficientStock(CartCannotBeOrdered):
    def __init__(self, shortages):
        super().__init__(*shortages)
        self.shortages = shortages

    def __str__(self):
        return ' '.join(str(shortage) for shortage in self.shortages)

    @property
    def messages(self):
        return [str(shortage) for shortage in self.shortages]


class IdempotencyKeyReused(Conflict, OrderError):
    pass


class PaymentRefused(OrderError):
    """This order cannot take a payment (cancelled, paid, refunded or expired)."""


class PaymentProviderError(Unavailable):
    """The payment provider refused the call or could not be reached; nothing was changed here."""


class InvalidWebhook(StoreError):
    """A webhook whose signature does not verify, or whose body is not an event."""
