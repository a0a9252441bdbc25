"""Every kind of audit event, in one place: its code (stored) and its name in words (shown).

``AuditEventType`` members are ``str``s, so code comparing with or storing the plain code
keeps working. The trail's "Event" filter offers exactly this list: no query over the
trail to find which types exist. A new kind of event is added here, with its words.
"""

from __future__ import annotations

from django.db import models


class AuditEventType(models.TextChoices):
    """The fixed list of event codes; the label is what the trail shows."""

    # Sign-in and accounts (the global chain: not yet in any one clinic)
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    AUTH_LOCKED_OUT = "auth.locked_out", "Sign-in refused: account locked"
    AUTH_OTP_VERIFIED = "auth.otp_verified", "Authenticator code accepted"
    AUTH_OTP_FAILED = "auth.otp_failed", "Authenticator code refused"
    AUTH_2FA_ENABLED = "auth.2fa_enabled", "Authenticator set up"
    AUTH_RECOVERY_CODES = "auth.recovery_codes_generated", "Recovery codes issued"
    STAFF_CREATED = "staff.created", "Staff member added"
    MEMBERSHIP_CREATED = "membership.created", "Role given"
    MEMBERSHIP_REACTIVATED = "membership.reactivated", "Role given back"
    MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", "Role changed"
    MEMBERSHIP_DEACTIVATED = "membership.deactivated", "Role removed"
    API_TOKEN_CREATED = "api_token.created", "API token issued"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    # The clinic
    CLINIC_CREATED = "clinic.created", "Clinic opened"
    CLINIC_SWITCHED = "clinic.switched", "Switched to this clinic"
    CLINIC_SETTINGS_UPDATED = "clinic.settings_updated", "Screening settings changed"
    CATALOG_PRODUCT_CREATED = "catalog.clinic_product.created", "Clinic product added"
    CATALOG_PRODUCT_UPDATED = "catalog.clinic_product.updated", "Clinic product changed"
    CATALOG_PRODUCT_RETIRED = "catalog.clinic_product.retired", "Clinic product retired"
    CATALOG_PROTOCOL_CREATED = "catalog.clinic_protocol.created", "Clinic protocol added"
    CATALOG_PROTOCOL_UPDATED = "catalog.clinic_protocol.updated", "Clinic protocol changed"
    CATALOG_PROTOCOL_RETIRED = "catalog.clinic_protocol.retired", "Clinic protocol retired"
    # Patients' records
    PATIENT_VIEWED = "patient.viewed", "Record opened"
    PATIENT_CREATED = "patient.created", "Patient registered"
    PATIENT_UPDATED = "patient.updated", "Record changed"
    PATIENT_ARCHIVED = "patient.archived", "Record archived"
    PATIENT_RESTORED = "patient.restored", "Record restored"
    CLINICAL_SCREEN_RUN = "clinical.screen_run", "Safety screen run"
    # The installation
    SYSTEM_STARTED = "system.started", "System started"


#: Events that record that someone looked, not that something changed: the trail links
#: them with "View", not "View changes".
VIEW_EVENTS = frozenset({AuditEventType.PATIENT_VIEWED})

_LABELS: dict[str, str] = {str(member.value): str(member.label) for member in AuditEventType}


def event_type_label(code: str) -> str:
    """The words for ``code``; an unlisted code (an older or newer release) shows as is."""
    return _LABELS.get(code, code)


def catalog_event(what: str, verb: str) -> AuditEventType:
    """The catalog event for a clinic ``what`` ("product", "protocol") and ``verb``."""
    return AuditEventType(f"catalog.clinic_{what}.{verb}")


#: The kinds of record an event can be about, with their names; the "Record type" filter.
SUBJECT_TYPES: dict[str, str] = {
    "patient": "Patient",
    "user": "Staff account",
    "membership": "Staff role",
    "clinic": "Clinic",
    "api_token": "API token",
    "clinic_product": "Clinic product",
    "clinic_protocol": "Clinic protocol",
    "protocol": "Protocol",
}
