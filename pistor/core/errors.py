"""The one error shape of Pistor's services.

Services raise these; pages show ``message`` inline (field errors beside their field) and
the API answers ``{"message": ..., "extra": {...}}`` with ``status``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ApplicationError(Exception):
    status = 400

    def __init__(self, message: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = dict(extra or {})


class ValidationFailed(ApplicationError):
    """Input broke a rule; ``extra["fields"]`` maps field names to their messages."""

    status = 422

    def __init__(self, message: str, *, fields: Mapping[str, Sequence[str]]) -> None:
        super().__init__(message, extra={"fields": {k: list(v) for k, v in fields.items()}})
        self.fields = {k: list(v) for k, v in fields.items()}


class NotFound(ApplicationError):
    """Missing, or belongs to another clinic: both answer the same, so nothing leaks."""

    status = 404


class Forbidden(ApplicationError):
    status = 403


class Conflict(ApplicationError):
    status = 409


class GateBlocked(ApplicationError):
    """A care-pathway gate refused a step; ``reasons`` say why and what would unblock it."""

    status = 409

    def __init__(self, message: str, *, reasons: Sequence[Mapping[str, str]]) -> None:
        super().__init__(message, extra={"reasons": [dict(r) for r in reasons]})
        self.reasons = [dict(r) for r in reasons]


def validation_error_from_django(exc: Any) -> ValidationFailed:
    """Turn a Django ``ValidationError`` into ``ValidationFailed`` with per-field messages."""
    if hasattr(exc, "message_dict"):
        fields = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    return ValidationFailed("Some details need correcting.", fields=fields)
