"""Writes about staff accounts: creating staff, roles, sign-in checks and second factors."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import django_otp
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts import limiter
from pistor.accounts.models import StaffInvitation, User
from pistor.accounts.selectors import OTP_REQUIRED_ROLES
from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership, Role
from pistor.core.errors import NotFound, ValidationFailed, validation_error_from_django

logger = logging.getLogger("pistor.accounts")

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
            event_type=AuditEventType.STAFF_CREATED,
            subject_type="user",
            subject_id=user.pk,
            after={"email": user.email, "full_name": user.full_name},
        )
    else:
        user = existing
        _account_reopen(user=user, clinic=clinic, actor=actor)

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
        event_type=AuditEventType.MEMBERSHIP_CREATED
        if before is None
        else AuditEventType.MEMBERSHIP_REACTIVATED,
        subject_type="membership",
        subject_id=membership.pk,
        before=before,
        after={"user_id": user.pk, "role": membership.role, "is_active": True},
    )
    return user


def _account_reopen(*, user: User, clinic: Clinic, actor: User | None) -> None:
    """Switch a closed account back on when a clinic takes the person on again."""
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        clinic=clinic,
        actor=actor,
        event_type="staff.reopened",
        subject_type="user",
        subject_id=user.pk,
        before={"is_active": False},
        after={"is_active": True},
    )


def _guard_self(membership: Membership, actor: User | None, doing: str) -> None:
    # A manager who demotes or deactivates themself loses the page that would undo it.
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationFailed(
            f"You cannot {doing} your own account.",
            fields={"membership": [f"Ask another manager to {doing} your account."]},
        )


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
        if membership.role == Role.MANAGER:
            _guard_self(membership, actor, "take the manager role from")
        _guard_last_manager(membership)
    before = {"role": membership.role}
    membership.role = new_role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type=AuditEventType.MEMBERSHIP_ROLE_CHANGED,
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
    _guard_self(membership, actor, "deactivate")
    _guard_last_manager(membership)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    # With no clinic left, the account itself is switched off: Django then treats every
    # session it has as signed out on the next request, and its API tokens stop too. A
    # person still working at another clinic keeps their account there.
    user = User.objects.select_for_update().get(pk=membership.user_id)
    account_closed = False
    if user.is_active and not Membership.objects.filter(user=user, is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        account_closed = True
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type=AuditEventType.MEMBERSHIP_DEACTIVATED,
        subject_type="membership",
        subject_id=membership.pk,
        before={"is_active": True},
        after={"is_active": False, "user_id": user.pk, "account_closed": account_closed},
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
    slot = limiter.claim(email, ip)
    if not slot.allowed:
        _audit_auth(AuditEventType.AUTH_LOCKED_OUT, user=None, email=email, ip=ip)
        return PasswordCheck(user=None, locked_out=True, retry_at=slot.retry_at)
    user = authenticate(request, username=email, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            _audit_auth(AuditEventType.AUTH_LOCKED_OUT, user=None, email=email, ip=ip)
            return PasswordCheck(
                user=None, locked_out=True, retry_at=timezone.now() + limiter.cooloff()
            )
        _audit_auth(AuditEventType.AUTH_LOGIN_FAILED, user=None, email=email, ip=ip)
        return PasswordCheck(user=None)
    limiter.reset(email, ip)
    return PasswordCheck(user=user)


def signin_record(*, request: HttpRequest, user: User) -> None:
    _audit_auth(
        AuditEventType.AUTH_LOGIN, user=user, email=user.email, ip=get_client_ip_address(request)
    )


def signout_record(*, request: HttpRequest, user: User) -> None:
    _audit_auth(
        AuditEventType.AUTH_LOGOUT, user=user, email=user.email, ip=get_client_ip_address(request)
    )


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
                event_type=AuditEventType.AUTH_OTP_VERIFIED,
                subject_type="user",
                subject_id=user.pk,
                after={"method": method, "ip": ip},
            )
            return OtpCheck(device=verified)
    audit_record(
        clinic=None,
        actor=user,
        event_type=AuditEventType.AUTH_OTP_FAILED,
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
        event_type=AuditEventType.AUTH_RECOVERY_CODES,
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
            event_type=AuditEventType.AUTH_2FA_ENABLED,
            subject_type="user",
            subject_id=user.pk,
            after={"device": device.name},
        )
        codes = recovery_codes_generate(user=user)
    django_otp.login(request, device)
    request.session.cycle_key()
    return codes


# --- Invitations ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationSent:
    invitation: StaffInvitation
    # The link as emailed; shown to nobody else and never stored.
    link: str


def _invitation_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _send_invitation_mail(*, invitation: StaffInvitation, link: str, clinic_name: str) -> None:
    days = settings.PISTOR_INVITATION_DAYS
    body = (
        f"Hello {invitation.full_name or ''}\n\n"
        f"You have been invited to join {clinic_name} on Pistor as "
        f"{Role(invitation.role).label.lower()}.\n\n"
        f"Open this link to choose your password (it works once, for {days} days):\n\n"
        f"{link}\n\n"
    )
    if Role(invitation.role) in OTP_REQUIRED_ROLES:
        body += (
            "Your role reads clinical records, so after choosing a password you will set up an "
            "authenticator app on your phone for a second sign-in step.\n\n"
        )
    body += "If you were not expecting this, ignore this email: nothing happens without it.\n"
    try:
        send_mail(
            subject=f"Your invitation to {clinic_name} on Pistor",
            message=body,
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:  # an unreachable mail server must not turn a saved invitation into a 500
        # Only the invitation's number: no address in the logs.
        logger.exception("Could not send staff invitation %s", invitation.pk)


@transaction.atomic
def staff_invite(
    *,
    clinic: Clinic,
    email: str,
    full_name: str,
    role: str,
    actor: User | None,
    build_url: Callable[[str], str],
    now: datetime | None = None,
) -> InvitationSent:
    """Invite a person to the clinic's staff with a role, by an emailed single-use link.

    The email leaves after the transaction commits. An earlier link for the same address at
    this clinic stops working. ``build_url`` turns the link's path into an absolute address
    (``request.build_absolute_uri``).
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address, such as name@clinic.org."]
    if len(full_name) > 200:
        errors["full_name"] = ["Keep the name to 200 characters."]
    try:
        _validate_role(role)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if "email" not in errors and (
        Membership.objects.filter(clinic=clinic, user__email__iexact=email, is_active=True).exists()
    ):
        errors["email"] = [f"{email} is already a member of staff at {clinic.name}."]
    if errors:
        raise ValidationFailed("Some details need correcting.", fields=errors)

    withdrawn = StaffInvitation.objects.for_clinic(clinic).filter(
        email=email, accepted_at__isnull=True, withdrawn_at__isnull=True
    )
    withdrawn_ids = list(withdrawn.values_list("pk", flat=True))
    withdrawn.update(withdrawn_at=now)
    secret = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        clinic=clinic,
        email=email,
        full_name=full_name,
        role=Role(role),
        secret_hash=_invitation_hash(secret),
        invited_by=actor if actor is not None and actor.is_authenticated else None,
        expires_at=now + timedelta(days=settings.PISTOR_INVITATION_DAYS),
    )
    try:
        invitation.full_clean()
    except ValidationError as exc:
        raise validation_error_from_django(exc) from None
    invitation.save()
    audit_record(
        clinic=clinic,
        actor=actor,
        event_type="staff.invited",
        subject_type="staff_invitation",
        subject_id=invitation.pk,
        after={
            "email": email,
            "role": invitation.role,
            "expires_at": invitation.expires_at.isoformat(),
            "withdrawn_invitations": withdrawn_ids,
        },
    )
    link = build_url(reverse("accounts:invitation", args=[secret]))
    clinic_name = clinic.name
    transaction.on_commit(
        lambda: _send_invitation_mail(invitation=invitation, link=link, clinic_name=clinic_name)
    )
    return InvitationSent(invitation=invitation, link=link)


