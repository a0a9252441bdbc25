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


_ALL = frozenset(Action)

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
        }
    ),
    Role.MANAGER: _ALL,
}


def can(role: Role | str | None, action: Action) -> bool:
    if role is None:
        return False
    return action in MATRIX.get(Role(role), frozenset())
