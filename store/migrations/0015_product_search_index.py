"""A substring index over products' title and description for `?search=`, in each engine's own terms
(store/search.py says how each one is queried, and why these).

- PostgreSQL: pg_trgm GIN indexes on UPPER(column::text), the very expression Django's `icontains` compares.
- SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34+) holding only the index (its content is
  store_product's), kept by triggers.
- MariaDB/MySQL: a (trigram, product_id) table kept by triggers; each product's trigrams come from the
  SEQUENCE engine's numbers. Its column has title's collation, so that a trigram equals what LIKE would match.
  With binary logging on, creating triggers needs SUPER or log_bin_trust_function_creators=1.
Triggers rather than signals: bulk_create, QuerySet.update() and raw SQL keep the index right too.
"""
import contextlib

from django.db import migrations, transaction

SQLITE = [
    ("CREATE VIRTUAL TABLE store_product_search USING fts5("
     "title, description, content='store_product', content_rowid='id', tokenize='trigram')",
     'DROP TABLE store_product_search'),
    ("CREATE TRIGGER store_product_search_insert AFTER INSERT ON store_product BEGIN "
     "INSERT INTO store_product_search(rowid, title, description) VALUES (new.id, new.title, new.description); END",
     'DROP TRIGGER store_product_search_insert'),
    ("CREATE TRIGGER store_product_search_delete AFTER DELETE ON store_product BEGIN "
     "INSERT INTO store_product_search(store_product_search, rowid, title, description) "
     "VALUES ('delete', old.id, old.title, old.description); END",
     'DROP TRIGGER store_product_search_delete'),
    ("CREATE TRIGGER store_product_search_update AFTER UPDATE OF title, description ON store_product BEGIN "
     "INSERT INTO store_product_search(store_product_search, rowid, title, description) "
     "VALUES ('delete', old.id, old.title, old.description); "
     "INSERT INTO store_product_search(rowid, title, description) VALUES (new.id, new.title, new.description); END",
     'DROP TRIGGER store_product_search_update'),
    ("INSERT INTO store_product_search(store_product_search) VALUES ('rebuild')", None),
]

POSTGRESQL = [
    ('CREATE EXTENSION IF NOT EXISTS pg_trgm', None),  # a trusted extension: the database's owner may create it
    ('CREATE INDEX store_product_title_trgm ON store_product USING gin (UPPER(title::text) gin_trgm_ops)',
     'DROP INDEX store_product_title_trgm'),
    ('CREATE INDEX store_product_description_trgm ON store_product USING gin (UPPER(description) gin_trgm_ops)',
     'DROP INDEX store_product_description_trgm'),
]


def mysql_trigrams_of(row):
    """INSERT of every trigram of `row`'s (NEW's) title and description; duplicates meet the primary key."""
    text = f"CONCAT_WS(' ', {row}.title, {row}.description)"
    return ('INSERT IGNORE INTO store_product_trigram (trigram, product_id) '
            f'SELECT SUBSTRING({text}, seq, 3), {row}.id FROM seq_1_to_4294967295 '
            f'WHERE seq <= CHAR_LENGTH({text}) - 2')


def mysql(collation):
    return [
        (f'CREATE TABLE store_product_trigram (trigram VARCHAR(3) COLLATE {collation} NOT NULL, '
         'product_id BIGINT NOT NULL, PRIMARY KEY (trigram, product_id), KEY (product_id))',
         'DROP TABLE store_product_trigram'),
        (f'CREATE TRIGGER store_product_trigram_insert AFTER INSERT ON store_product FOR EACH ROW '
         f'{mysql_trigrams_of("NEW")}',
         'DROP TRIGGER store_product_trigram_insert'),
        ('CREATE TRIGGER store_product_trigram_delete AFTER DELETE ON store_product FOR EACH ROW '
         'DELETE FROM store_product_trigram WHERE product_id = OLD.id',
         'DROP TRIGGER store_product_trigram_delete'),
        ('CREATE TRIGGER store_product_trigram_update AFTER UPDATE ON store_product FOR EACH ROW '
         'IF NOT (BINARY NEW.title <=> BINARY OLD.title AND BINARY NEW.description <=> BINARY OLD.description) THEN '
         'DELETE FROM store_product_trigram WHERE product_id = OLD.id; '
         f'{mysql_trigrams_of("NEW")}; END IF',
         'DROP TRIGGER store_product_trigram_update'),
        (f'INSERT IGNORE INTO store_product_trigram (trigram, product_id) '
         f'SELECT SUBSTRING(CONCAT_WS(\' \', p.title, p.description), seq, 3), p.id '
         f'FROM store_product p JOIN seq_1_to_4294967295 ON seq <= CHAR_LENGTH(CONCAT_WS(\' \', p.title, p.description)) - 2',
         None),
    ]


def statements(connection):
    if connection.vendor == 'sqlite':
        return SQLITE
    if connection.vendor == 'postgresql':
        return POSTGRESQL
    if connection.vendor == 'mysql':
        with connection.cursor() as cursor:
            cursor.execute("SELECT collation_name FROM information_schema.columns WHERE table_schema = DATABASE() "
                           "AND table_name = 'store_product' AND column_name = 'title'")
            return mysql(cursor.fetchone()[0])
    return []


def run(connection, sqls):
    # All or nothing where DDL can be rolled back; MariaDB commits each statement (hence atomic=False below).
    with transaction.atomic(using=connection.alias, durable=False) if connection.features.can_rollback_ddl \
            else contextlib.nullcontext(), connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(sql)


def create(apps, schema_editor):
    run(schema_editor.connection, [sql for sql, _ in statements(schema_editor.connection)])


def drop(apps, schema_editor):
    run(schema_editor.connection, [sql for _, sql in reversed(statements(schema_editor.connection)) if sql])


class Migration(migrations.Migration):

    dependencies = [
        ('store', '0014_promotions'),
    ]

    operations = [
        migrations.RunPython(create, drop, atomic=False),
    ]
