"""The home page, the favicon, and the error handlers Django calls."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.http import require_safe

from pistor.accounts.access import public_page, staff_required
from pistor.core.middleware import too_large_response


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@cache
def _favicon_bytes() -> bytes:
    path = finders.find("pistor/favicon.ico")
    if path:
        with open(path, "rb") as handle:
            return handle.read()
    # Collected static files only (production without finders).
    with staticfiles_storage.open("pistor/favicon.ico") as handle:
        return bytes(handle.read())


@public_page
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; answer instead of logging 404s."""
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler, except that a body too large to read is a 413."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return too_large_response(request)
    return defaults.bad_request(request, exception)
