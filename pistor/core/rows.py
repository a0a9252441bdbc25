"""Model instances from hand-written SQL, for the few statements every request runs.

The ORM compiles a queryset afresh each time it runs: for a lookup by primary key that
costs several times what the database spends answering it (issue 7: the session and the
patient cost 0.31 and 0.70 ms through the ORM on SQLite, 0.04 and 0.05 ms as SQL).
The statements every signed-in request runs are therefore written out, with their columns
taken from the model's own metadata, and their rows turned into instances here exactly as
the ORM would: the same database converters applied, the instance marked as loaded.
Everything else keeps using the ORM.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)

#: Ends a statement to be prepared on PostgreSQL (``pistor.core.postgresql``): one run on
#: every request whose best plan does not depend on its values (a lookup by key, the
#: record's versions). Elsewhere it is a comment.
PREPARED = " /* prepared */"

#: The largest id a 64-bit primary key holds: beyond it the database errors instead of
#: finding nothing.
MAX_ID = 2**63 - 1

_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]

# Per connection wrapper: backends' converters are bound to it (the SQLite one reads its
# time zone), and a wrapper outlives its reconnections.
_CONVERTERS: weakref.WeakKeyDictionary[
    BaseDatabaseWrapper, dict[type[Model], list[tuple[int, list[_Converter], Any]]]
] = weakref.WeakKeyDictionary()


def row_id(value: Any) -> int | None:
    """``value`` as a primary key that could exist (1 to ``MAX_ID``), else None."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if 0 < key <= MAX_ID else None


def model_columns(model: type[Model], alias: str) -> str:
    """``alias.column, …`` for every concrete field of ``model``, in the order
    ``model_from_row`` reads them."""
    # Quoted as Django quotes them (both databases take double quotes), so a column named
    # like an SQL keyword still reads.
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def _converters(
    model: type[Model], connection: BaseDatabaseWrapper
) -> list[tuple[int, list[_Converter], Any]]:
    by_model = _CONVERTERS.setdefault(connection, {})
    found = by_model.get(model)
    if found is None:
        found = []
        table = model._meta.db_table
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(table)
            # The compiler's order: the backend's converters, then the field's own.
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if functions:
                found.append((index, functions, column))
        by_model[model] = found
    return found


def model_from_row(
    model: type[M], row: Sequence[Any], *, connection: BaseDatabaseWrapper | None = None
) -> M:
    """An instance of ``model`` from a row of ``model_columns(model, …)``."""
    connection = connections[connection.alias if connection else DEFAULT_DB_ALIAS]
    values = list(row)
    for index, functions, column in _converters(model, connection):
        value = values[index]
        for convert in functions:
            value = convert(value, column, connection)
        values[index] = value
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, values)


