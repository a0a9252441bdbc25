"""Floods: many threads, each on its own database connection, released together.

``threads_share_a_file_database`` is a fixture (a pytest plugin listed in the root
conftest); ``in_threads`` runs the flood and reports any thread's error.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connections

T = TypeVar("T")


@pytest.fixture
def threads_share_a_file_database(tmp_path) -> Iterator[None]:
    """Let the threads share the test data through a real SQLite file.

    Threads reach an in-memory SQLite only through its shared cache, which refuses a
    second writer outright ("table is locked") instead of queueing it as a database file
    does. So the test data is copied to a file, and connections opened from now on (the
    threads') use it. On PostgreSQL nothing changes: threads use the test database.
    """
    connection: Any = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    path = tmp_path / "threads.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    # The copy keeps the in-memory database's journal mode. Left to the threads, the first
    # connection's "PRAGMA journal_mode=WAL" converts the file while the others open it,
    # and one of them fails at once with "database is locked": no busy timeout covers the
    # conversion. A server's file is converted once, by migrate, before anyone connects.
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.settings_dict["NAME"] = original


def in_threads(count: int, work: Callable[[], T]) -> list[T]:
    """Run ``work()`` in ``count`` threads released together; return results in any order."""
    start = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            result = work()
            with lock:
                results.append(result)
        except BaseException as exc:  # reported below, after every thread ends
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise AssertionError(f"{len(errors)} of {count} threads failed: {errors[:3]!r}")
    return results
