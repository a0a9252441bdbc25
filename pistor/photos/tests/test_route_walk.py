"""The route walk over the photograph routes alone, as every role, another clinic and
signed out (the whole site's walk, tests/api/test_route_walk.py, covers them too; this one
says at once which photograph route answered wrongly)."""

from __future__ import annotations

import pytest

from pistor.testing import routes
from tests.api import test_route_walk as site_walk

pytestmark = pytest.mark.django_db


def _photos_only(monkeypatch):
    pages, ops = routes.page_routes, routes.api_operations
    monkeypatch.setattr(
        routes,
        "page_routes",
        lambda *a, **k: [r for r in pages(*a, **k) if r.key.startswith("photos:")],
    )
    monkeypatch.setattr(
        routes,
        "api_operations",
        lambda *a, **k: [o for o in ops(*a, **k) if o.path.startswith("/api/v1/photos/")],
    )
    monkeypatch.setattr(routes, "undeclared", lambda *a, **k: [])
    monkeypatch.setattr(routes, "missing_objects", lambda *a, **k: [])


def test_every_photograph_route_answers_as_the_matrix_says(monkeypatch):
    _photos_only(monkeypatch)
    site = site_walk._build_site()
    assert routes.page_routes() and routes.api_operations()
    assert site_walk.walk(site) == []
