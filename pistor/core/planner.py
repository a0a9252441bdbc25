"""The query planner's statistics, brought forward after a bulk load."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def planner_statistics_refresh(using: str = DEFAULT_DB_ALIAS) -> None:
    """After many rows are written at once: PostgreSQL's statistics, now rather than later.

    Until autovacuum gets round to fresh tables, the planner takes them for nearly empty:
    it walks a whole clinic instead of using the search index, and a statement prepared
    meanwhile keeps that plan. A SQLite database is left as it runs day to day (no
    statistics table), so its plans after a load are the ones it will keep using.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