def invitation_get_open(*, secret: str, now: datetime | None = None) -> StaffInvitation:
    """The invitation a link's secret opens, or ``NotFound`` (used, withdrawn, expired)."""
    now = now or timezone.now()
    if not secret or len(secret) > 100:
        raise NotFound(_INVITATION_GONE)
    invitation = (
        StaffInvitation.objects.filter(secret_hash=_invitation_hash(secret))
        .select_related("clinic")
        .first()
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.withdrawn_at is not None
        or invitation.expires_at <= now
        or not invitation.clinic.is_active
    ):
        raise NotFound(_INVITATION_GONE)
    return invitation


_INVITATION_GONE = (
    "This invitation link is not valid any more: it has been used, replaced by a newer one, "
    "or it has expired. Ask your clinic manager to invite you again."
)


def invitation_needs_password(invitation: StaffInvitation) -> bool:
    """A new account, or one switched off, chooses a password; an active one keeps its own."""
    user = User.objects.filter(email__iexact=invitation.email).first()
    return user is None or not user.is_active or not user.has_usable_password()


@transaction.atomic
def invitation_accept(
    *,
    secret: str,
    full_name: str,
    password: str | None,
    now: datetime | None = None,
) -> User:
    """Use an invitation: create (or reopen) the account and give it the role at the clinic.

    The link is spent by one conditional UPDATE, so two tabs submitting together cannot both
    use it. A person who already has an active account keeps their password.
    """
    now = now or timezone.now()
    invitation = invitation_get_open(secret=secret, now=now)
    needs_password = invitation_needs_password(invitation)
    full_name = (full_name or "").strip() or invitation.full_name
    errors: dict[str, list[str]] = {}
    existing = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if existing is None and not full_name:
        errors["full_name"] = ["Enter your full name."]
    if len(full_name) > 200:
        errors["full_name"] = ["Keep the name to 200 characters."]
    if needs_password:
        if not password:
            errors["password"] = ["Choose a password."]
        else:
            probe = existing or User(email=invitation.email, full_name=full_name)
            try:
                validate_password(password, user=probe)
            except ValidationError as exc:
                errors["password"] = [str(m) for m in exc.messages]
    if errors:
        raise ValidationFailed("Some details need correcting.", fields=errors)
    spent = StaffInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(accepted_at=now)
    if not spent:
        raise NotFound(_INVITATION_GONE)

    clinic = invitation.clinic
    if existing is None:
        user = User(email=invitation.email, full_name=full_name)
        user.set_password(password)
        try:
            user.full_clean()
        except ValidationError as exc:
            raise validation_error_from_django(exc) from None
        user.save()
        audit_record(
            clinic=clinic,
            actor=user,
            event_type="staff.created",
            subject_type="user",
            subject_id=user.pk,
            after={"email": user.email, "full_name": user.full_name, "invitation": invitation.pk},
        )
    else:
        user = existing
        _account_reopen(user=user, clinic=clinic, actor=user)
        if needs_password:
            user.set_password(password)
            user.save(update_fields=["password"])
            audit_record(
                clinic=clinic,
                actor=user,
                event_type="auth.password_set",
                subject_type="user",
                subject_id=user.pk,
                after={"via": "invitation"},
            )
    StaffInvitation.objects.filter(pk=invitation.pk).update(user=user)

    membership = Membership.objects.filter(user=user, clinic=clinic).first()
    before = None
    if membership is None:
        membership = Membership(user=user, clinic=clinic, role=invitation.role)
    else:
        before = {"role": membership.role, "is_active": membership.is_active}
        membership.role = invitation.role
        membership.is_active = True
    membership.full_clean()
    membership.save()
    audit_record(
        clinic=clinic,
        actor=user,
        event_type="membership.created" if before is None else "membership.reactivated",
        subject_type="membership",
        subject_id=membership.pk,
        before=before,
        after={
            "user_id": user.pk,
            "role": membership.role,
            "is_active": True,
            "invitation": invitation.pk,
        },
    )
    return user


