"""One queue per process for writes to SQLite, so a flood of requests never meets
"database is locked".

SQLite has one writer at a time. A writer that finds the database busy sleeps and retries
(the busy timeout), with growing sleeps and in no order, so under a flood of simultaneous
requests the unluckiest can wait past the timeout and fail. Writers of one process that
take this queue first wait here instead, each in turn; BEGIN IMMEDIATE and the busy
timeout still order writers of different processes. On PostgreSQL it does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_QUEUE = threading.RLock()  # re-entrant: a course booking holds it around its sessions


@contextmanager
def sqlite_write_queue(*, timeout: float) -> Iterator[bool]:
    """Hold the process's write queue on SQLite; yields False if ``timeout`` seconds pass
    first (the caller decides: refuse with a message, or skip a best-effort write)."""
    if connection.vendor != "sqlite":
        yield True
        return
    acquired = _QUEUE.acquire(timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired:
            _QUEUE.release()
