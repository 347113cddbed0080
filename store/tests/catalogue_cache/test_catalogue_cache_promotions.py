"""The cached catalogue and promotions: a cached page never shows a price that no longer holds.

A promotion's writes change prices as any catalogue write does; its window's start and end change them with
no write at all. The version's row keeps the next such boundary, and the first read after it moves the
version on (store.caching.pass_promotion_boundaries).
"""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from store.caching import catalogue_version
from store.models import CatalogueVersion
from store.signals import products_changed
from store.tasks import watch_promotion_windows
from store.tests.concurrency_helpers import SKIP_ON_SQLITE_REASON, run_workers
from store.tests.factories import make_promotion

from .cache_helpers import CACHED_READ_QUERIES, PRODUCTS_URL, product_url, results_by_id

START = timezone.now().replace(microsecond=0) + timedelta(days=1)
END = START + timedelta(hours=2)


def sale_prices(catalogue, product):
    """The product's sale price as its cached detail page and the cached list show it."""
    return (catalogue.read(product_url(product.pk))['sale_price'],
            results_by_id(catalogue.read(PRODUCTS_URL))[product.pk]['sale_price'])


@pytest.fixture
def announced():
    """The product ids of each products_changed sent, in order."""
    sent = []

    def receiver(sender, product_ids, **kwargs):
        sent.append(sorted(product_ids))
    products_changed.connect(receiver, dispatch_uid='test-announced')
    yield sent
    products_changed.disconnect(dispatch_uid='test-announced')


@pytest.fixture
def sale(committed, mug):
    """20 % off the mug from START to END, committed."""
    with committed():
        return make_promotion(mug, discount='20', starts_at=START, ends_at=END)


@pytest.mark.django_db
class TestWindowBoundaries:
    def test_a_cached_page_shows_the_sale_price_once_the_window_starts(self, catalogue, mug, sale):
        with time_machine.travel(START - timedelta(seconds=1), tick=False):
            catalogue.warm(product_url(mug.pk))
            catalogue.warm(PRODUCTS_URL)
            assert sale_prices(catalogue, mug) == (None, None)

        with time_machine.travel(START, tick=False):
            assert sale_prices(catalogue, mug) == (Decimal('8.00'), Decimal('8.00'))

    def test_and_the_list_price_again_once_it_ends(self, catalogue, mug, sale):
        with time_machine.travel(END - timedelta(seconds=1), tick=False):
            assert catalogue.warm(product_url(mug.pk))['sale_price'] == Decimal('8.00')
            catalogue.warm(PRODUCTS_URL)

        with time_machine.travel(END, tick=False):
            assert sale_prices(catalogue, mug) == (None, None)

    def test_between_boundaries_pages_are_served_from_the_cache(self, catalogue, mug, sale):
        with time_machine.travel(START + timedelta(minutes=1), tick=False):
            catalogue.warm(product_url(mug.pk))
        with time_machine.travel(START + timedelta(minutes=5), tick=False):  # within the cache's timeout
            with catalogue.assert_num_queries(CACHED_READ_QUERIES):
                assert catalogue.get(product_url(mug.pk)).status_code == 200

    def test_the_version_keeps_the_next_boundary(self, mug, sale, committed):
        assert CatalogueVersion.objects.get().next_change_at == START

        with time_machine.travel(START, tick=False):
            catalogue_version()
            assert CatalogueVersion.objects.get().next_change_at == END
        with time_machine.travel(END, tick=False):
            catalogue_version()
            assert CatalogueVersion.objects.get().next_change_at is None

    def test_a_boundary_moves_the_version_on_once(self, mug, sale):
        before = catalogue_version()

        with time_machine.travel(START, tick=False):
            assert catalogue_version() == before + 1
            assert catalogue_version() == before + 1

    def test_boundaries_passed_together_move_it_once(self, mug, committed):
        with committed():
            make_promotion(mug, discount='20', starts_at=START, ends_at=START + timedelta(minutes=1))
            make_promotion(mug, discount='30', starts_at=START + timedelta(minutes=2))
        before = catalogue_version()

        with time_machine.travel(START + timedelta(hours=1), tick=False):
            assert catalogue_version() == before + 1
            assert CatalogueVersion.objects.get().next_change_at is None

    def test_the_products_whose_window_started_are_announced(self, mug, tea, sale, announced, committed):
        with committed():
            make_promotion(tea, discount='5', starts_at=START + timedelta(days=3))
        announced.clear()

        with time_machine.travel(START, tick=False), committed():
            catalogue_version()
        with time_machine.travel(START + timedelta(seconds=1), tick=False), committed():
            catalogue_version()

        assert announced == [[mug.pk]]

    def test_the_periodic_task_passes_a_boundary_nobody_read(self, mug, sale, announced, committed):
        version = CatalogueVersion.objects.get().value

        with time_machine.travel(END, tick=False), committed():
            watch_promotion_windows()

        assert CatalogueVersion.objects.get().value == version + 1
        assert announced == [[mug.pk]]


