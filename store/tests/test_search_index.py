"""`?search=` answered from the engine's substring index (store/search.py) finds exactly what a plain
`icontains` scan finds, over a few hundred generated queries, on whichever engine the suite runs on; and
the index is what the engine uses."""
import operator
import random
from functools import reduce

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from store import search
from store.filters import ProductSearchFilter
from store.models import Collection, Product
from store.views import ProductViewSet

pytestmark = pytest.mark.django_db

WORDS = ['Coffee', 'espresso', 'TEA', 'teapot', 'Kettle', 'mug', 'Café', 'crème', 'brûlée', 'Straße', 'façade',
         'naïve', 'Ωmega', 'mañana', 'grün', 'Ærø', '100%', 'cotton_blend', 'back\\slash', "o'clock", '"quoted"',
         'x-large', '2-pack', 'a', 'ab', 'abc', 'zz', 'Zzyzx', '🙂', 'emoji🙂mug']
RNG_SEED = 17


def text(rng, words):
    return ' '.join(rng.choice(WORDS) for _ in range(words))


@pytest.fixture
def catalogue():
    """Products written every way rows reach the table: bulk inserts, saves, updates, deletes."""
    rng = random.Random(RNG_SEED)
    collection = baker.make(Collection)
    Product.objects.bulk_create(
        Product(title=text(rng, rng.randint(1, 4)), slug='p', unit_price=10, inventory=1, collection=collection,
                description=None if rng.random() < 0.15 else text(rng, rng.randint(0, 8)))
        for _ in range(150))
    for _ in range(20):
        baker.make(Product, collection=collection, title=text(rng, 3), description=text(rng, 5))
    ids = list(Product.objects.values_list('id', flat=True))
    for product_id in rng.sample(ids, 20):
        Product.objects.filter(id=product_id).update(title=text(rng, 2), description=text(rng, 3))
    for product in Product.objects.filter(id__in=rng.sample(ids, 10)):
        product.title, product.description = text(rng, 3), None
        product.save()
    Product.objects.filter(id__in=rng.sample(ids, 15)).delete()
    return list(Product.objects.values_list('title', 'description'))


def queries(rows, count):
    """Substrings of the products' text (case changed at random), words that are nowhere, short terms,
    several terms, quoted phrases and characters LIKE treats specially."""
    rng = random.Random(RNG_SEED + 1)
    texts = [value for row in rows for value in row if value]

    def piece():
        source = rng.choice(texts)
        start = rng.randrange(len(source))
        cut = source[start:start + rng.randint(1, 12)].strip()
        return ''.join(c.upper() if rng.random() < 0.3 else c for c in cut) or 'x'

    made = []
    for i in range(count):
        kind = i % 6
        if kind == 0:
            made.append(piece().replace(' ', ''))
        elif kind == 1:
            made.append(' '.join(piece().replace(' ', '') for _ in range(rng.randint(2, 3))))
        elif kind == 2:
            made.append('"' + piece().replace('"', '') + '"')
        elif kind == 3:
            made.append(rng.choice(['nowhere', 'qqq', 'é', '%', '_', '\\', "'", '%%', '_a_', 'b\\s', 'Ω',
                                    'STRASSE', 'strasse', 'ss', 'cafe', 'CAFÉ', 'ÇADE', '🙂', 'emoji🙂']))
        elif kind == 4:
            made.append(rng.choice(WORDS).upper().strip('"'))
        else:
            made.append(piece()[:2].strip() or 'a')
    return made


def searching(query):
    """The products ProductSearchFilter leaves for `?search=<query>`."""
    request = Request(APIRequestFactory().get('/store/products/', {'search': query}))
    view = ProductViewSet(request=request, format_kwarg=None)
    return ProductSearchFilter().filter_queryset(request, Product.objects.all(), view)


def searched(query):
    return set(searching(query).values_list('id', flat=True))


def scanned(query):
    terms = ProductSearchFilter().get_search_terms(Request(APIRequestFactory().get('/', {'search': query})))
    condition = reduce(operator.and_, (Q(title__icontains=term) | Q(description__icontains=term) for term in terms))
    return set(Product.objects.filter(condition).values_list('id', flat=True))


@pytest.mark.parametrize('max_candidates', [search.MAX_CANDIDATES, 3], ids=['narrowed', 'common-terms-scanned'])
def test_the_index_finds_what_a_scan_finds(catalogue, max_candidates, monkeypatch):
    monkeypatch.setattr(search, 'MAX_CANDIDATES', max_candidates)
    generated = queries(catalogue, 300)
    differing = [(query, searched(query) ^ scanned(query)) for query in generated]
    assert [pair for pair in differing if pair[1]] == []
    matched = sum(1 for query in generated if scanned(query))
    assert matched > 150, 'the generated queries should mostly find something'


def test_changes_after_the_searches_are_found_at_once(catalogue):
    product = Product.objects.first()
    assert searched('Zebrawood') == set()
    Product.objects.filter(id=product.id).update(description='Made of zebrawood.')
    assert searched('Zebrawood') == {product.id}
    product.refresh_from_db()
    product.title, product.description = 'Plain', 'Plain'
    product.save()
    assert searched('Zebrawood') == set()
    baker.make(Product, collection=product.collection, title='Zebrawood box')
    assert len(searched('zebraWOOD')) == 1


def plan_of(queryset):
    if connection.vendor == 'postgresql':
        with connection.cursor() as cursor:
            # A table this small is read whole (or in title order); show that the index can answer.
            cursor.execute('SET LOCAL enable_seqscan = off')
            return queryset.order_by().explain()
    return queryset.explain()


INDEX_TABLE = {'sqlite': 'store_product_search', 'mysql': 'store_product_trigram'}


def test_the_engine_answers_a_search_from_its_index(catalogue):
    with CaptureQueriesContext(connection) as captured:
        queryset = searching('espresso')
    if connection.vendor == 'postgresql':
        assert 'store_product_title_trgm' in plan_of(queryset)
    else:  # the candidates' ids come from the index, and the listing reads those rows by primary key
        assert [INDEX_TABLE[connection.vendor] in query['sql'] for query in captured.captured_queries] == [True]
        assert ('PRIMARY' if connection.vendor == 'mysql' else 'INTEGER PRIMARY KEY') in plan_of(queryset)


def test_the_api_search_keeps_the_course_results(api_client, catalogue):
    expected = scanned('espresso kettle')
    response = api_client.get('/store/products/', {'search': 'espresso kettle', 'page_size': 100})
    assert response.status_code == 200
    assert response.json()['count'] == len(expected)
    assert {product['id'] for product in response.json()['results']} == expected


@pytest.mark.parametrize('query', ['"   "', '***', 'a""b', '"espresso" OR "tea"', 'NEAR(mug tea)', 'mug*', '^tea',
                                   '{title}: mug', '🙂🙂🙂', 'x' * 3000, "' OR 1=1 --"])
def test_search_syntax_of_the_index_is_matched_literally(api_client, catalogue, query):
    response = api_client.get('/store/products/', {'search': query, 'page_size': 100})
    assert response.status_code == 200
    assert {product['id'] for product in response.json()['results']} == scanned(query)
