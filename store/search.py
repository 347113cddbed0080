"""Products whose title or description contains a search term, found through the engine's index.

`?search=` keeps DRF's SearchFilter meaning: the `icontains` predicate over title and description still
decides every row. The index (store/migrations/0015_product_search_index.py) only narrows the rows that
predicate is tried on, so it must never leave out a match; each engine's lookup below finds a superset:
- PostgreSQL: pg_trgm GIN indexes on UPPER(column::text) answer the `icontains` predicate itself (Django
  compares `UPPER(col::text) LIKE UPPER(%term%)`), and its planner weighs them against the title order
  with its statistics, so nothing is added.
- SQLite: FTS5's trigram tokenizer matches a quoted term as a substring, case folded (a superset of LIKE's
  ASCII-only folding).
- MariaDB/MySQL: FULLTEXT matches whole words, not parts of them, so a table of each product's trigrams;
  a product with every trigram of the term (compared in the column's collation, as LIKE compares) may
  contain it.
On SQLite and MariaDB the candidates' ids are read first, up to MAX_CANDIDATES, and the listing's page and
count then read those rows only. A term in more products than that is left to the scan, which (in title
order) finds a page of such a common term within a few rows, where fetching its thousands of candidates by
id and sorting them takes longer (at 100,000 products, 54 ms against 0.04 for a page of "classic"). A term
shorter than a trigram cannot be looked up either.
"""
from django.db import connections

TRIGRAM = 3
MAX_CANDIDATES = 1000
# MariaDB: the trigrams looked up per term, spread over it; a few narrow as well as all of a long term's.
MAX_LOOKUPS = 6


def trigram_lookup(term):
    """MariaDB: (SQL, params) of the products having every one of (up to MAX_LOOKUPS of) the term's trigrams."""
    trigrams = [term[i:i + TRIGRAM] for i in range(len(term) - TRIGRAM + 1)]
    count = min(len(trigrams), MAX_LOOKUPS)
    first, *others = sorted({trigrams[round(k * (len(trigrams) - 1) / max(count - 1, 1))] for k in range(count)})
    sql = 'SELECT product_id FROM store_product_trigram WHERE trigram = %s' + ''.join(
        ' AND product_id IN (SELECT product_id FROM store_product_trigram WHERE trigram = %s)' for _ in others)
    return sql, [first, *others]


def candidate_ids(term, using='default'):
    """The ids of every product whose title or description may contain `term` (a superset of what
    `icontains` matches), or None when the index does not narrow the scan: PostgreSQL's answers
    `icontains` itself, the term is shorter than a trigram, or in more than MAX_CANDIDATES products."""
    vendor = connections[using].vendor
    if len(term) < TRIGRAM or vendor not in ('sqlite', 'mysql'):
        return None
    if vendor == 'sqlite':
        sql, params = ('SELECT rowid FROM store_product_search WHERE store_product_search MATCH %s',
                       ['"' + term.replace('"', '""') + '"'])
    else:
        sql, params = trigram_lookup(term)
    with connections[using].cursor() as cursor:
        cursor.execute(f'{sql} LIMIT %s', [*params, MAX_CANDIDATES + 1])
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= MAX_CANDIDATES else None
