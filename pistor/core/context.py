"""Per-request context that services read without threading it through every call."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("pistor_request_id", default=None)


def current_request_id() -> str:
    """The id of the request being served, or a fresh one for CLI and task work."""
    value = _request_id.get()
    return value if value is not None else f"cli-{uuid.uuid4().hex[:16]}"


def set_request_id(value: str | None) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]