@pytest.mark.django_db
class TestPromotionWrites:
    @pytest.fixture
    def warm(self, catalogue, mug):
        catalogue.warm(product_url(mug.pk))
        catalogue.warm(PRODUCTS_URL)

    def test_a_new_active_promotion_shows_at_once(self, catalogue, committed, mug, warm):
        with committed():
            make_promotion(mug, discount='25')

        assert sale_prices(catalogue, mug) == (Decimal('7.50'), Decimal('7.50'))

    def test_a_changed_discount_shows_at_once(self, catalogue, committed, mug):
        with committed():
            promotion = make_promotion(mug, discount='25')
        catalogue.warm(product_url(mug.pk))

        with committed():
            promotion.discount = Decimal('50')
            promotion.save()

        assert catalogue.read(product_url(mug.pk))['sale_price'] == Decimal('5.00')

    @pytest.mark.parametrize('unlink', [
        lambda promotion, product: promotion.product_set.remove(product),
        lambda promotion, product: product.promotions.remove(promotion),
        lambda promotion, product: product.promotions.clear(),
        lambda promotion, product: promotion.delete(),
    ], ids=['removed-from-the-promotion', 'removed-from-the-product', 'cleared', 'promotion-deleted'])
    def test_a_product_out_of_the_promotion_loses_its_sale_price_at_once(self, catalogue, committed, mug, unlink):
        with committed():
            promotion = make_promotion(mug, discount='25')
        catalogue.warm(product_url(mug.pk))

        with committed():
            unlink(promotion, mug)

        assert sale_prices(catalogue, mug) == (None, None)

    def test_a_product_linked_from_its_side_shows_at_once(self, catalogue, committed, mug, warm):
        with committed():
            promotion = make_promotion(discount='10')
        catalogue.warm(product_url(mug.pk))

        with committed():
            mug.promotions.add(promotion)

        assert catalogue.read(product_url(mug.pk))['sale_price'] == Decimal('9.00')

    def test_a_rescheduled_window_is_the_next_boundary(self, committed, mug, sale):
        with committed():
            sale.starts_at = START + timedelta(days=1)
            sale.ends_at = None
            sale.save()

        assert CatalogueVersion.objects.get().next_change_at == START + timedelta(days=1)

    def test_a_new_promotion_announces_its_products(self, committed, mug, tea, announced):
        with committed():
            make_promotion(mug, tea, discount='10')

        assert sorted(sum(announced, [])) == sorted([mug.pk, tea.pk])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == 'sqlite', reason=SKIP_ON_SQLITE_REASON)
class TestConcurrentBoundary:
    def test_readers_racing_past_a_boundary_move_the_version_on_once(self, mug, announced):
        make_promotion(mug, discount='20', starts_at=START, ends_at=END)  # commits: the boundary is recorded
        version = CatalogueVersion.objects.get().value
        announced.clear()

        with time_machine.travel(START, tick=False):
            versions = run_workers([catalogue_version] * 8)

        assert set(versions) == {version + 1}
        assert CatalogueVersion.objects.get().next_change_at == END
        assert announced == [[mug.pk]]
