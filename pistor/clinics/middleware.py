from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pistor.clinics.selectors import membership_for_request

CURRENT_CLINIC_SESSION_KEY = "pistor_clinic_id"


class CurrentClinicMiddleware:
    """Sets ``request.membership`` and ``request.clinic`` from the clinic chosen in session.

    A user with one active membership is placed in that clinic; a user with several chooses
    one. Nothing clinic-owned is reachable without a membership of that clinic.

    Settings use ``pistor.accounts.middleware.StaffContextMiddleware``, which does this and
    the second factor in one query; this stays for a stack without django-otp's state.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "membership"):
            return self.get_response(request)
        membership = None
        if request.user.is_authenticated:
            membership = membership_for_request(
                request.user, request.session.get(CURRENT_CLINIC_SESSION_KEY)
            )
        request.membership = membership  # type: ignore[attr-defined]
        request.clinic = membership.clinic if membership else None  # type: ignore[attr-defined]
        return self.get_response(request)
