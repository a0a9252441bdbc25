"""The signed-in request: session timing and the person's second factor and clinic, cheaply.

Every staff page passes through here, so what it costs every page pays. Two rules keep it
lean (issue 7): a GET writes nothing to the session except, at most once a minute, the
"last seen" time the idle timeout needs; and the second factor's state and the clinic
membership come from ONE query (see ``pistor.clinics.selectors.staff_context_get``),
which also reads the user's row, so a signed-in request costs the session row and that
query.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    logout,
)
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

LAST_SEEN_KEY = "pistor_last_seen"
# When the person signed in (epoch seconds): the session's absolute lifetime counts from it.
SIGNED_IN_AT_KEY = "pistor_signed_in_at"
# Read (and removed) by the sign-in page to say why the person was signed out.
INACTIVITY_FLAG = "signed_out_for_inactivity"
# "Last seen" is rewritten at most this often: the idle timeout may end a session up to a
# minute early, and in exchange a page view does not write the session row.
LAST_SEEN_RESOLUTION_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="pistor-session-signed-in-at")
def _stamp_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Written with the sign-in's own session save, so it costs no extra write.
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT_KEY] = now
        request.session[LAST_SEEN_KEY] = now


#: The backend whose sessions are signed in by ``AuthenticationMiddleware``'s one statement.
_MODEL_BACKEND = "pistor.accounts.backends.ModelBackend"


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user's row read in the same statement as their staff context.

    ``request.user`` stays lazy. For a session signed in through ``_MODEL_BACKEND``, the
    user comes from ``staff_user_get`` (user, clinic membership and second factor in one
    round trip) and the staff context is kept for ``StaffContextMiddleware``; any other
    session goes Django's way. The checks are Django's own ``get_user``'s: the backend is
    still configured, the user exists and may sign in, and the session's password hash
    matches (or matches under a fallback secret key, when the session is moved to the
    current one), else the session is flushed.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]

    @staticmethod
    def _user(request: HttpRequest) -> Any:
        from pistor.accounts.backends import ModelBackend
        from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
        from pistor.clinics.selectors import staff_user_get

        session = request.session
        if (
            session.get(BACKEND_SESSION_KEY) != _MODEL_BACKEND
            or _MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS
        ):
            return auth.get_user(request)
        user, context = staff_user_get(
            user_id=session.get(SESSION_KEY),
            clinic_id=session.get(CURRENT_CLINIC_SESSION_KEY),
            device_persistent_id=session.get(DEVICE_ID_SESSION_KEY),
        )
        if user is None or not ModelBackend().user_can_authenticate(user):
            return AnonymousUser()
        if not _session_hash_verified(session, user):
            session.flush()
            return AnonymousUser()
        request._pistor_staff_context = (user.pk, context)  # type: ignore[attr-defined]
        return user


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = AuthenticationMiddleware._user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


def _session_hash_verified(session: Any, user: Any) -> bool:
    """Django's check that the password has not changed since the session signed in."""
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    current = user.get_session_auth_hash()
    if constant_time_compare(session_hash, current):
        return True
    if any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = current
        return True
    return False


class InactivityTimeoutMiddleware:
    """Signs staff out after a period without activity (a shared tablet left unlocked), and
    once the session has lasted ``PISTOR_SESSION_MAX_SECONDS`` whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest) -> None:
        now = int(time.time())
        session = request.session
        signed_in_at = _as_int(session.get(SIGNED_IN_AT_KEY))
        last_seen = _as_int(session.get(LAST_SEEN_KEY))
        if signed_in_at is not None and now - signed_in_at > settings.SESSION_COOKIE_AGE:
            # Absolute: activity does not extend it.
            logout(request)
            session[INACTIVITY_FLAG] = "max_age"
            return
        if last_seen is not None and now - last_seen > settings.SESSION_INACTIVITY_SECONDS:
            logout(request)  # flushes the server-side session
            session[INACTIVITY_FLAG] = True
            return
        if signed_in_at is None:
            # A session from before this key existed (or made by a test's force_login):
            # its lifetime starts now, at the cost of one write.
            session[SIGNED_IN_AT_KEY] = last_seen if last_seen is not None else now
        if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN_KEY] = now


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _load_device(persistent_id: str) -> Any:
    return Device.from_persistent_id(persistent_id)


class StaffContextMiddleware:
    """Sets the second factor's state, ``request.membership`` and ``request.clinic``.

    Stands in for django-otp's ``OTPMiddleware`` (same ``user.otp_device`` and
    ``user.is_verified()``) and the clinic lookup, answering both from one query. The device
    the session names is checked (it exists, belongs to the user, is confirmed) in that
    query; the device row itself is loaded only if something asks for ``user.otp_device``'s
    fields.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
        from pistor.clinics.selectors import staff_context_get

        user: Any = request.user
        context = None
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            # Read with the user's row when the session signed in (AuthenticationMiddleware).
            user_pk, context = getattr(request, "_pistor_staff_context", (None, None))
            if context is None or user_pk != user.pk:
                context = staff_context_get(
                    user_id=user.pk,
                    clinic_id=request.session.get(CURRENT_CLINIC_SESSION_KEY),
                    device_persistent_id=persistent_id,
                )
            device: Any = None
            if context.device_valid and persistent_id:
                device = SimpleLazyObject(functools.partial(_load_device, persistent_id))
            elif persistent_id:
                # What django-otp does: a session naming a device that is gone, or not the
                # user's, or unconfirmed, forgets it.
                del request.session[DEVICE_ID_SESSION_KEY]
            user.otp_device = device
            user.is_verified = functools.partial(_is_verified, user)
        else:
            if not hasattr(user, "is_verified"):
                user.otp_device = None
                user.is_verified = functools.partial(_is_verified, user)
        request.staff_context = context  # type: ignore[attr-defined]
        membership = context.membership if context is not None else None
        request.membership = membership  # type: ignore[attr-defined]
        request.clinic = membership.clinic if membership else None  # type: ignore[attr-defined]
        return self.get_response(request)


def _is_verified(user: Any) -> bool:
    return getattr(user, "otp_device", None) is not None
