"""The permission matrix: which role may do what. The one place this is decided.

Views, API endpoints and services ask ``can(role, action)``; a test walks every cell.
"""

from __future__ import annotations

from enum import StrEnum

from pistor.clinics.models import Role


class Action(StrEnum):
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_EDIT = "patient.edit"
    PATIENT_ARCHIVE = "patient.archive"
    CLINICAL_NOTES_VIEW = "clinical_notes.view"
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"  # clinic-specific protocols and products
    AUDIT_VIEW = "audit.view"
    STAFF_MANAGE = "staff.manage"
    CLINIC_SETTINGS = "clinic.settings"
    CLINIC_SETTINGS_VIEW = "clinic_settings.view"  # read the safety settings (every role)
    API_DOCS_VIEW = "api_docs.view"
    # Planner, safety screen, cocktail suggestions, dosing and scales: clinical staff only.
    CLINICAL_TOOLS_USE = "clinical_tools.use"
    # Consent: read; draw up, send the link, take the patient's signature, withdraw.
    CONSENT_VIEW = "consent.view"
    CONSENT_MANAGE = "consent.manage"
    # The practitioner's countersignature, which signs and freezes a consent.
    CONSENT_COUNTERSIGN = "consent.countersign"
    # Treatment plans with their quote and gate panel.
    PLAN_VIEW = "plan.view"
    PLAN_MANAGE = "plan.manage"
    # The clinic's price list and VAT rate.
    PRICE_LIST_MANAGE = "price_list.manage"
    # Intake: reception fills it at the desk and sends links; reading it is a clinical note.
    INTAKE_RECORD = "intake.record"
    INTAKE_LINK_SEND = "intake_link.send"
    CONSULTATION_RECORD = "consultation.record"
    # Going ahead despite a screening warning is a prescriber's decision (REFERENCE §3).
    SCREENING_OVERRIDE = "screening.override"
    ALLERGY_TEST_RECORD = "allergy_test.record"
    # Stock (issue 9). Goods-in is for nurses and managers; trace (contact details) for
    # practitioners and managers; products, recall, waste and counts for managers.
    INVENTORY_VIEW = "inventory.view"  # stock, batches, opened vials, alerts, fridge log
    INVENTORY_RECEIVE = "inventory.receive"  # goods-in, open a vial, fridge readings
    INVENTORY_USE = "inventory.use"  # record product given to a patient
    INVENTORY_TRACE = "inventory.trace"  # who received a batch, with contact details
    INVENTORY_MANAGE = "inventory.manage"  # products, recall, waste, counts, alert settings
    # Treatment sessions (issue 10): read; start and chart; sign (the treating practitioner's act).
    TREATMENT_VIEW = "treatment.view"
    TREATMENT_RECORD = "treatment.record"
    TREATMENT_SIGN = "treatment.sign"
    # Scheduling: every role reads the calendar and books; managers keep hours and resources.
    SCHEDULE_VIEW = "schedule.view"
    APPOINTMENT_BOOK = "appointment.book"
    SCHEDULE_MANAGE = "schedule.manage"
    # Messages (issue 11 §7): a patient's messages and contact preferences (no health data in
    # them), reception's due-recalls worklist; the clinic's whole log and its reminder
    # settings for managers.
    MESSAGES_VIEW = "messages.view"
    MESSAGE_PREFERENCES_EDIT = "message_preferences.edit"
    RECALLS_VIEW = "recalls.view"
    MESSAGE_LOG_VIEW = "message_log.view"
    # Photographs (issue 12): see; take or upload and withdraw; export for publicity, which
    # the patient's photograph consent must allow.
    PHOTO_VIEW = "photo.view"
    PHOTO_RECORD = "photo.record"
    PHOTO_EXPORT = "photo.export"
    # Outcomes (issue 12): scale scores and side effects on a patient's record; the review
    # list of flagged side effects and follow-up calls; the clinic's outcomes report.
    OUTCOME_VIEW = "outcome.view"
    OUTCOME_RECORD = "outcome.record"
    SIDE_EFFECT_REVIEW = "side_effect.review"
    OUTCOME_REPORT = "outcome.report"


