"""The gate in front of every staff page: signed in, second factor, clinic, permission.

Use ``@staff_required(Action.X)`` on function views, ``StaffRequiredMixin`` (with
``required_action``) on class-based views, and ``require_action(request, action)`` inside a
view for a check that depends on the request. A ``Forbidden`` raised by the view (or by a
service it calls) becomes the 403 page; a ``NotFound`` becomes the 404 page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar, overload

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from pistor.accounts.selectors import otp_required_by_role, totp_device_get_confirmed
from pistor.clinics.permissions import Action, can
from pistor.core.errors import Forbidden, NotFound
from pistor.core.htmx import is_htmx

OtpState = Literal["ok", "verify", "setup"]

_OTP_STATE_ATTR = "_pistor_otp_state"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def home_url() -> str:
    try:
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    except NoReverseMatch:
        return "/"


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """``candidate`` if it is a path on this site, else None (no open redirects).

    Only an absolute path ("/patients/") qualifies: "foo" would be read by ``redirect`` as
    a URL name and fail, and "//host" or "/\\host" leave the site.
    """
    if not candidate or not candidate.startswith("/") or candidate[1:2] in {"/", "\\"}:
        return None
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def otp_state(request: HttpRequest) -> OtpState:
    """Where the signed-in user stands with the second factor in this session.

    "ok": verified, or not required; "verify": has an authenticator but has not entered a
    code in this session; "setup": their role requires one and they have none yet. A
    person who set up an authenticator voluntarily must use it too.
    """
    cached: OtpState | None = getattr(request, _OTP_STATE_ATTR, None)
    if cached is not None:
        return cached
    user: Any = request.user
    state: OtpState
    # The middleware's one query already answered these; ask again only without it.
    context = getattr(request, "staff_context", None)
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        state = "ok"
    elif (
        context.has_confirmed_totp
        if context is not None
        else totp_device_get_confirmed(user) is not None
    ):
        state = "verify"
    elif context.otp_required_by_role if context is not None else otp_required_by_role(user):
        state = "setup"
    else:
        state = "ok"
    setattr(request, _OTP_STATE_ATTR, state)
    return state


def forget_otp_state(request: HttpRequest) -> None:
    if hasattr(request, _OTP_STATE_ATTR):
        delattr(request, _OTP_STATE_ATTR)
    # The middleware's snapshot predates whatever this request changed (a new device).
    if getattr(request, "staff_context", None) is not None:
        request.staff_context = None  # type: ignore[attr-defined]


def forbidden_response(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(
        request,
        "accounts/forbidden.html",
        {"message": message or "Your role at this clinic does not allow this."},
        status=403,
    )


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        # An HTMX swap would put the sign-in page inside a fragment; make the browser go.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


def check_staff_access(
    request: HttpRequest, action: Action | None = None, *, need_clinic: bool = True
) -> HttpResponse | None:
    """The response that refuses the request, or None when the request may go on."""
    if not request.user.is_authenticated:
        if is_htmx(request):
            return _redirect(request, _with_next(reverse("accounts:login"), request))
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    state = otp_state(request)
    if state == "verify":
        return _redirect(request, _with_next(reverse("accounts:verify"), request))
    if state == "setup":
        return _redirect(request, _with_next(reverse("accounts:setup_2fa"), request))
    if not need_clinic:
        return None
    membership = getattr(request, "membership", None)
    if membership is None or getattr(request, "clinic", None) is None:
        return _redirect(request, _with_next(reverse("clinics:choose"), request))
    if action is not None and not can(membership.role, action):
        return forbidden_response(request)
    return None


def require_action(request: HttpRequest, action: Action) -> None:
    """Raise ``Forbidden`` unless the current membership's role allows ``action``."""
    membership = getattr(request, "membership", None)
    if membership is None or not can(membership.role, action):
        raise Forbidden("Your role at this clinic does not allow this.")


def _run_guarded(view: Callable[[], HttpResponse], request: HttpRequest) -> HttpResponse:
    try:
        return view()
    except Forbidden as exc:
        return forbidden_response(request, exc.message)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@overload
def staff_required(action: ViewFunc) -> ViewFunc: ...


@overload
def staff_required(
    action: Action | None = None, *, need_clinic: bool = True
) -> Callable[[ViewFunc], ViewFunc]: ...


def staff_required(action: Any = None, *, need_clinic: bool = True) -> Any:
    """Decorate a function view: staff only, second factor done, clinic chosen, allowed.

    ``need_clinic=False`` is for pages that come before choosing a clinic (the chooser
    itself, account security).
    """

    if callable(action) and not isinstance(action, Action):
        # Used bare, as @staff_required.
        return staff_required(None, need_clinic=need_clinic)(action)
    required: Action | None = action

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = check_staff_access(request, required, need_clinic=need_clinic)
            if refusal is not None:
                return refusal
            return _run_guarded(lambda: view(request, *args, **kwargs), request)

        wrapped.pistor_action = required  # type: ignore[attr-defined]
        wrapped.pistor_need_clinic = need_clinic  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public_page(view: ViewFunc) -> ViewFunc:
    """Mark a view anyone may open without signing in (sign-in itself, a patient's intake or
    consent link, online booking). Every other view must declare its ``Action``."""
    view.pistor_public = True  # type: ignore[attr-defined]
    return view


def api_endpoint(view: ViewFunc) -> ViewFunc:
    """Mark a view that belongs to the JSON API: each of its operations declares its own
    permission with ``auth=allow(...)`` and Ninja refuses an operation that does not."""
    view.pistor_api = True  # type: ignore[attr-defined]
    return view


Declared = Literal["public", "api", "staff"]


def declared_access(view: Any) -> Declared | None:
    """How ``view`` declared who may open it, or None if it declared nothing.

    "staff": ``@staff_required`` (with or without an action) or ``StaffRequiredMixin``;
    "public": ``@public_page``; "api": the API's own views, guarded per operation.
    """
    if getattr(view, "pistor_public", False):
        return "public"
    if getattr(view, "pistor_api", False):
        return "api"
    if hasattr(view, "pistor_action"):
        return "staff"
    view_class = getattr(view, "view_class", None)
    if view_class is not None and issubclass(view_class, StaffRequiredMixin):
        return "staff"
    return None


UNDECLARED_MESSAGE = "This page declares no permission, so nobody may open it."


class DenyByDefaultMiddleware:
    """Refuse any view that declared neither an ``Action`` nor ``@public_page``.

    Django's ``LoginRequiredMiddleware`` only asks "signed in?"; Pistor also needs "allowed
    to do what?", so a view that forgot ``@staff_required`` is refused here for everyone
    (signed out: sent to sign in; signed in: 403) instead of being open to any session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if declared_access(view) is not None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        return forbidden_response(request, UNDECLARED_MESSAGE)


class StaffRequiredMixin:
    """Class-based view version of ``staff_required``; set ``required_action``."""

    required_action: Action | None = None
    need_clinic: bool = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = check_staff_access(request, self.required_action, need_clinic=self.need_clinic)
        if refusal is not None:
            return refusal
        parent: Any = super()
        return _run_guarded(lambda: parent.dispatch(request, *args, **kwargs), request)
