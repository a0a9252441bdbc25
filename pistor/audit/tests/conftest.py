"""Audit tests write checkpoints to a file of their own and can tamper like an intruder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from pistor.audit.guard import audit_guard
from pistor.audit.models import AuditEvent, AuditSeal


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_FILE


@contextmanager
def intruder() -> Iterator[None]:
    """Someone with database access, who switches the append-only guard off first.

    On PostgreSQL the tables' owner (the application's own role, no superuser) disables
    the guard's triggers, as an intruder holding the application's credentials could.
    """
    if connection.vendor == "postgresql":
        tables = (AuditEvent._meta.db_table, AuditSeal._meta.db_table)
        with connection.cursor() as cursor:
            # Deferred foreign-key checks pending in the test's transaction would make
            # ALTER TABLE refuse: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        with audit_guard(False):
            yield


def raw(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
