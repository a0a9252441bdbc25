"""Staff administration over the API (managers): the same services as the staff pages.

Every operation acts on memberships of the caller's clinic; another clinic's numbers answer
404. The role is checked before the body is read (``allow``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pistor.accounts.selectors import StaffRow, invitation_list_open, staff_list, staff_row_get
from pistor.accounts.services import (
    account_unlock,
    authenticator_reset,
    invitation_withdraw,
    membership_deactivate,
    membership_set_role,
    staff_invite,
)
from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, CleanStr, InputSchema
from pistor.clinics.models import Role
from pistor.clinics.permissions import Action

router = Router(tags=["staff"])

_MANAGE = allow(Action.STAFF_MANAGE, doing="manage the clinic's staff")
# Ids beyond this are not ids at all; answering 404 beats letting the database choke.
_MAX_ID = 2**63 - 1


class StaffMemberOut(Schema):
    membership_id: int
    user_id: int
    email: str
    full_name: str
    role: Role
    is_active: bool = Field(..., description="False once deactivated at this clinic.")
    has_authenticator: bool
    locked: bool = Field(..., description="Sign-in is paused after too many wrong passwords.")


class StaffInvitationOut(Schema):
    invitation_id: int
    email: str
    full_name: str
    role: Role
    expires_at: dt.datetime


class StaffListOut(Schema):
    members: list[StaffMemberOut]
    invitations: list[StaffInvitationOut] = Field(..., description="Not yet used nor expired.")


class StaffInviteIn(InputSchema):
    """Who to invite. The link goes to the address by email and is never returned here."""

    email: CleanStr = Field(..., max_length=254, examples=["nadia.ortiz@example.org"])
    full_name: CleanStr = Field("", max_length=200, examples=["Nadia Ortiz"])
    role: Role


class StaffRoleIn(InputSchema):
    role: Role


class StaffActionOut(Schema):
    membership: StaffMemberOut
    detail: str


def _member(row: StaffRow) -> dict[str, Any]:
    m = row.membership
    return {
        "membership_id": m.pk,
        "user_id": m.user_id,
        "email": m.user.email,
        "full_name": m.user.full_name,
        "role": m.role,
        "is_active": m.is_active,
        "has_authenticator": row.has_authenticator,
        "locked": row.locked,
    }


def _invitation(invitation: Any) -> dict[str, Any]:
    return {
        "invitation_id": invitation.pk,
        "email": invitation.email,
        "full_name": invitation.full_name,
        "role": invitation.role,
        "expires_at": invitation.expires_at,
    }


def _row_for(request: HttpRequest, membership_id: int) -> StaffRow:
    clinic = api_caller(request).clinic
    return staff_row_get(
        clinic=clinic, membership_id=membership_id if 0 < membership_id <= _MAX_ID else 0
    )


def _after(request: HttpRequest, membership_id: int, detail: str) -> dict[str, Any]:
    return {"membership": _member(_row_for(request, membership_id)), "detail": detail}


@router.get(
    "",
    auth=_MANAGE,
    response={200: StaffListOut, **ERROR_RESPONSES},
    summary="List the clinic's staff and open invitations (managers)",
)
def list_staff(request: HttpRequest) -> dict[str, Any]:
    clinic = api_caller(request).clinic
    return {
        "members": [_member(row) for row in staff_list(clinic=clinic)],
        "invitations": [_invitation(i) for i in invitation_list_open(clinic=clinic)],
    }


@router.post(
    "/invitations",
    auth=_MANAGE,
    response={201: StaffInvitationOut, **ERROR_RESPONSES},
    summary="Invite a member of staff by email (managers)",
)
def invite_staff(request: HttpRequest, payload: StaffInviteIn) -> Status[dict[str, Any]]:
    caller = api_caller(request)
    sent = staff_invite(
        clinic=caller.clinic,
        email=payload.email,
        full_name=payload.full_name,
        role=payload.role.value,
        actor=caller.user,
        build_url=request.build_absolute_uri,
    )
    return Status(201, _invitation(sent.invitation))


@router.post(
    "/invitations/{invitation_id}/withdraw",
    auth=_MANAGE,
    response={200: StaffInvitationOut, **ERROR_RESPONSES},
    summary="Withdraw an unused invitation (managers)",
)
def withdraw_invitation(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    caller = api_caller(request)
    invitation = invitation_withdraw(
        clinic=caller.clinic,
        invitation_id=invitation_id if 0 < invitation_id <= _MAX_ID else 0,
        actor=caller.user,
    )
    return _invitation(invitation)


@router.patch(
    "/{membership_id}",
    auth=_MANAGE,
    response={200: StaffActionOut, **ERROR_RESPONSES},
    summary="Change a member's role (managers)",
)
def change_role(request: HttpRequest, membership_id: int, payload: StaffRoleIn) -> dict[str, Any]:
    caller = api_caller(request)
    row = _row_for(request, membership_id)
    membership = membership_set_role(
        membership=row.membership, role=payload.role.value, actor=caller.user
    )
    return _after(request, membership.pk, f"The role is now {membership.get_role_display()}.")


@router.post(
    "/{membership_id}/deactivate",
    auth=_MANAGE,
    response={200: StaffActionOut, **ERROR_RESPONSES},
    summary="Deactivate a member: their sessions and tokens stop working (managers)",
)
def deactivate(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    caller = api_caller(request)
    row = _row_for(request, membership_id)
    membership_deactivate(membership=row.membership, actor=caller.user)
    return _after(request, membership_id, "Deactivated at this clinic.")


@router.post(
    "/{membership_id}/reset-authenticator",
    auth=_MANAGE,
    response={200: StaffActionOut, **ERROR_RESPONSES},
    summary="Remove a member's authenticator and recovery codes (managers)",
)
def reset_authenticator(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    caller = api_caller(request)
    row = _row_for(request, membership_id)
    removed = authenticator_reset(membership=row.membership, actor=caller.user)
    return _after(request, membership_id, f"{removed} device(s) removed.")


@router.post(
    "/{membership_id}/unlock",
    auth=_MANAGE,
    response={200: StaffActionOut, **ERROR_RESPONSES},
    summary="Lift a sign-in pause after wrong passwords (managers)",
)
def unlock(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    caller = api_caller(request)
    row = _row_for(request, membership_id)
    addresses = account_unlock(membership=row.membership, actor=caller.user)
    return _after(request, membership_id, f"Unlocked ({addresses} address(es) were paused).")
