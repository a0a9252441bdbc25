from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from pistor.core.context import reset_request_id, set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# No inline scripts, no third-party origins: every asset is served by Pistor itself, so a
# clinic works offline and an injected <script> cannot run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestIdMiddleware:
    """Tags each request with an id that audit events carry and responses echo."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-Id"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API docs page sets its own, looser policy for its bundled assets.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=()")
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 in the shape the caller reads: the API's error JSON, or a plain page."""
    message = "The request is larger than Pistor accepts. Send less at a time."
    if _is_api(request):
        return JsonResponse({"message": message, "extra": {}}, status=413)
    # Rendered without the request's context: nothing about the session is read for it.
    return HttpResponse(render_to_string("413.html"), status=413)


class RequestSizeLimitMiddleware:
    """Refuses a body over the limit with 413 before anything reads it.

    Without this, Django's ``RequestDataTooBig`` surfaces wherever the body is first read
    (the CSRF check, a form, the API's parser) and becomes a 400 or, in some paths, a 500.
    Multipart bodies (photo uploads) get their own, larger limit; the size of their text
    fields is still held to Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` while parsing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django answers a malformed length itself (an empty body)
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = (
            settings.PISTOR_MAX_UPLOAD_BYTES
            if content_type.startswith("multipart/form-data")
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and length > limit:
            return too_large_response(request)
        return self.get_response(request)


UNSTORABLE_TEXT_MESSAGE = (
    "Something you sent contains the NUL character (code 0), which has no place in text "
    "and cannot be stored. Nothing was saved. Go back, type the text again rather than "
    "pasting it, and resend."
)


def _holds_nul(data: Any) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )


class UnstorableTextMiddleware:
    """Refuses, before any view runs, a query string or form that carries a NUL character.

    PostgreSQL cannot store NUL in text and SQLite would keep it silently, so text holding
    one is refused at the one door every page shares: a view that reads the form itself
    cannot forget it. Django's form fields refuse NUL too; this covers the rest. No browser
    sends one from a person's typing, so a plain page is answer enough. The API is left to
    its schemas, which refuse NUL naming the field (``pistor.api.schemas``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if _is_api(request):
            return None
        # A NUL reaches a query string only as "%00": the common request parses nothing.
        refused = "%00" in request.META.get("QUERY_STRING", "") and _holds_nul(request.GET)
        if not refused and request.method not in ("GET", "HEAD", "OPTIONS"):
            # Parsed by the CSRF check already, or by the view next; only forms are parsed.
            refused = _holds_nul(request.POST) or any(
                "\x00" in (upload.name or "")
                for _field, uploads in request.FILES.lists()
                for upload in uploads
            )
        if not refused:
            return None
        # Rendered without the request's context, as the 413 page is.
        page = render_to_string("400_unstorable.html", {"message": UNSTORABLE_TEXT_MESSAGE})
        return HttpResponse(page, status=400)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API response and every signed-in page.

    Those are the responses that can carry patient data; set once here so no view can
    forget it. Static files never get here (WhiteNoise answers them earlier), so they stay
    cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        if signed_in or _is_api(request) or "no-store" in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


class MethodNotAllowedPageMiddleware:
    """Gives a page's bare 405 (``require_http_methods``) the styled page; the API's stays."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
            and not response.content
        ):
            styled = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                styled["Allow"] = response["Allow"]
            return styled
        return response
