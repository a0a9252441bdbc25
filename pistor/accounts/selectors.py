"""Reads about staff accounts: which second factor a person has and whether it is required."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts import limiter
from pistor.accounts.models import StaffInvitation
from pistor.clinics.models import Clinic, Membership, Role
from pistor.core.errors import NotFound

# People who read and write clinical records or run the clinic must use a second factor.
OTP_REQUIRED_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER})


def totp_device_get_confirmed(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def static_device_get(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_remaining(user: Any) -> int:
    device = static_device_get(user)
    return device.token_set.count() if device is not None else 0


def otp_required_by_role(user: Any) -> bool:
    """True if any of the person's active memberships is a practitioner or manager role."""
    return Membership.objects.filter(
        user=user, is_active=True, role__in=[r.value for r in OTP_REQUIRED_ROLES]
    ).exists()


@dataclass(frozen=True)
class StaffRow:
    """One member of a clinic's staff as the staff page and API show them."""

    membership: Membership
    has_authenticator: bool
    locked: bool

    @property
    def user(self) -> Any:
        return self.membership.user


def staff_list(*, clinic: Clinic, now: datetime | None = None) -> list[StaffRow]:
    """The clinic's memberships (active first, then by name), in three queries at any size."""
    memberships = list(
        Membership.objects.filter(clinic=clinic)
        .select_related("user", "clinic")
        .order_by("-is_active", "user__full_name", "user__email")
    )
    return _rows(memberships, now=now or timezone.now())


def staff_row_get(*, clinic: Clinic, membership_id: Any) -> StaffRow:
    """One member of this clinic's staff, or ``NotFound``."""
    membership = staff_membership_get(clinic=clinic, membership_id=membership_id)
    return _rows([membership], now=timezone.now())[0]


def _rows(memberships: list[Membership], *, now: datetime) -> list[StaffRow]:
    user_ids = [m.user_id for m in memberships]
    with_device = set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    # Axes keeps the email as typed; compared lower-cased. One query for the whole clinic.
    locked_names = {
        (name or "").lower()
        for name in AccessAttempt.objects.filter(
            failures_since_start__gte=limiter.failure_limit(),
            attempt_time__gte=now - limiter.cooloff(),
        ).values_list("username", flat=True)
    }
    return [
        StaffRow(
            membership=m,
            has_authenticator=m.user_id in with_device,
            locked=m.user.email.lower() in locked_names,
        )
        for m in memberships
    ]


def staff_membership_get(*, clinic: Clinic, membership_id: Any) -> Membership:
    """A membership of this clinic, or ``NotFound`` (another clinic's ids included)."""
    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        raise NotFound("There is no member of staff with that number here.") from None
    membership = (
        Membership.objects.filter(clinic=clinic, pk=pk).select_related("user", "clinic").first()
    )
    if membership is None:
        raise NotFound("There is no member of staff with that number here.")
    return membership


def invitation_list_open(*, clinic: Clinic, now: datetime | None = None) -> list[StaffInvitation]:
    """Invitations not yet used, withdrawn or expired, newest first (bounded: 200)."""
    now = now or timezone.now()
    return list(
        StaffInvitation.objects.for_clinic(clinic)
        .filter(accepted_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=now)
        .select_related("invited_by")
        .order_by("-created_at")[:200]
    )