_ALL = frozenset(Action)
# Decisions only a practitioner makes, whatever else a role may do.
_PRACTITIONER_ONLY = frozenset({Action.SCREENING_OVERRIDE, Action.TREATMENT_SIGN})

MATRIX: dict[Role, frozenset[Action]] = {
    Role.PRACTITIONER: frozenset(
        {
            Action.PATIENT_VIEW,
            Action.PATIENT_CREATE,
            Action.PATIENT_EDIT,
            Action.PATIENT_ARCHIVE,
            Action.CLINICAL_NOTES_VIEW,
            Action.CATALOG_VIEW,
            Action.API_DOCS_VIEW,
            Action.CLINIC_SETTINGS_VIEW,
            Action.CLINICAL_TOOLS_USE,
            Action.CONSENT_VIEW,
            Action.CONSENT_MANAGE,
            Action.CONSENT_COUNTERSIGN,
            Action.PLAN_VIEW,
            Action.PLAN_MANAGE,
            Action.INTAKE_RECORD,
            Action.INTAKE_LINK_SEND,
            Action.CONSULTATION_RECORD,
            Action.SCREENING_OVERRIDE,
            Action.ALLERGY_TEST_RECORD,
            Action.INVENTORY_VIEW,
            Action.INVENTORY_USE,
            Action.INVENTORY_TRACE,
            Action.TREATMENT_VIEW,
            Action.TREATMENT_RECORD,
            Action.TREATMENT_SIGN,
            Action.SCHEDULE_VIEW,
            Action.APPOINTMENT_BOOK,
            Action.MESSAGES_VIEW,
            Action.MESSAGE_PREFERENCES_EDIT,
            Action.RECALLS_VIEW,
            Action.PHOTO_VIEW,
            Action.PHOTO_RECORD,
            Action.PHOTO_EXPORT,
            Action.OUTCOME_VIEW,
            Action.OUTCOME_RECORD,
            Action.SIDE_EFFECT_REVIEW,
        }
    ),
    Role.NURSE: frozenset(
        {
            Action.PATIENT_VIEW,
            Action.PATIENT_CREATE,
            Action.PATIENT_EDIT,
            Action.CLINICAL_NOTES_VIEW,
            Action.CATALOG_VIEW,
            Action.API_DOCS_VIEW,
            Action.CLINIC_SETTINGS_VIEW,
            Action.CLINICAL_TOOLS_USE,
            Action.CONSENT_VIEW,
            Action.CONSENT_MANAGE,
            Action.PLAN_VIEW,
            Action.INTAKE_RECORD,
            Action.INTAKE_LINK_SEND,
            Action.CONSULTATION_RECORD,
            Action.ALLERGY_TEST_RECORD,
            Action.INVENTORY_VIEW,
            Action.INVENTORY_RECEIVE,
            Action.INVENTORY_USE,
            Action.TREATMENT_VIEW,
            Action.TREATMENT_RECORD,
            Action.SCHEDULE_VIEW,
            Action.APPOINTMENT_BOOK,
            Action.MESSAGES_VIEW,
            Action.MESSAGE_PREFERENCES_EDIT,
            Action.RECALLS_VIEW,
            Action.PHOTO_VIEW,
            Action.PHOTO_RECORD,
            Action.OUTCOME_VIEW,
            Action.OUTCOME_RECORD,
        }
    ),
    # Reception books and registers; it does not read clinical notes or the audit trail.
    Role.RECEPTION: frozenset(
        {
            Action.PATIENT_VIEW,
            Action.PATIENT_CREATE,
            Action.PATIENT_EDIT,
            Action.CATALOG_VIEW,
            Action.API_DOCS_VIEW,
            Action.CLINIC_SETTINGS_VIEW,
            Action.INTAKE_RECORD,
            Action.INTAKE_LINK_SEND,
            Action.SCHEDULE_VIEW,
            Action.APPOINTMENT_BOOK,
            Action.MESSAGES_VIEW,
            Action.MESSAGE_PREFERENCES_EDIT,
            Action.RECALLS_VIEW,
        }
    ),
    Role.MANAGER: _ALL - _PRACTITIONER_ONLY,
}


def can(role: Role | str | None, action: Action) -> bool:
    if role is None:
        return False
    return action in MATRIX.get(Role(role), frozenset())
