"""Who is calling the API: a bearer token, or a signed-in member of staff's session.

Either way the call acts within one clinic as one membership; ``request.auth`` is an
``ApiCaller`` and ``request.clinic`` / ``request.membership`` are set as on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from pistor.accounts.access import check_staff_access
from pistor.api.models import ApiToken
from pistor.api.selectors import api_token_identify
from pistor.api.services import api_token_mark_used
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.permissions import Action, can
from pistor.core.errors import Forbidden


@dataclass(frozen=True)
class ApiCaller:
    user: Any
    membership: Membership
    token: ApiToken | None = None

    @property
    def clinic(self) -> Clinic:
        return self.membership.clinic

    @property
    def role(self) -> str:
        return self.membership.role


def _bind(request: HttpRequest, caller: ApiCaller) -> ApiCaller:
    request.user = caller.user
    request.membership = caller.membership  # type: ignore[attr-defined]
    request.clinic = caller.clinic  # type: ignore[attr-defined]
    return caller


UNDECLARED_OPERATION = (
    "This API operation declares no permission, so nobody may call it. "
    "(Its route must say auth=allow(Action.X, doing=...).)"
)


def _refuse_unless_allowed(caller: ApiCaller, action: Action | None, doing: str) -> None:
    # Deny by default: the API's own default auth carries no action, so an operation routed
    # without ``auth=allow(...)`` authenticates the caller and then refuses everyone.
    if action is None:
        raise Forbidden(UNDECLARED_OPERATION)
    if not can(caller.role, action):
        raise Forbidden(
            f"Your role ({caller.membership.get_role_display().lower()}) may not {doing}.",
            extra={"action": str(action)},
        )


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; anything wrong with the token answers 401.

    Built with an ``action`` (through ``allow``), it also refuses a role that may not do it,
    before Ninja parses the body: a reception token posting garbage to a clinical endpoint
    hears 403, not 422.
    """

    def __init__(self, action: Action | None = None, doing: str = "do this") -> None:
        super().__init__()
        self.action = action
        self.doing = doing

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller | None:
        identity = api_token_identify(token.strip())
        if identity is None:
            return None
        api_token_mark_used(token=identity.token)
        caller = _bind(
            request,
            ApiCaller(user=identity.user, membership=identity.membership, token=identity.token),
        )
        _refuse_unless_allowed(caller, self.action, self.doing)
        return caller


def session_is_signed_in(request: HttpRequest) -> bool:
    """A staff session that has passed sign-in, second factor included, in a clinic."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    # The same gate as the staff pages, so the API is never easier to reach than they are.
    return check_staff_access(request, None) is None


class SessionAuth(APIKeyCookie):
    """The browser pages' own session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, action: Action | None = None, doing: str = "do this") -> None:
        super().__init__(csrf=True)
        self.action = action
        self.doing = doing

    def _get_key(self, request: HttpRequest) -> str | None:
        # Only a signed-in session is checked for CSRF: a program sending a bad token must
        # hear "401, your token is wrong", not a CSRF complaint about a cookie it never had.
        if request.headers.get("Authorization") or not session_is_signed_in(request):
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request):
            raise Forbidden(
                "This request from the browser lacks its security token (CSRF). Reload the "
                "page and try again."
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller | None:
        if key is None:
            return None
        membership = getattr(request, "membership", None)
        if membership is None:
            return None
        caller = _bind(request, ApiCaller(user=request.user, membership=membership))
        _refuse_unless_allowed(caller, self.action, self.doing)
        return caller


def allow(action: Action, *, doing: str) -> list[TokenAuth | SessionAuth]:
    """The ``auth=`` of one API operation: who may call it, declared where it is routed.

    ``@router.post("/things", auth=allow(Action.THING_CREATE, doing="record things"))``.
    The role is checked during authentication, before the body is read; ``doing`` finishes
    the sentence "Your role (reception) may not ..." of the 403.
    """
    return [TokenAuth(action, doing), SessionAuth(action, doing)]


def undeclared() -> list[TokenAuth | SessionAuth]:
    """The API's default ``auth``: it identifies the caller (401 without a token) and then
    refuses with 403, so an operation that forgot ``auth=allow(...)`` is closed to all."""
    return [TokenAuth(None), SessionAuth(None)]


def declared_action(operation: Any) -> Action | None:
    """The ``Action`` a Ninja operation declared through ``allow``, or None."""
    actions = {
        getattr(callback, "action", None)
        for callback in (operation.auth_callbacks or [])
        if isinstance(callback, TokenAuth | SessionAuth)
    }
    if len(actions) != 1:
        return None
    return actions.pop()


def api_caller(request: HttpRequest) -> ApiCaller:
    caller = request.auth  # type: ignore[attr-defined]
    if not isinstance(caller, ApiCaller):  # pragma: no cover - every endpoint is authenticated
        raise Forbidden("This call needs a signed-in member of staff or an API token.")
    return caller


def require(request: HttpRequest, action: Action, *, doing: str) -> ApiCaller:
    """The caller, if their role may do ``action``; otherwise 403 saying what was refused."""
    caller = api_caller(request)
    if not can(caller.role, action):
        raise Forbidden(
            f"Your role ({caller.membership.get_role_display().lower()}) may not {doing}.",
            extra={"action": str(action)},
        )
    return caller
