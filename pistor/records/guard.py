"""Database triggers that refuse to change a signed row, for migrations.

The application never updates a signed record, but "never" has to hold against a bug, a
shell session or someone with database access too: the database refuses an UPDATE or
DELETE of a row whose ``status`` is signed (or of any row, for tables that are immutable
from the start, like addenda). PostgreSQL gets a trigger function; SQLite a trigger that
``RAISE(ABORT, ...)``s. In a model's migration::

    from pistor.records.guard import guard_signed_rows

    operations = [..., guard_signed_rows("consents_consent")]

The error message always contains ``SIGNED_ROW_MESSAGE`` so callers can recognise it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from pistor.records.constants import SIGNED

SIGNED_ROW_MESSAGE = "signed record cannot be changed"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pistor_refuse_signed_change() RETURNS trigger AS $$
BEGIN
    IF TG_ARGV[0] = 'always' OR OLD.status = '{SIGNED}' THEN
        RAISE EXCEPTION '{SIGNED_ROW_MESSAGE}: % row %', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _names(table: str) -> tuple[str, str, str]:
    return (f"{table}_signed_guard", f"{table}_signed_no_update", f"{table}_signed_no_delete")


def guard_sql(vendor: str, table: str, *, always: bool = False) -> list[str]:
    """The statements installing the guard on ``table`` for a database ``vendor``."""
    pg_name, upd_name, del_name = _names(table)
    if vendor == "postgresql":
        mode = "always" if always else "signed"
        return [
            _PG_FUNCTION,
            f'DROP TRIGGER IF EXISTS {pg_name} ON "{table}"',
            f'CREATE TRIGGER {pg_name} BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION pistor_refuse_signed_change('{mode}')",
        ]
    if vendor == "sqlite":
        when = "" if always else f" WHEN OLD.status = '{SIGNED}'"
        return [
            f'CREATE TRIGGER IF NOT EXISTS {upd_name} BEFORE UPDATE ON "{table}" '
            f"FOR EACH ROW{when} BEGIN SELECT RAISE(ABORT, '{SIGNED_ROW_MESSAGE}'); END",
            f'CREATE TRIGGER IF NOT EXISTS {del_name} BEFORE DELETE ON "{table}" '
            f"FOR EACH ROW{when} BEGIN SELECT RAISE(ABORT, '{SIGNED_ROW_MESSAGE}'); END",
        ]
    raise NotImplementedError(f"No signed-row guard for the {vendor} database.")


def unguard_sql(vendor: str, table: str) -> list[str]:
    pg_name, upd_name, del_name = _names(table)
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {pg_name} ON "{table}"']
    return [f"DROP TRIGGER IF EXISTS {upd_name}", f"DROP TRIGGER IF EXISTS {del_name}"]


# Every table a migration guards (filled as the migration modules load), so tests that
# flush the database can lift and restore the guards: see ``guards_drop``.
GUARDED_TABLES: dict[str, bool] = {}


def guards_install(connection: Any) -> None:
    """(Re)install the guard on every table migrations guarded; idempotent."""
    with connection.cursor() as cursor:
        for table, always in GUARDED_TABLES.items():
            for statement in guard_sql(connection.vendor, table, always=always):
                cursor.execute(statement, None)


def guards_drop(connection: Any) -> None:
    """Lift every guard. Only for tests: Django's SQLite flush deletes rows one table at a
    time, which the guard rightly refuses (PostgreSQL's TRUNCATE fires no row trigger)."""
    with connection.cursor() as cursor:
        for table in GUARDED_TABLES:
            for statement in unguard_sql(connection.vendor, table):
                cursor.execute(statement, None)


def guard_signed_rows(table: str, *, always: bool = False) -> migrations.RunPython:
    """A migration operation installing the guard on ``table`` (reversible).

    ``always=True`` refuses every UPDATE and DELETE (tables whose rows are final once
    written); otherwise only rows whose ``status`` is signed are refused.
    """

    GUARDED_TABLES[table] = always

    def forwards(apps: Any, schema_editor: Any) -> None:
        for statement in guard_sql(schema_editor.connection.vendor, table, always=always):
            schema_editor.execute(statement, params=None)

    def backwards(apps: Any, schema_editor: Any) -> None:
        for statement in unguard_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(forwards, backwards, elidable=False)
