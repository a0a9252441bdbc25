"""Django's PostgreSQL backend: marked statements prepared, connections checked cheaply.

Every signed-in request runs the same few statements (session, user, staff context,
patient, the record's versions, the read audit INSERT). PostgreSQL planned them afresh each
time, and planning cost more than running them: prepared, they took 2.1 ms of a record
opening instead of 7.0 ms (issue 7, benchmarks/README.md). Only statements that end with
``PREPARED`` are prepared. Preparing everything a connection repeats (psycopg's
``prepare_threshold``) was tried and measured: after five runs PostgreSQL settles on one
generic plan per statement, and for patient search, whose best plan depends on the words
typed, that plan scanned the clinic (a search for a record number at 100,000 patients went
from 12 to 81 ms).

The connection health check Django runs at each request's start costs a round trip; here
it looks at the socket instead, and asks the server only when something is waiting there.
"""

from __future__ import annotations

import select
from typing import Any

from django.db import ProgrammingError
from django.db.backends.postgresql import base
from psycopg import pq

from pistor.core.rows import PREPARED

_NEVER = 2**31 - 1


class PreparingCursor(base.ServerBindingCursor):
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("prepare") is None and isinstance(query, str) and PREPARED in query:
            # A marker anywhere but at the very end (a newline after it, a marked subquery)
            # once left a statement every request runs unprepared, silently: refuse it.
            if not query.endswith(PREPARED):
                raise ProgrammingError(
                    f"{PREPARED.strip()} must end the statement it marks: {query[:80]!r}…"
                )
            kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)  # type: ignore[misc]


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        # Preparing needs the values sent apart from the statement (server-side binding).
        if self.settings_dict["OPTIONS"].get("server_side_binding") is True:
            params["cursor_factory"] = PreparingCursor
            if params.get("prepare_threshold") is None:
                # psycopg prepares nothing, even on request, without a threshold; one no
                # statement reaches leaves preparing to the marked statements alone.
                params["prepare_threshold"] = _NEVER
        return params

    def close_if_health_check_failed(self) -> None:
        # Django's check sends "SELECT 1" at the start of every request: a round trip more
        # on every page (issue 7). A connection the server has closed (a restart,
        # pg_terminate_backend, an idle timeout) has the server's last message or the end
        # of file waiting on its socket; one with nothing waiting has not been closed, so
        # only a connection with something waiting gets Django's check. (Neither way
        # notices a silent network failure before TCP gives up.)
        if self._idle_and_quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _idle_and_quiet(self) -> bool:
        connection = self.connection
        if (
            connection is None
            or self.pool
            or not self.settings_dict["CONN_HEALTH_CHECKS"]
            or self.health_check_done
            or connection.closed
            or connection.broken
            or connection.pgconn.status != pq.ConnStatus.OK
            or connection.info.transaction_status != pq.TransactionStatus.IDLE
        ):
            return False
        poller = select.poll()
        poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
