"""Shared plumbing for schemathesis fuzzing of the API through the WSGI app.

Loaded as a pytest plugin by the root conftest; fuzz modules mark themselves with
``pytest.mark.usefixtures("keep_the_test_connection")``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


def api_schema(path_regex: str) -> schemathesis.schemas.BaseSchema:
    """The API's OpenAPI schema, limited to ``path_regex``, calling the app in-process."""
    from pistor.api.main import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = get_wsgi_application()
    return loaded.include(path_regex=path_regex)


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    # Django closes a connection it thinks obsolete when a request ends, and inside a test's
    # transaction every connection looks obsolete: on PostgreSQL that closes the test's own
    # connection. Django's test client disconnects these handlers for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
