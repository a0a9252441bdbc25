"""A URL configuration with routes that forgot their permission: the walk must catch them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI, Router

from pistor.accounts.access import api_endpoint, staff_required
from pistor.api.auth import undeclared
from pistor.api.errors import install_error_handlers
from pistor.clinics.permissions import Action
from pistor.urls import urlpatterns as site_patterns


def unguarded(request: HttpRequest) -> HttpResponse:
    return HttpResponse("anyone may read this")


@staff_required(Action.CATALOG_VIEW)
def thing(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("a thing")


unguarded_router = Router()


@unguarded_router.get("/ping")
def ping(request: HttpRequest) -> dict[str, str]:
    return {"pong": "anyone"}


unguarded_api = NinjaAPI(urls_namespace="unguarded-api", auth=undeclared(), docs_url=None)
unguarded_api.add_router("", unguarded_router)
install_error_handlers(unguarded_api)

_api_patterns, _app, _namespace = unguarded_api.urls
for _pattern in _api_patterns:
    if _pattern.callback is not None:
        _pattern.callback = api_endpoint(_pattern.callback)

urlpatterns = [
    path("unguarded/", unguarded, name="unguarded-page"),
    path("things/<int:pk>/", thing, name="unguarded-thing"),
    path("unguarded-api/", (_api_patterns, _app, _namespace)),
    *site_patterns,
]
