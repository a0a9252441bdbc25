"""Audit tests write checkpoints to a file of their own and can tamper like an intruder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from pistor.audit.guard import audit_guard


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_FILE


@contextmanager
def intruder() -> Iterator[None]:
    """Someone with database access, who switches the append-only guard off first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    else:
        with audit_guard(False):
            yield


def raw(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
