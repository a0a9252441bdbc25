"""The product's URLs plus a one-query page that exists only for ``benchmarks/server.py``.

``PISTOR_BENCH_READ_AUDIT=0`` turns off the "record opened" audit event, so the benchmark
can compare the record page with and without it in the same process model.
"""

from __future__ import annotations

import os

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from pistor.urls import handler400  # noqa: F401
from pistor.urls import urlpatterns as product_urlpatterns


def one_query(request: HttpRequest) -> HttpResponse:
    """The floor: Django's full middleware stack, one database round trip, a tiny body."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok\n", content_type="text/plain")


one_query.pistor_public = True  # type: ignore[attr-defined]

urlpatterns = [path("_bench/one-query/", one_query), *product_urlpatterns]

if os.environ.get("PISTOR_BENCH_READ_AUDIT") == "0":
    from pistor.patients import access

    # No event built, so none written with the patient's row, and no seal asked for.
    access.audit_event = lambda **kwargs: None  # type: ignore[assignment]
    access.audit_written = lambda: None  # type: ignore[assignment]
