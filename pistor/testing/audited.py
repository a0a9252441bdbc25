"""Every change a request makes is recorded in the audit trail: checked on every request
every test sends, on PostgreSQL.

PostgreSQL counts the rows each table has had written in the current transaction
(``pg_stat_xact_user_tables``), and a test runs inside one. So around each request of
Django's test client the counts are read before and after; a request that wrote rows of
any table holding someone's data, answered with success (2xx or 3xx), and recorded no
audit event besides a look fails its test, naming the tables.

A refusal (4xx) is left out: the rows of a savepoint rolled back still count, so a write
undone by the refusal would look like one kept. That a refusal records nothing is checked
by the bad-input corpus instead (``tests/api/test_bad_input.py``). On SQLite, which keeps
no such counts, and outside a transaction (browser journeys), nothing is checked.

Both statements go through the driver's own cursor, so the tests that count a page's
statements do not see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from pistor.audit.events import VIEW_EVENTS

# Tables written for the request's own keeping rather than as a change to anyone's data:
# the trail itself, sessions, the sign-in guard's counters, an API token's "last used",
# the authenticator's replay and throttling state, the task queue.
BOOKKEEPING = re.compile(
    r"^(audit_|axes_|django_session$|django_tasks|accounts_loginattemptwindow$"
    r"|api_apitoken$|otp_)"
)
_ROWS_WRITTEN = "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
_LAST_EVENT = "SELECT COALESCE(MAX(id), 0) FROM audit_auditevent"
_CHANGES_SINCE = "SELECT COUNT(*) FROM audit_auditevent WHERE id > %s AND NOT event_type = ANY(%s)"


def _read(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
    try:
        with connection.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    except Exception:  # noqa: BLE001 - a transaction the test broke on purpose: not checked
        return None


def unaudited_tables(send: Any) -> tuple[Any, list[str]]:
    """Send; return the response and the data tables it wrote without an audit event."""
    before = _read(_ROWS_WRITTEN)
    last_event = _read(_LAST_EVENT)
    response = send()
    after = _read(_ROWS_WRITTEN)
    if before is None or last_event is None or after is None or response.status_code >= 400:
        return response, []
    counts = dict(before)
    written = sorted(
        table
        for table, rows in after
        if rows != counts.get(table, 0) and not BOOKKEEPING.match(table)
    )
    if not written:
        return response, []
    changes = _read(_CHANGES_SINCE, (last_event[0][0], sorted(VIEW_EVENTS)))
    if changes is None or changes[0][0]:
        return response, []
    return response, written


@pytest.fixture(autouse=True)
def _every_change_audited(monkeypatch) -> Iterator[None]:
    send = Client.request

    def checked(self: Client, **request: Any) -> Any:
        if connection.vendor != "postgresql" or not connection.in_atomic_block:
            return send(self, **request)
        response, written = unaudited_tables(lambda: send(self, **request))
        if written:
            pytest.fail(
                f"{request.get('REQUEST_METHOD')} {request.get('PATH_INFO')} answered "
                f"{response.status_code}, wrote {', '.join(written)} and recorded no audit "
                "event"
            )
        return response

    monkeypatch.setattr(Client, "request", checked)
    yield
