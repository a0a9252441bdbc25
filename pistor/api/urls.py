"""Addresses of the API (``/api/v1/``) and the health check (``/healthz``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from pistor.api.main import api
from pistor.api.views import api_not_found, healthz, json_errors


def _api_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = json_errors(pattern.callback)
    # Last: every other address under /api/v1/ answers in the API's error shape.
    return [*patterns, re_path(r"^", api_not_found, name="not-found")], app_name, namespace


urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", _api_urls()),
]
