"""The database guard: the audit tables refuse UPDATE and DELETE.

PostgreSQL: a trigger raises on any UPDATE or DELETE (migration 0003). SQLite: triggers
raise unless ``pistor_audit_guard()`` returns 0; Django registers that function on each
connection. A connection without it (the ``sqlite3`` shell) gets an error, so it is
refused too. The guard is lifted only for test runs, whose clean-up empties every table
with DELETE on SQLite (``audit_guard(True)`` puts it back for the tests of the guard).
Anyone who can drop a trigger can get past it: the guard stops mistakes and code paths
that should not exist; the seals and checkpoints catch the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

_state = threading.local()


def _enforced() -> int:
    return int(getattr(_state, "enforced", not settings.TESTING))


@contextmanager
def audit_guard(enforced: bool) -> Iterator[None]:
    """Enforce (or lift) the SQLite guard in this thread for the duration of the block."""
    previous = getattr(_state, "enforced", None)
    _state.enforced = enforced
    try:
        yield
    finally:
        if previous is None:
            del _state.enforced
        else:
            _state.enforced = previous


def register_sqlite_guard(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("pistor_audit_guard", 0, _enforced)
