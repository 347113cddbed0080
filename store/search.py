"""Products whose title or description contains a search term, found through the engine's index.

`?search=` keeps DRF's SearchFilter meaning: the `icontains` predicate over title and description still
decides every row. The index (store/migrations/0015_product_search_index.py) only narrows the rows that
predicate is tried on, so it must never leave out a match; each engine's lookup below finds a superset:
- PostgreSQL: pg_trgm GIN indexes on UPPER(column::text) answer the `icontains` predicate itself (Django
  compares `UPPER(col::text) LIKE UPPER(%term%)`), so no narrowing is added.
- SQLite: FTS5's trigram tokenizer matches a quoted term as a substring, case folded (a superset of LIKE's
  ASCII-only folding). The matching ids are read first, up to MAX_CANDIDATES: a term in more products than
  that is left to the scan, which (in title order) finds a page of such a common term within a few rows,
  where fetching its thousands of candidates by id and sorting them would take longer.
- MariaDB/MySQL: FULLTEXT matches whole words, not parts of them, so a table of each product's trigrams;
  a product with every trigram of the term (compared in the column's collation, as LIKE compares) may
  contain it.
A term shorter than a trigram cannot be looked up: the predicate alone matches it, over the rows the other
terms leave.
"""
from django.db import connections
from django.db.models.expressions import RawSQL

TRIGRAM = 3
MAX_CANDIDATES = 1000
# MariaDB: the trigrams looked up per term, spread over it; a few narrow as well as all of a long term's.
MAX_LOOKUPS = 6


def candidates_containing(term, using='default'):
    """Lists or subqueries of product ids, each including every product whose title or description
    contains `term` (as `icontains` matches); none when the engine's index answers `icontains` itself,
    the term is shorter than a trigram or (SQLite) too common to narrow the scan."""
    vendor = connections[using].vendor
    if len(term) < TRIGRAM:
        return []
    if vendor == 'sqlite':
        phrase = '"' + term.replace('"', '""') + '"'
        with connections[using].cursor() as cursor:
            cursor.execute('SELECT rowid FROM store_product_search WHERE store_product_search MATCH %s LIMIT %s',
                           [phrase, MAX_CANDIDATES + 1])
            ids = [row[0] for row in cursor.fetchall()]
        return [ids] if len(ids) <= MAX_CANDIDATES else []
    if vendor == 'mysql':
        trigrams = [term[i:i + TRIGRAM] for i in range(len(term) - TRIGRAM + 1)]
        count = min(len(trigrams), MAX_LOOKUPS)
        spread = {trigrams[round(k * (len(trigrams) - 1) / max(count - 1, 1))] for k in range(count)}
        return [RawSQL('SELECT product_id FROM store_product_trigram WHERE trigram = %s', [trigram])
                for trigram in sorted(spread)]
    return []
