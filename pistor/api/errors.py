"""The API's one error shape, ``{"message": str, "extra": {...}}``, for every failure.

Messages are written for the person reading them in an integration log; none carries
patient data, and an unexpected failure answers with the request id instead of details.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from pistor.clinical.errors import ClinicalDataError
from pistor.core.context import current_request_id
from pistor.core.errors import ApplicationError, validation_error_from_django
from pistor.core.logging import redacted_traceback

logger = logging.getLogger("pistor.api")

AUTH_MESSAGE = (
    "Authentication required: send 'Authorization: Bearer <token>' with a valid, "
    "unrevoked API token."
)
NOT_JSON_MESSAGE = "The request body is not valid JSON."


class ErrorOut(Schema):
    """Every error the API returns."""

    message: str
    extra: dict[str, Any] = {}


def error_response(message: str, status: int, extra: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse({"message": message, "extra": extra or {}}, status=status)


# The clinical core names a proposal's fields without the "proposal." prefix and an amount by
# its own name ("areas[0].depth", not "...depth.value"); the schema's errors do the same, so
# a field has one name whichever check found it.
_UNPREFIXED = ("proposal",)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "payload", "date_of_birth") -> "date_of_birth": the source and the handler's
    # parameter name mean nothing to the caller. ("query", "limit") -> "limit".
    items = list(loc)
    if len(items) > 2 and items[0] == "body":
        items = items[2:]
    elif items and items[0] in {"body", "query", "path", "header", "cookie", "form"}:
        items = items[1:]
        if items and items[0] == "payload" and len(items) == 1:
            items = []
    if len(items) > 1 and items[0] in _UNPREFIXED:
        items = items[1:]
    if len(items) > 1 and items[-1] == "value":
        items = items[:-1]
    path = ""
    for item in items:
        if isinstance(item, int):
            path += f"[{item}]"
        else:
            path += ("." if path else "") + str(item)
    return path or "__all__"


def _readable(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "This field is not accepted here."
    message = str(error.get("msg", "This value is not valid."))
    # pydantic prefixes messages raised by our validators; the prefix means nothing to a user.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if not message:
        return "This value is not valid."
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def fields_from_ninja(exc: NinjaValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ())), []).append(_readable(error))
    return fields


def invalid_extra(
    fields: dict[str, list[str]], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``extra`` of every 422, whatever raised it (a schema, a form, a service or the
    clinical core): ``fields`` maps each field to its messages, and ``field`` names the first
    (``"__all__"`` for the body as a whole)."""
    merged = dict(extra or {})
    merged["fields"] = fields or {"__all__": ["Some details need correcting."]}
    merged.setdefault("field", next(iter(merged["fields"])))
    return merged


def _on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    if exc.status == 422:
        fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
        fields = fields if isinstance(fields, dict) else {"__all__": [exc.message]}
        return error_response(exc.message, 422, invalid_extra(fields, exc.extra))
    return error_response(exc.message, exc.status, exc.extra)


# Errors about the body as a whole (loc ("body", <param>)): it was absent or not an object.
_NOT_AN_OBJECT = {"model_attributes_type", "dict_type", "model_type", "missing"}


def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    whole_body = [
        e for e in exc.errors if tuple(e.get("loc", ()))[:1] == ("body",) and len(e["loc"]) <= 2
    ]
    if any(e.get("type") in _NOT_AN_OBJECT for e in whole_body):
        message = "The request body must be a JSON object."
        return error_response(message, 422, invalid_extra({"__all__": [message]}))
    fields = fields_from_ninja(exc)
    return error_response("Some details need correcting.", 422, invalid_extra(fields))


def _on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    failed = validation_error_from_django(exc)
    return error_response(failed.message, failed.status, invalid_extra(failed.fields))


def _on_clinical_data_error(request: HttpRequest, exc: ClinicalDataError) -> HttpResponse:
    return error_response(exc.message, 422, invalid_extra({exc.field or "__all__": [exc.message]}))


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        response = error_response(AUTH_MESSAGE, 401)
        response["WWW-Authenticate"] = 'Bearer realm="pistor"'
        return response
    if isinstance(exc, AuthorizationError):
        return error_response("You may not do this.", 403)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # Ninja wraps the body parser's failure (JSON or text encoding) in a 400 HttpError.
        return error_response(NOT_JSON_MESSAGE, 400)
    return error_response(str(exc.message), exc.status_code)


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        f"The request body is larger than this server accepts ({limit} bytes).",
        413,
        {"limit_bytes": limit},
    )


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response("Not found.", 404)


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response("You may not do this.", 403)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    request_id = getattr(request, "request_id", None) or current_request_id()
    # The exception's own text may quote stored values (an integrity error names the row),
    # so only its type and the code path are logged, never its message.
    logger.error(
        "Unexpected %s in API request %s\n%s",
        type(exc).__name__,
        request_id,
        redacted_traceback(type(exc), exc.__traceback__),
    )
    return error_response(
        "Something went wrong on our side. If it happens again, give this request id to "
        "whoever runs Pistor for you.",
        500,
        {"request_id": request_id},
    )


_HANDLERS: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
    (RequestDataTooBig, _on_too_big),
    (ApplicationError, _on_application_error),
    (NinjaValidationError, _on_validation_error),
    (DjangoValidationError, _on_django_validation_error),
    (ClinicalDataError, _on_clinical_data_error),
    (HttpError, _on_http_error),
    (Http404, _on_not_found),
    (PermissionDenied, _on_permission_denied),
    (Exception, _on_unexpected),
]


def install_error_handlers(api: NinjaAPI) -> None:
    for exc_class, handler in _HANDLERS:
        api.add_exception_handler(exc_class, handler)