def model_get(
    model: type[M],
    where: str,
    params: Sequence[Any] | Mapping[str, Any],
    *,
    annotations: Mapping[str, str] | None = None,
    insert: Model | None = None,
    insert_waits_for_flush: bool = True,
    connection: BaseDatabaseWrapper | None = None,
) -> M | None:
    """The one row of ``model`` that ``where`` (on its table, aliased ``r``) selects, or
    None. ``where`` is SQL written in code; values only ever come in as ``params``. The
    statement is prepared on PostgreSQL (``pistor.core.postgresql``), so ``where`` must be
    a lookup whose best plan does not depend on the values, such as by key.

    ``annotations`` (attribute name: scalar SQL expression, using the same ``params``) are
    read in the same statement and set on the instance, as the ORM's ``annotate()`` does:
    a page that needs the row and a few values about it pays one round trip, not two.

    ``insert`` (an unsaved instance, as for ``model_insert``; ``params`` then a mapping) is
    inserted if, and only if, the row is found: the record of reading it. On PostgreSQL
    the read and the INSERT are one statement; elsewhere two, with the same outcome.
    ``insert_waits_for_flush`` is ``model_insert``'s ``waits_for_flush``."""
    connection = connections[connection.alias if connection else DEFAULT_DB_ALIAS]
    extra = "".join(f", {expression}" for expression in (annotations or {}).values())
    written = ""
    if insert is not None:
        if not isinstance(params, Mapping):
            raise TypeError("model_get(insert=...) takes its params as a mapping.")
        if any(name.startswith("insert_") for name in params):
            raise ValueError("model_get(insert=...) names its own params insert_0, insert_1, …")
        if connection.vendor != "postgresql":
            # SQLite has no statement that reads one table and writes another; in-process,
            # a second statement costs no round trip.
            found = model_get(model, where, params, annotations=annotations, connection=connection)
            if found is not None:
                model_insert(insert, waits_for_flush=insert_waits_for_flush, connection=connection)
            return found
        columns, values = _insert_values(insert, connection)
        named = {f"insert_{index}": value for index, value in enumerate(values)}
        params = {**params, **named}
        pk_column = connection.ops.quote_name(str(insert._meta.pk.column))
        marks = ", ".join(f"%({name})s" for name in named)
        # A data-modifying WITH runs once, whatever the query reads of it: selecting from
        # the same row makes the INSERT write one row when the row is found, none if not.
        written = (
            f"WITH written AS (INSERT INTO {connection.ops.quote_name(insert._meta.db_table)} "  # noqa: S608
            f"({columns}) SELECT {marks} FROM {model._meta.db_table} r WHERE {where} "
            f"RETURNING {pk_column}) "
        )
        extra += _commit_without_flush(connection, insert_waits_for_flush)
        extra += f", (SELECT {pk_column} FROM written)"  # noqa: S608
    sql = (
        f"{written}SELECT {model_columns(model, 'r')}{extra} "  # noqa: S608
        f"FROM {model._meta.db_table} r WHERE {where}{PREPARED}"
    )
    with _writing(connection, insert is not None), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(model._meta.concrete_fields)
    instance = model_from_row(model, row[:width], connection=connection)
    names = list(annotations or {})
    for name, value in zip(names, row[width : width + len(names)], strict=True):
        setattr(instance, name, value)
    if insert is not None:
        _inserted(insert, row[-1], connection)
    return instance


def _writing(connection: BaseDatabaseWrapper, writes: bool) -> AbstractContextManager[Any]:
    # As the ORM does: a failed write inside a transaction leaves it to be rolled back.
    if writes:
        return transaction.mark_for_rollback_on_error(connection.alias)
    return nullcontext()


def _insert_values(instance: Model, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """The columns of ``instance``'s INSERT, and its values prepared for the database by
    each field, as the ORM prepares them (a JSON, date or time value stored alike)."""
    fields = [field for field in instance._meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    return columns, values


def _inserted(instance: Model, pk: Any, connection: BaseDatabaseWrapper) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def _commit_without_flush(connection: BaseDatabaseWrapper, waits_for_flush: bool) -> str:
    """A result column that makes the statement's own transaction commit without waiting
    for PostgreSQL's WAL flush, or "" where it must wait.

    Only a statement that is its whole transaction (autocommit) may skip the wait: inside
    a transaction the setting would also cover the writes around it, which always wait.
    ``set_config(…, true)`` lasts until that transaction ends, and the commit reads it.
    Elsewhere "": SQLite in WAL mode with ``synchronous=NORMAL`` never waits for a flush
    at commit."""
    if waits_for_flush or connection.vendor != "postgresql" or not connection.get_autocommit():
        return ""
    return ", set_config('synchronous_commit', 'off', true)"


def model_insert(
    instance: Model,
    *,
    waits_for_flush: bool = True,
    connection: BaseDatabaseWrapper | None = None,
) -> None:
    """INSERT ``instance`` (a model with an auto-incremented id, no save() of its own and no
    save signals listened to) and set its id, as ``save(force_insert=True)`` would.

    With ``waits_for_flush=False``, an INSERT that is its own transaction commits without
    waiting for PostgreSQL to flush it to disk (``synchronous_commit`` off for that
    transaction alone): a crash of the database server in the next fraction of a second
    can lose it, never leave it half-written. Inside a transaction it waits as always."""
    connection = connections[connection.alias if connection else DEFAULT_DB_ALIAS]
    meta = instance._meta
    columns, values = _insert_values(instance, connection)
    marks = ", ".join(["%s"] * len(values))
    pk_column = connection.ops.quote_name(str(meta.pk.column))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({marks}) RETURNING {pk_column}"
        f"{_commit_without_flush(connection, waits_for_flush)}{PREPARED}"
    )
    with _writing(connection, True), connection.cursor() as cursor:
        cursor.execute(sql, values)
        _inserted(instance, cursor.fetchone()[0], connection)
