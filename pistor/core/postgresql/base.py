"""Django's PostgreSQL backend, preparing on the server the statements marked for it.

Every signed-in request runs the same few statements (session, user, staff context,
patient, the record's versions, the read audit INSERT). PostgreSQL planned them afresh each
time, and planning cost more than running them: prepared, they took 2.1 ms of a record
opening instead of 7.0 ms (issue 7, benchmarks/README.md). Only statements that end with
``PREPARED`` are prepared. Preparing everything a connection repeats (psycopg's
``prepare_threshold``) was tried and measured: after five runs PostgreSQL settles on one
generic plan per statement, and for patient search, whose best plan depends on the words
typed, that plan scanned the clinic (a search for a record number at 100,000 patients went
from 12 to 81 ms).
"""

from __future__ import annotations

from typing import Any

from django.db import ProgrammingError
from django.db.backends.postgresql import base

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
