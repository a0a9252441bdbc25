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
    AUTH_2FA_RESET = "auth.2fa_reset", "Authenticator removed by a manager"
    AUTH_PASSWORD_CHANGED = "auth.password_changed", "Password changed"
    AUTH_PASSWORD_RESET = "auth.password_reset", "Password reset by email link"
    AUTH_PASSWORD_SET = "auth.password_set", "Password set from an invitation"
    AUTH_UNLOCKED = "auth.unlocked", "Account unlocked"
    STAFF_INVITED = "staff.invited", "Staff member invited"
    STAFF_INVITATION_WITHDRAWN = "staff.invitation_withdrawn", "Invitation withdrawn"
    STAFF_REOPENED = "staff.reopened", "Staff account reopened"
    # The clinic
    CLINIC_CREATED = "clinic.created", "Clinic opened"
    CLINIC_SWITCHED = "clinic.switched", "Switched to this clinic"
    CLINIC_SETTINGS_UPDATED = "clinic.settings_updated", "Screening settings changed"
    CLINIC_SEEDED = "clinic.seeded", "Made-up data generated (pistor seed)"
    PRICE_SET = "price.set", "Price set"
    PRICE_DELETED = "price.deleted", "Price removed"
    PRICING_VAT_SET = "pricing.vat_set", "VAT rate changed"
    CATALOG_PRODUCT_CREATED = "catalog.clinic_product.created", "Clinic product added"
    CATALOG_PRODUCT_UPDATED = "catalog.clinic_product.updated", "Clinic product changed"
    CATALOG_PRODUCT_RETIRED = "catalog.clinic_product.retired", "Clinic product retired"
    CATALOG_PROTOCOL_CREATED = "catalog.clinic_protocol.created", "Clinic protocol added"
    CATALOG_PROTOCOL_UPDATED = "catalog.clinic_protocol.updated", "Clinic protocol changed"
    CATALOG_PROTOCOL_RETIRED = "catalog.clinic_protocol.retired", "Clinic protocol retired"
    # Patients' records
    PATIENT_VIEWED = "patient.viewed", "Record opened"
    PATIENT_LIST_VIEWED = "patient.list_viewed", "Patient list or search read"
    PATIENT_CREATED = "patient.created", "Patient registered"
    PATIENT_UPDATED = "patient.updated", "Record changed"
    PATIENT_ARCHIVED = "patient.archived", "Record archived"
    PATIENT_RESTORED = "patient.restored", "Record restored"
    CLINICAL_SCREEN_RUN = "clinical.screen_run", "Safety screen run"
    # The care pathway
    INTAKE_SUBMITTED = "intake.submitted", "Medical history recorded"
    INTAKE_LINK_CREATED = "intake_link.created", "Medical history link sent"
    INTAKE_LINK_USED = "intake_link.used", "Medical history filled by the patient"
    CONSULTATION_RECORDED = "consultation.recorded", "Consultation recorded"
    SCREENING_OVERRIDDEN = "screening.overridden", "Safety warning overridden"
    ALLERGY_TEST_PLACED = "allergy_test.placed", "Allergy test placed"
    ALLERGY_TEST_READ = "allergy_test.read", "Allergy test read"
    ALLERGY_TEST_READING_SIGNED = "allergy_test.reading_signed", "Allergy test reading signed"
    CONSENT_CREATED = "consent.created", "Consent drawn up"
    CONSENT_LINK_CREATED = "consent.link_created", "Consent link sent"
    CONSENT_PATIENT_SIGNED = "consent.patient_signed", "Consent signed by the patient"
    CONSENT_SIGNED = "consent.signed", "Consent countersigned and in force"
    RECORD_ADDENDUM_ADDED = "record.addendum_added", "Addendum added to a signed record"
    RECORD_WITHDRAWN = "record.withdrawn", "Signed record withdrawn"
    PLAN_CREATED = "plan.created", "Treatment plan drawn up"
    PLAN_SESSION_CHANGED = "plan.session_changed", "Planned session changed"
    # Treatment sessions
    TREATMENT_STARTED = "treatment.started", "Treatment session started"
    TREATMENT_COCKTAIL_LINE_ADDED = "treatment.cocktail_line_added", "Cocktail line added"
    TREATMENT_COCKTAIL_LINE_REMOVED = "treatment.cocktail_line_removed", "Cocktail line removed"
    TREATMENT_CHART_AREA_ADDED = "treatment.chart_area_added", "Injection area charted"
    TREATMENT_CHART_AREA_REMOVED = "treatment.chart_area_removed", "Injection area removed"
    TREATMENT_CHART_POINT_ADDED = "treatment.chart_point_added", "Injection point marked"
    TREATMENT_SIGNED = "treatment.signed", "Treatment session signed"
    TREATMENT_DETAILS_RECORDED = (
        "treatment.details_recorded",
        "Session details recorded (cream, times, reactions)",
    )
    # Scheduling
    APPOINTMENT_BOOKED = "appointment.booked", "Appointment booked"
    APPOINTMENT_MOVED = "appointment.moved", "Appointment moved"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    APPOINTMENT_STATUS_CHANGED = "appointment.status_changed", "Appointment status changed"
    SCHEDULING_OPENING_HOURS_SET = "scheduling.opening_hours_set", "Opening hours set"
    SCHEDULING_CLOSED_DAY_ADDED = "scheduling.closed_day_added", "Closed day added"
    SCHEDULING_WORKING_HOURS_SET = "scheduling.working_hours_set", "Working hours set"
    SCHEDULING_HOURS_EXCEPTION_ADDED = "scheduling.hours_exception_added", "Hours changed for a day"
    SCHEDULING_ABSENCE_ADDED = "scheduling.absence_added", "Absence recorded"
    SCHEDULING_RESOURCE_CREATED = "scheduling.resource_created", "Room or device added"
    SCHEDULING_APPOINTMENT_TYPE_CREATED = "scheduling.appointment_type_created", "Visit type added"
    SCHEDULING_FEED_CREATED = "scheduling.feed_created", "Calendar feed created"
    SCHEDULING_FEED_REVOKED = "scheduling.feed_revoked", "Calendar feed revoked"
    # The stock room
    INVENTORY_PRODUCT_CREATED = "inventory.product_created", "Stock product added"
    INVENTORY_PRODUCT_UPDATED = "inventory.product_updated", "Stock product changed"
    INVENTORY_BATCH_RECEIVED = "inventory.batch_received", "Batch received"
    INVENTORY_BATCH_RECALLED = "inventory.batch_recalled", "Batch recalled"
    INVENTORY_STOCK_COUNTED = "inventory.stock_counted", "Stock counted"
    INVENTORY_STOCK_REMOVED = "inventory.stock_removed", "Stock wasted, expired or returned"
    INVENTORY_CONTAINER_OPENED = "inventory.container_opened", "Multi-dose vial opened"
    INVENTORY_CONTAINER_DISCARDED = "inventory.container_discarded", "Opened vial discarded"
    INVENTORY_ADMINISTERED = "inventory.administered", "Product given to a patient"
    INVENTORY_FRIDGE_CREATED = "inventory.fridge_created", "Fridge added"
    INVENTORY_FRIDGE_READING = "inventory.fridge_reading", "Fridge temperature recorded"
    INVENTORY_SETTINGS_UPDATED = "inventory.settings_updated", "Stock alert settings changed"
    INVENTORY_ALERTS_SENT = "inventory.alerts_sent", "Stock alerts emailed to managers"
    # Online booking (the public page)
    ONLINE_BOOKING_MADE = "online_booking.made", "Booked online by a patient"
    ONLINE_BOOKING_CANCELLED = "online_booking.cancelled", "Online booking cancelled by link"
    ONLINE_BOOKING_MOVED = "online_booking.moved", "Online booking moved by link"
    ONLINE_BOOKING_REVIEWED = "online_booking.reviewed", "Online registration reviewed"
    ONLINE_BOOKING_SETTINGS_UPDATED = (
        "online_booking.settings_updated",
        "Online booking settings changed",
    )
    # Messages, reminders and recalls (issue 11 §7)
    MESSAGE_SENT = "message.sent", "Message sent"
    MESSAGE_NOT_SENT = "message.not_sent", "Message not sent"
    MESSAGE_PREFERENCES_CHANGED = "message.preferences_changed", "Contact preferences changed"
    MESSAGING_SETTINGS_CHANGED = "message.settings_changed", "Reminder settings changed"
    DAILY_JOB_ENQUEUED = "message.daily_job_enqueued", "Daily reminders started"
    # Photographs
    PHOTO_UPLOADED = "photo.uploaded", "Photograph taken or uploaded"
    PHOTO_VIEWED = "photo.viewed", "Photograph opened"
    PHOTOS_LISTED = "photo.listed", "Photographs shown on a gallery or comparison page"
    PHOTO_FILED = "photo.filed", "Photograph filed under a treatment session"
    PHOTO_WITHDRAWN = "photo.withdrawn", "Photograph withdrawn"
    PHOTO_EXPORTED = "photo.exported", "Photograph exported for publicity"
    PHOTO_FILES_SWEPT = "photo.files_swept", "Leftover photograph files removed"
    # Outcomes (issue 12)
    OUTCOME_MEASUREMENT_RECORDED = "outcome.measurement_recorded", "Outcome scale scored"
    OUTCOME_SIDE_EFFECT_RECORDED = "outcome.side_effect_recorded", "Side effect recorded"
    OUTCOME_SIDE_EFFECT_UPDATED = "outcome.side_effect_updated", "Side effect updated"
    OUTCOME_SIDE_EFFECT_REVIEWED = "outcome.side_effect_reviewed", "Flagged side effect reviewed"
    OUTCOME_FOLLOW_UP_SCHEDULED = "outcome.follow_up_scheduled", "Safety-net call scheduled"
    OUTCOME_FOLLOW_UP_DONE = "outcome.follow_up_done", "Safety-net call made"
    # The installation
    SYSTEM_STARTED = "system.started", "System started"


