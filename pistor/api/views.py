"""Plain Django views next to the API: the health check and the API's JSON 404 and 405."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from pistor.accounts.access import api_endpoint, public_page
from pistor.api.errors import error_response


@public_page
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and ``pistor`` itself: up, and the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@api_endpoint
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/v1/ address that is not an endpoint, or whose id is not a number."""
    return error_response("Not found.", 404)


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give the answers Ninja makes outside its operations (a plain-text 405, the bare 404
    of the API root) the API's error shape."""

    @api_endpoint
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response("Not found.", 404)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            replacement = error_response(
                f"{request.method} is not allowed here. Allowed: {allowed}.",
                405,
                {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
            )
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapped
