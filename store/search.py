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
On SQLite and MariaDB the candidates' ids are read first, and the listing's page and count then read those
rows only, unless the scan is cheaper: in title order it fills a page after about rows × page / matches rows,
where the index reads every candidate by id and sorts them (at 100,000 products a page of "classic",
12,000 candidates, took 54 ms through them against 0.04 ms by the scan). So the index is used while
candidates² ≤ rows × SCAN_PAGE_ROWS, and for at most MAX_CANDIDATES. A term shorter than a trigram cannot
be looked up either.
"""
from django.db import connections

TRIGRAM = 3
MAX_CANDIDATES = 1000
SCAN_PAGE_ROWS = 10  # a default page
# MariaDB: the trigrams looked up per term, spread over it; a few narrow as well as all of a long term's.
MAX_LOOKUPS = 6


def trigram_lookup(term):
    """MariaDB: (SQL, params) of the products having every one of (up to MAX_LOOKUPS of) the term's trigrams."""
    trigrams = [term[i:i + TRIGRAM] for i in range(len(term) - TRIGRAM + 1)]
    count = min(len(trigrams), MAX_LOOKUPS)
    first, *others = sorted({trigrams[round(k * (len(trigrams) - 1) / max(count - 1, 1))] for k in range(count)})
    sql = 'SELECT product_id AS id FROM store_product_trigram WHERE trigram = %s' + ''.join(
        ' AND product_id IN (SELECT product_id FROM store_product_trigram WHERE trigram = %s)' for _ in others)
    return sql, [first, *others]


def candidate_ids(term, using='default'):
    """The ids of every product whose title or description may contain `term` (a superset of what
    `icontains` matches), or None when the scan is left alone: PostgreSQL's index answers `icontains`
    itself, the term is shorter than a trigram, or common enough for the scan to be cheaper."""
    vendor = connections[using].vendor
    if len(term) < TRIGRAM or vendor not in ('sqlite', 'mysql'):
        return None
    if vendor == 'sqlite':
        sql, params = ('SELECT rowid AS id FROM store_product_search WHERE store_product_search MATCH %s',
                       ['"' + term.replace('"', '""') + '"'])
    else:
        sql, params = trigram_lookup(term)
    # With each candidate, the table's rows: near enough its largest id (ids are dense), read from the
    # primary key's end alone.
    with connections[using].cursor() as cursor:
        cursor.execute(f'SELECT candidate.id, (SELECT MAX(id) FROM store_product) '
                       f'FROM ({sql} LIMIT %s) AS candidate', [*params, MAX_CANDIDATES + 1])
        rows = cursor.fetchall()
    if len(rows) > MAX_CANDIDATES or (rows and len(rows) ** 2 > rows[0][1] * SCAN_PAGE_ROWS):
        return None
    return [candidate for candidate, _ in rows]