#: Events that record only that someone looked, not that something changed: the trail
#: links them with "View" and shows what they name, and each is committed on its own by
#: the page that looked, without waiting for the disk (``audit_waits_for_flush``).
VIEW_EVENTS = frozenset(
    {
        AuditEventType.PATIENT_VIEWED,
        AuditEventType.PATIENT_LIST_VIEWED,
        AuditEventType.PHOTO_VIEWED,
        AuditEventType.PHOTOS_LISTED,
    }
)

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
    "staff_invitation": "Staff invitation",
    "consent": "Consent",
    "plan": "Treatment plan",
    "price_item": "Price",
    "stock_product": "Stock product",
    "batch": "Batch",
    "container": "Opened vial",
    "administration": "Product given",
    "fridge": "Fridge",
    "treatment_session": "Treatment session",
    "appointment": "Appointment",
    "appointment_type": "Visit type",
    "calendar_feed": "Calendar feed",
    "closed_day": "Closed day",
    "resource": "Room or device",
    # Signed records name themselves by their model (``SignedRecord.record_type``).
    "consents.consent": "Consent",
    "treatments.treatmentsession": "Treatment session",
    "allergytests.allergytestreading": "Allergy test reading",
    "online_booking": "Online booking",
    "message": "Message",
    "message_preference": "Contact preferences",
    "messaging_settings": "Reminder settings",
    "photo": "Photograph",
    "measurement": "Outcome measurement",
    "side_effect": "Side effect",
    "follow_up_call": "Follow-up call",
}
