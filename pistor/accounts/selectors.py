"""Reads about staff accounts: which second factor a person has and whether it is required."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.clinics.models import Membership, Role

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
