"""Writes about staff accounts: creating staff, roles, sign-in checks and second factors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import django_otp
from axes.helpers import get_client_ip_address
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts import limiter
from pistor.accounts.models import User
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership, Role
from pistor.core.errors import ValidationFailed, validation_error_from_django

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


# --- Staff and memberships --------------------------------------------------------------


def _validate_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            "Some details need correcting.",
            fields={"role": [f"'{role}' is not a role. Choose one of: {choices}."]},
        ) from None


@transaction.atomic
def staff_create(
    *,
    email: str,
    full_name: str,
    password: str | None,
    clinic: Clinic,
    role: str,
    actor: User | None = None,
) -> User:
    """Give a person a role at ``clinic``, creating their account if they have none.

    An existing account (same email, any case) is reused and its password left alone: a
    person who works at two clinics keeps one sign-in.
    """
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address, such as name@clinic.org."]
    try:
        _validate_role(role)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    existing = User.objects.filter(email__iexact=email).first() if "email" not in errors else None
    if existing is None:
        if not full_name:
            errors["full_name"] = ["Enter the person's full name."]
        if not password:
            errors["password"] = ["Choose a password for the new account."]
        elif "email" not in errors:
            try:
                validate_password(password, user=User(email=email, full_name=full_name))
            except ValidationError as exc:
                errors["password"] = [str(m) for m in exc.messages]
    elif Membership.objects.filter(user=existing, clinic=clinic, is_active=True).exists():
        errors["email"] = [f"{email} is already a member of staff at {clinic.name}."]
    if errors:
        raise ValidationFailed("Some details need correcting.", fields=errors)
    role_value = Role(role)

    if existing is None:
        user = User(email=email, full_name=full_name)
        user.set_password(password)
        try:
            user.full_clean()
        except ValidationError as exc:
            raise validation_error_from_django(exc) from None
        user.save()
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type="staff.created",
            subject_type="user",
            subject_id=user.pk,
            after={"email": user.email, "full_name": user.full_name},
        )
    else:
        user = existing

    membership = Membership.objects.filter(user=user, clinic=clinic).first()
    before = None
    if membership is None:
        membership = Membership(user=user, clinic=clinic, role=role_value)
    else:
        # A former member returning: reactivate with the role given now.
        before = {"role": membership.role, "is_active": membership.is_active}
        membership.role = role_value
        membership.is_active = True
    try:
        membership.full_clean()
    except ValidationError as exc:
        raise validation_error_from_django(exc) from None
    membership.save()
    audit_record(
        clinic=clinic,
        actor=actor,
        event_type="membership.created" if before is None else "membership.reactivated",
        subject_type="membership",
        subject_id=membership.pk,
        before=before,
        after={"user_id": user.pk, "role": membership.role, "is_active": True},
    )
    return user


def _guard_last_manager(membership: Membership) -> None:
    if membership.role != Role.MANAGER or not membership.is_active:
        return
    others = (
        Membership.objects.filter(clinic_id=membership.clinic_id, role=Role.MANAGER, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ValidationFailed(
            "A clinic must keep at least one active manager.",
            fields={
                "role": ["This is the clinic's only manager. Make someone else manager first."]
            },
        )


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: User | None) -> Membership:
    new_role = _validate_role(role)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == new_role:
        return membership
    if new_role != Role.MANAGER:
        _guard_last_manager(membership)
    before = {"role": membership.role}
    membership.role = new_role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type="membership.role_changed",
        subject_type="membership",
        subject_id=membership.pk,
        before=before,
        after={"role": membership.role},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: User | None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        return membership
    _guard_last_manager(membership)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type="membership.deactivated",
        subject_type="membership",
        subject_id=membership.pk,
        before={"is_active": True},
        after={"is_active": False},
    )
    return membership


# --- Signing in -------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordCheck:
    user: User | None
    locked_out: bool = False
    retry_at: datetime | None = None


def _user_id_for(email: str) -> int | None:
    return User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()


def _audit_auth(event_type: str, *, user: User | None, email: str, ip: str | None) -> None:
    # Auth events go to the global chain: a sign-in is not yet in any one clinic.
    user_id = user.pk if user is not None else _user_id_for(email)
    audit_record(
        clinic=None,
        actor=user,
        event_type=event_type,
        subject_type="user" if user_id is not None else "",
        subject_id=user_id if user_id is not None else "",
        after={"email": email, "ip": ip},
    )


def signin_check_password(*, request: HttpRequest, email: str, password: str) -> PasswordCheck:
    """Check an email and password, behind the atomic limiter and django-axes.

    The limiter claims a slot for (email, address) before the password hash is computed;
    past the failure limit the password is not checked at all. Axes keeps its own record of
    failures and may also refuse (``request.axes_locked_out``). Never records the password.
    """
    email = limiter.normalise_username(email)
    ip = get_client_ip_address(request)
    slot = limiter.claim(email, ip, known_device=limiter.is_known_device(request, email))
    if not slot.allowed:
        _audit_auth("auth.locked_out", user=None, email=email, ip=ip)
        return PasswordCheck(user=None, locked_out=True, retry_at=slot.retry_at)
    user = authenticate(request, username=email, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            _audit_auth("auth.locked_out", user=None, email=email, ip=ip)
            return PasswordCheck(
                user=None, locked_out=True, retry_at=timezone.now() + limiter.cooloff()
            )
        _audit_auth("auth.login_failed", user=None, email=email, ip=ip)
        return PasswordCheck(user=None)
    limiter.reset(email, ip)
    return PasswordCheck(user=user)


def signin_record(*, request: HttpRequest, user: User) -> None:
    _audit_auth("auth.login", user=user, email=user.email, ip=get_client_ip_address(request))


def signout_record(*, request: HttpRequest, user: User) -> None:
    _audit_auth("auth.logout", user=user, email=user.email, ip=get_client_ip_address(request))


# --- Second factor ----------------------------------------------------------------------


@dataclass(frozen=True)
class OtpCheck:
    device: Device | None
    # Set when the device refused to check because of too many wrong codes.
    wait_until: datetime | None = None


def _looks_like_totp(token: str) -> bool:
    return token.isdigit() and len(token) in (6, 8)


def normalise_token(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def otp_verify(*, request: HttpRequest, token: str) -> OtpCheck:
    """Check a six-digit authenticator code, or a recovery code (which is used up).

    On success the device is stored in the session (django-otp's login) and the session
    key is rotated, since the session has just gained access.
    """
    user: Any = request.user
    token = normalise_token(token)
    if _looks_like_totp(token):
        devices: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        method = "authenticator"
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
        method = "recovery_code"
    ip = get_client_ip_address(request)
    wait_until = None
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            wait_until = (details or {}).get("locked_until")
            continue
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            django_otp.login(request, verified)
            request.session.cycle_key()
            audit_record(
                clinic=None,
                actor=user,
                event_type="auth.otp_verified",
                subject_type="user",
                subject_id=user.pk,
                after={"method": method, "ip": ip},
            )
            return OtpCheck(device=verified)
    audit_record(
        clinic=None,
        actor=user,
        event_type="auth.otp_failed",
        subject_type="user",
        subject_id=user.pk,
        after={"method": method, "ip": ip},
    )
    return OtpCheck(device=None, wait_until=wait_until)


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (reused on reload, so the QR stays put)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Replace the person's recovery codes with ten new single-use codes."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit_record(
        clinic=None,
        actor=user,
        event_type="auth.recovery_codes_generated",
        subject_type="user",
        subject_id=user.pk,
        after={"count": len(codes)},
    )
    return sorted(codes)


def totp_device_confirm(
    *, request: HttpRequest, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm a new authenticator with its first code; returns new recovery codes.

    Returns None when the code is wrong (nothing changes). On success the device counts as
    this session's second factor.
    """
    user: Any = request.user
    token = normalise_token(token)
    if device.user_id != user.pk or device.confirmed or not _looks_like_totp(token):
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit_record(
            clinic=None,
            actor=user,
            event_type="auth.2fa_enabled",
            subject_type="user",
            subject_id=user.pk,
            after={"device": device.name},
        )
        codes = recovery_codes_generate(user=user)
    django_otp.login(request, device)
    request.session.cycle_key()
    return codes