@transaction.atomic
def invitation_withdraw(
    *, clinic: Clinic, invitation_id: int, actor: User | None
) -> StaffInvitation:
    """Stop an unused invitation's link from working."""
    invitation = (
        StaffInvitation.objects.for_clinic(clinic)
        .select_for_update()
        .filter(pk=invitation_id, accepted_at__isnull=True, withdrawn_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound("There is no open invitation with that number at this clinic.")
    invitation.withdrawn_at = timezone.now()
    invitation.save(update_fields=["withdrawn_at", "updated_at"])
    audit_record(
        clinic=clinic,
        actor=actor,
        event_type="staff.invitation_withdrawn",
        subject_type="staff_invitation",
        subject_id=invitation.pk,
        after={"email": invitation.email},
    )
    return invitation


# --- A manager's help with someone's sign-in ---------------------------------------------


@transaction.atomic
def authenticator_reset(*, membership: Membership, actor: User | None) -> int:
    """Remove a member's authenticator and recovery codes (a lost or replaced phone).

    Their sessions lose the second factor at once; a role that requires one sets up a new
    authenticator at the next step. Returns how many devices were removed.
    """
    user_id = membership.user_id
    removed = TOTPDevice.objects.filter(user_id=user_id).delete()[0]
    removed += StaticDevice.objects.filter(user_id=user_id).delete()[0]
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type="auth.2fa_reset",
        subject_type="user",
        subject_id=user_id,
        after={"membership": membership.pk, "devices_removed": removed},
    )
    return removed


def account_is_locked(email: str, *, now: datetime | None = None) -> bool:
    """True while sign-in is paused for this account from some address."""
    now = now or timezone.now()
    since = now - limiter.cooloff()
    email = limiter.normalise_username(email)
    return AccessAttempt.objects.filter(
        username__iexact=email,
        failures_since_start__gte=limiter.failure_limit(),
        attempt_time__gte=since,
    ).exists()


@transaction.atomic
def account_unlock(*, membership: Membership, actor: User | None) -> int:
    """Lift every sign-in pause on a member's account, from whichever address.

    Clears django-axes' failure records for the account and the limiter's window for each
    address axes saw; returns how many addresses were paused.
    """
    email = limiter.normalise_username(membership.user.email)
    attempts = list(
        AccessAttempt.objects.filter(username__iexact=email).values_list("username", "ip_address")
    )
    addresses = {address for _, address in attempts}
    for address in addresses:
        limiter.reset(email, address)
    # Axes keeps the name as typed at sign-in ("Nurse@…"), so each spelling is cleared.
    for username in {name for name, _ in attempts} | {email}:
        axes_reset(username=username)
    audit_record(
        clinic=membership.clinic,
        actor=actor,
        event_type="auth.unlocked",
        subject_type="user",
        subject_id=membership.user_id,
        after={"membership": membership.pk, "addresses": len(addresses)},
    )
    return len(addresses)


# --- Own password -----------------------------------------------------------------------


@transaction.atomic
def password_change(*, request: HttpRequest, user: User, new_password: str) -> None:
    """Set the person's own password; this session stays signed in, their others end.

    The caller has checked the old password and the rules (Django's ``PasswordChangeForm``).
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    audit_record(
        clinic=None,
        actor=user,
        event_type="auth.password_changed",
        subject_type="user",
        subject_id=user.pk,
        after={"ip": get_client_ip_address(request)},
    )


def password_reset_record(*, request: HttpRequest, user: User) -> None:
    """Audit a password set through an emailed reset link."""
    audit_record(
        clinic=None,
        actor=user,
        event_type="auth.password_reset",
        subject_type="user",
        subject_id=user.pk,
        after={"ip": get_client_ip_address(request)},
    )
