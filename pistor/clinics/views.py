"""Choosing the clinic to work in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pistor.accounts.access import home_url, safe_next, staff_required
from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
from pistor.clinics.selectors import membership_list_for_user
from pistor.clinics.services import membership_choose
from pistor.core.errors import NotFound


@require_http_methods(["GET", "POST"])
@staff_required(need_clinic=False)
def choose_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        try:
            membership = membership_choose(
                user=request.user,
                clinic_id=request.POST.get("clinic_id"),
                previous_clinic_id=request.session.get(CURRENT_CLINIC_SESSION_KEY),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        request.session[CURRENT_CLINIC_SESSION_KEY] = membership.clinic_id
        return redirect(next_url or home_url())
    memberships = membership_list_for_user(request.user)
    if len(memberships) == 1:
        # One clinic: nothing to choose.
        request.session[CURRENT_CLINIC_SESSION_KEY] = memberships[0].clinic_id
        return redirect(next_url or home_url())
    current = getattr(request, "clinic", None)
    return render(
        request,
        "clinics/choose.html",
        {
            "memberships": memberships,
            "current_clinic_id": current.pk if current is not None else None,
            "next": next_url,
        },
    )
