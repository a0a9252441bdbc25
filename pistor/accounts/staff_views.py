"""Running the clinic's staff (managers): invite, change role, deactivate, help with sign-in.

Every page here acts on memberships of the current clinic only; another clinic's numbers
answer 404. The writes are the services in ``pistor.accounts.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pistor.accounts.access import staff_required
from pistor.accounts.forms import MembershipRoleForm, StaffInviteForm
from pistor.accounts.selectors import invitation_list_open, staff_list, staff_membership_get
from pistor.accounts.services import (
    account_unlock,
    authenticator_reset,
    invitation_withdraw,
    membership_deactivate,
    membership_set_role,
    staff_invite,
)
from pistor.clinics.models import Membership
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound, ValidationFailed


def _page(
    request: HttpRequest,
    *,
    invite_form: StaffInviteForm | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = request.clinic  # type: ignore[attr-defined]
    rows = staff_list(clinic=clinic)
    context = {
        "rows": [(row, MembershipRoleForm(initial={"role": row.membership.role})) for row in rows],
        "invitations": invitation_list_open(clinic=clinic),
        "invite_form": invite_form or StaffInviteForm(),
        "problem": problem,
        "me": request.user,
    }
    return render(request, "accounts/staff_list.html", context, status=status)


def _membership(request: HttpRequest, membership_id: int) -> Membership:
    try:
        return staff_membership_get(
            clinic=request.clinic,  # type: ignore[attr-defined]
            membership_id=membership_id,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _refused(request: HttpRequest, error: ValidationFailed) -> HttpResponse:
    details = [m for messages_ in error.fields.values() for m in messages_]
    problem = " ".join([error.message, *details])
    return _page(request, problem=problem, status=422)


@never_cache
@require_GET
@staff_required(Action.STAFF_MANAGE)
def staff_list_view(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(Action.STAFF_MANAGE)
def staff_invite_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect("staff:list")
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            sent = staff_invite(
                clinic=request.clinic,  # type: ignore[attr-defined]
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                actor=request.user,  # type: ignore[arg-type]
                build_url=request.build_absolute_uri,
            )
        except ValidationFailed as error:
            for name, field_messages in error.fields.items():
                for message in field_messages:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(
                request,
                f"Invitation sent to {sent.invitation.email}. The link works once, until "
                f"{sent.invitation.expires_at:%d %b %Y}.",
            )
            return redirect("staff:list")
    return _page(request, invite_form=form, status=422)


@require_POST
@staff_required(Action.STAFF_MANAGE)
def staff_role_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        return _page(request, problem="Choose one of the roles offered.", status=422)
    try:
        membership = membership_set_role(
            membership=membership,
            role=form.cleaned_data["role"],
            actor=request.user,  # type: ignore[arg-type]
        )
    except ValidationFailed as error:
        return _refused(request, error)
    messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()}.")
    return redirect("staff:list")


@require_POST
@staff_required(Action.STAFF_MANAGE)
def staff_deactivate_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    try:
        membership_deactivate(membership=membership, actor=request.user)  # type: ignore[arg-type]
    except ValidationFailed as error:
        return _refused(request, error)
    messages.success(
        request,
        f"{membership.user} can no longer work at this clinic: their sessions and API tokens "
        "here have stopped working.",
    )
    return redirect("staff:list")


@require_POST
@staff_required(Action.STAFF_MANAGE)
def staff_reset_authenticator_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    authenticator_reset(membership=membership, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        f"{membership.user}'s authenticator and recovery codes are removed. They set up a new "
        "authenticator when they next sign in.",
    )
    return redirect("staff:list")


@require_POST
@staff_required(Action.STAFF_MANAGE)
def staff_unlock_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    account_unlock(membership=membership, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, f"{membership.user} can sign in again straight away.")
    return redirect("staff:list")


@require_POST
@staff_required(Action.STAFF_MANAGE)
def staff_invitation_withdraw_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = invitation_withdraw(
            clinic=request.clinic,  # type: ignore[attr-defined]
            invitation_id=invitation_id,
            actor=request.user,  # type: ignore[arg-type]
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("staff:list")
