"""Django's database sessions, with the read every request makes written as SQL.

``SESSION_ENGINE`` points here. Everything but the read is Django's own store: sign-in,
the once-a-minute "last seen" write, sign-out and ``clearsessions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from pistor.core.rows import model_get


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        # The ORM's query, without compiling it on every request (issue 7).
        key = self.session_key
        model = self.model
        connection = connections[router.db_for_read(model)]
        found = None
        if key is not None:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            found = model_get(
                model,
                "r.session_key = %s AND r.expire_date > %s",
                [key, now],
                connection=connection,
            )
        if found is None:
            self._session_key = None
        return found
