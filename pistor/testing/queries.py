"""The query cap every page and API list or detail is held to, at two sizes of data.

A page whose query count grows with the data (an N+1 loop, a lookup per row) passes a test
at ten rows and fails a clinic at ten thousand. ``assert_query_cap`` runs the same request
after growing the data from a small size to a large one, and fails unless both runs stay
within the cap *and* make the same number of queries::

    def test_patient_page_queries_are_capped(staff_client, clinic):
        def grow(n):
            PatientFactory.create_batch(n, clinic=clinic)

        assert_query_cap(
            lambda: staff_client.get(url), grow=grow, sizes=(10, 1000), cap=12
        )

``grow(n)`` is called with the number of rows to *add* to reach each size, so it can use
bulk inserts. Use it in every app's selector and view tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


class QueryCapExceeded(AssertionError):
    pass


def count_queries(action: Callable[[], Any]) -> tuple[int, list[str], Any]:
    """Run ``action`` and return how many queries it made, their SQL, and its result."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries], result


def assert_query_cap(
    action: Callable[[], Any],
    *,
    grow: Callable[[int], Any],
    cap: int,
    sizes: Sequence[int] = (10, 1000),
    check: Callable[[Any], Any] | None = None,
) -> list[int]:
    """Fail unless ``action`` makes at most ``cap`` queries at every size, the same at each.

    ``check``, if given, is called with each result (e.g. to assert the response is a 200,
    so a page that fails fast cannot pass on a low count). Returns the counts per size.
    """
    counts: list[int] = []
    reached = 0
    for size in sizes:
        if size > reached:
            grow(size - reached)
            reached = size
        count, statements, result = count_queries(action)
        if check is not None:
            check(result)
        if count > cap:
            listing = "\n".join(f"  {i + 1}. {sql}" for i, sql in enumerate(statements))
            raise QueryCapExceeded(f"{count} queries at size {size}, cap is {cap}:\n{listing}")
        counts.append(count)
    if len(set(counts)) > 1:
        raise QueryCapExceeded(
            f"query count changes with the data: {dict(zip(sizes, counts, strict=True))}"
        )
    return counts
