"""core's receiver of store's `order_created` signal (course-part3 §2, §7.2): it logs the order, it does not print."""
import logging

import pytest

from core.signals.handlers import on_order_created
from store.models import Order
from store.signals import order_created

LOGGER_NAME = 'core.signals.handlers'


@pytest.fixture
def order(make_customer):
    return Order.objects.create(customer=make_customer())


@pytest.mark.django_db
class TestOnOrderCreated:
    def test_is_connected_to_order_created(self):
        assert order_created.has_listeners(Order)
        responses = order_created.send(sender=Order, order=Order(pk=1, customer_id=1))
        assert on_order_created in [receiver for receiver, _ in responses]

    def test_logs_one_info_line_naming_the_order(self, order, caplog):
        caplog.set_level(logging.INFO, logger=LOGGER_NAME)

        order_created.send(sender=Order, order=order)

        records = [record for record in caplog.records if record.name == LOGGER_NAME]
        assert len(records) == 1
        assert records[0].levelno == logging.INFO
        assert str(order.pk) in records[0].getMessage()
        assert records[0].getMessage() == f'Order {order.pk} was placed by customer {order.customer_id}.'

    def test_prints_nothing(self, order, capsys):
        order_created.send(sender=Order, order=order)

        captured = capsys.readouterr()
        assert (captured.out, captured.err) == ('', '')

    def test_a_robust_send_reports_no_error(self, order, caplog):
        caplog.set_level(logging.INFO, logger=LOGGER_NAME)

        responses = order_created.send_robust(sender=Order, order=order)

        assert [response for receiver, response in responses if receiver is on_order_created] == [None]
