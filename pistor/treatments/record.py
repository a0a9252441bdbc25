"""The treatment panel on the patient record: sessions newest first, the course on top."""

from __future__ import annotations

from typing import Any

from pistor.clinics.permissions import Action
from pistor.patients.record import patient_row_changes, record_panel_register, row_changes
from pistor.plans.models import Plan, PlanSession
from pistor.treatments.constants import MAP_HEIGHT, MAP_WIDTH
from pistor.treatments.models import ChartArea, ChartPoint, CocktailLine, TreatmentSession
from pistor.treatments.selectors import CHART_SMALL, VOLUME_CHART, session_timeline

_SESSIONS = TreatmentSession._meta.db_table
_OF_PATIENT = "s.clinic_id = %(clinic)s AND s.patient_id = %(patient)s"
_PLANS = Plan._meta.db_table

# Every row session_timeline reads: the sessions (status, findings, reactions, signer),
# their cocktail lines, areas and points, and the plans with their planned sessions.
TIMELINE_VERSIONS = (
    *patient_row_changes(TreatmentSession),
    *row_changes(
        f"FROM {CocktailLine._meta.db_table} r JOIN {_SESSIONS} s ON s.id = r.session_id "
        f"WHERE {_OF_PATIENT}"
    ),
    *row_changes(
        f"FROM {ChartArea._meta.db_table} r JOIN {_SESSIONS} s ON s.id = r.session_id "
        f"WHERE {_OF_PATIENT}"
    ),
    *row_changes(
        f"FROM {ChartPoint._meta.db_table} r JOIN {ChartArea._meta.db_table} a "
        f"ON a.id = r.area_id JOIN {_SESSIONS} s ON s.id = a.session_id WHERE {_OF_PATIENT}"
    ),
    *patient_row_changes(Plan),
    *row_changes(
        f"FROM {PlanSession._meta.db_table} r JOIN {_PLANS} p ON p.id = r.plan_id "
        "WHERE p.clinic_id = %(clinic)s AND p.patient_id = %(patient)s"
    ),
)


@record_panel_register(
    "treatment_timeline",
    template="treatments/partials/timeline.html",
    action=Action.TREATMENT_VIEW,
    versions=TIMELINE_VERSIONS,
)
def treatment_timeline(patient: Any) -> dict[str, Any]:
    return {
        "show": True,
        "timeline": session_timeline(clinic_id=patient.clinic_id, patient_id=patient.pk),
        "small_w": MAP_WIDTH * CHART_SMALL,
        "small_h": MAP_HEIGHT * CHART_SMALL,
        "chart_w": VOLUME_CHART[0],
        "chart_h": VOLUME_CHART[1],
    }
