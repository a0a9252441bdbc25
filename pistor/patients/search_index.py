"""The database side of patient search: a trigram index on each database Pistor runs on.

PostgreSQL: a ``pg_trgm`` GIN index on ``search_text`` serves the ``LIKE '%term%'``
substring test the selector sends. SQLite: an FTS5 table with the trigram tokenizer over
``search_text`` (external content, so the text is stored once), kept in step by triggers, so
every write path (services, bulk inserts, ``pistor seed``) fills it without remembering to.
Both answer the same question, "which rows contain this substring", so both databases give
the same results.

Created by migration 0003, and checked again after every ``migrate`` (``ensure_search_index``
runs on ``post_migrate``): SQLite drops a table's triggers when Django rebuilds the table to
alter it, and a later migration on the patient table would otherwise silently stop the
index from following the data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Written out literally in the statements below (no SQL built from strings).
FTS_TABLE = "patients_patient_fts"
PG_INDEX = "patients_patient_search_trgm"
_SQLITE_TRIGGERS = ("patients_patient_fts_ai", "patients_patient_fts_ad", "patients_patient_fts_au")

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS patients_patient_fts USING fts5("
    "search_text, content='patients_patient', content_rowid='id', tokenize='trigram')"
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS patients_patient_fts_ai AFTER INSERT ON patients_patient
    BEGIN
        INSERT INTO patients_patient_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    # An external-content FTS5 table is told the old text on delete ('delete' command).
    """CREATE TRIGGER IF NOT EXISTS patients_patient_fts_ad AFTER DELETE ON patients_patient
    BEGIN
        INSERT INTO patients_patient_fts(patients_patient_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS patients_patient_fts_au
    AFTER UPDATE OF search_text ON patients_patient
    BEGIN
        INSERT INTO patients_patient_fts(patients_patient_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO patients_patient_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_REBUILD = "INSERT INTO patients_patient_fts(patients_patient_fts) VALUES ('rebuild')"
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS patients_patient_fts_ai",
    "DROP TRIGGER IF EXISTS patients_patient_fts_ad",
    "DROP TRIGGER IF EXISTS patients_patient_fts_au",
    "DROP TABLE IF EXISTS patients_patient_fts",
]

POSTGRES_CREATE = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patients_patient_search_trgm "
    "ON patients_patient USING gin (search_text gin_trgm_ops)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS patients_patient_search_trgm"]


def sqlite_index_is_complete(cursor: Any) -> bool:
    cursor.execute(
        "SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND name = %s) "
        "OR (type = 'trigger' AND name IN (%s, %s, %s))",
        [FTS_TABLE, *_SQLITE_TRIGGERS],
    )
    return bool(cursor.fetchone()[0] == 1 + len(_SQLITE_TRIGGERS))


def create_search_index(connection: Any) -> None:
    """Create the index for ``connection``'s database (idempotent) and fill it if new."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if sqlite_index_is_complete(cursor):
                return
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS:
                cursor.execute(sql)
            cursor.execute(SQLITE_REBUILD)
        elif connection.vendor == "postgresql":
            # Look first: PostgreSQL refuses even CREATE INDEX IF NOT EXISTS on a table
            # with pending trigger events (rows written earlier in the same transaction).
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            if cursor.fetchone():
                return
            for sql in POSTGRES_CREATE:
                cursor.execute(sql)


def drop_search_index(connection: Any) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def rebuild_search_index(connection: Any) -> None:
    """Refill the SQLite index from the table (after writes made with its triggers off)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_REBUILD)


@contextmanager
def search_index_paused(connection: Any) -> Iterator[None]:
    """Bulk loading: on SQLite, index the new rows in one pass at the end instead of one
    trigger call per row (several times faster). Use inside a transaction, so nobody sees
    the table without its index. PostgreSQL maintains its GIN index as rows arrive."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for name in _SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in SQLITE_TRIGGERS:
                cursor.execute(sql)
            cursor.execute(SQLITE_REBUILD)


def ensure_search_index(using: str = "default", **_: Any) -> None:
    """``post_migrate`` hook: put the index back if a table rebuild dropped its triggers."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("patients", "0003_search_index") in applied:
        create_search_index(connection)
