"""Reads of the message log and the lists the reminder jobs and the recalls worklist use.

Every function here runs a fixed number of queries whatever the number of patients,
plans or appointments (the tests cap them).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, QuerySet

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.protocols import MAINTENANCE, course_rhythms, rhythm_for_session
from pistor.messaging.constants import AFTERCARE_LOOKBACK_HOURS, Kind
from pistor.messaging.models import Message, MessagePreference, MessagingSettings
from pistor.plans.models import Plan, PlanSession
from pistor.records.constants import RecordStatus
from pistor.scheduling.constants import Status
from pistor.scheduling.models import Appointment
from pistor.treatments.models import TreatmentSession

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient

MESSAGE_LIST_MAX = 200
# Appointments that still hold the patient's time: the next session counts as booked.
_HOLDING = (Status.BOOKED, Status.ARRIVED, Status.IN_TREATMENT)


def clinic_zone(clinic: Clinic) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(clinic.time_zone)


def messaging_settings_get(*, clinic: Clinic) -> MessagingSettings:
    """The clinic's reminder settings; the defaults (unsaved) until a manager changes them."""
    found = MessagingSettings.objects.for_clinic(clinic).first()
    return found or MessagingSettings(clinic=clinic)


def preference_get(*, patient: Patient) -> MessagePreference:
    """The patient's contact preferences; the defaults (unsaved) until someone sets them."""
    found = MessagePreference.objects.for_clinic(patient.clinic_id).filter(patient=patient).first()
    return found or MessagePreference(clinic_id=patient.clinic_id, patient=patient)


def patient_messages(*, clinic_id: int, patient_id: int) -> QuerySet[Message]:
    """A patient's messages, newest first, for paging."""
    return (
        Message.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .order_by("-created_at", "-pk")
    )


def message_list_for_patient(
    *, clinic_id: int, patient_id: int, limit: int = MESSAGE_LIST_MAX
) -> list[Message]:
    return list(
        Message.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .order_by("-created_at", "-pk")[: max(1, min(limit, MESSAGE_LIST_MAX))]
    )


def message_log(*, clinic_id: int, kind: str = "") -> QuerySet[Message]:
    """The clinic's whole log, newest first, with the recipient's name for the page."""
    rows = Message.objects.for_clinic(clinic_id).select_related("patient", "staff__user")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-pk")


def sent_keys(*, clinic_id: int, keys: list[str]) -> dict[str, Message]:
    """The messages already logged for these occasions (one query)."""
    if not keys:
        return {}
    return {
        m.dedupe_key: m for m in Message.objects.for_clinic(clinic_id).filter(dedupe_key__in=keys)
    }


# ------------------------------------------------------------------ appointment reminders


def appointment_reminder_key(appointment: Appointment) -> str:
    # The start time is part of the occasion: an appointment moved to another day gets a
    # reminder of its new time.
    return f"appointment-reminder:{appointment.pk}:{appointment.starts_at:%Y%m%dT%H%M}"


def appointments_due_reminder(*, clinic: Clinic, now: dt.datetime) -> list[Appointment]:
    """Booked appointments starting within the clinic's reminder period from ``now``,
    not yet reminded of. Two queries (plus the settings)."""
    hours = messaging_settings_get(clinic=clinic).reminder_hours_before
    due = list(
        Appointment.objects.for_clinic(clinic)
        .filter(
            status=Status.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=hours),
            patient__archived_at__isnull=True,
        )
        .select_related("patient", "appointment_type")
        .order_by("starts_at", "pk")
    )
    done = sent_keys(clinic_id=clinic.pk, keys=[appointment_reminder_key(a) for a in due])
    return [a for a in due if appointment_reminder_key(a) not in done]


# ------------------------------------------------------------------------------ aftercare


def aftercare_key(session: TreatmentSession) -> str:
    return f"aftercare:{session.pk}"


def sessions_due_aftercare(*, clinic: Clinic, now: dt.datetime) -> list[TreatmentSession]:
    """Sessions signed in the last two days whose aftercare has not gone out yet."""
    due = list(
        TreatmentSession.objects.for_clinic(clinic)
        .filter(
            status=RecordStatus.SIGNED,
            signed_at__lte=now,
            signed_at__gt=now - dt.timedelta(hours=AFTERCARE_LOOKBACK_HOURS),
            patient__archived_at__isnull=True,
        )
        .select_related("patient", "plan", "clinic")
        .order_by("signed_at", "pk")
    )
    done = sent_keys(clinic_id=clinic.pk, keys=[aftercare_key(s) for s in due])
    return [s for s in due if aftercare_key(s) not in done]


# ---------------------------------------------------- next sessions and maintenance recalls


@dataclass(frozen=True)
class CourseDue:
    """A plan whose next session's window has opened with nothing booked for it."""

    plan: Plan
    patient: Patient
    number: int  # the session to book (1-based, counting the course and maintenance)
    kind: str  # Kind.NEXT_SESSION or Kind.MAINTENANCE_RECALL
    opens: dt.date
    closes: dt.date
    last_session: dt.date
    message: Message | None

    @property
    def key(self) -> str:
        prefix = "recall" if self.kind == Kind.MAINTENANCE_RECALL else "next-session"
        return f"{prefix}:{self.plan.pk}:{self.number}"

    def overdue(self, today: dt.date) -> bool:
        return today > self.closes


def _window(
    plan: Plan, number: int, last: dt.date, planned: dict[int, PlanSession], catalog: Any
) -> tuple[str, dt.date, dt.date] | None:
    """(phase, opens, closes) of session ``number``: the protocol's interval counted from
    the last session actually given (the catalog's rhythm, maintenance included); the
    plan's own dates when its protocol is no longer in the catalog."""
    protocol = catalog.protocols.get(plan.protocol_code)
    if protocol is not None:
        try:
            rhythm = rhythm_for_session(
                protocol, number, course=course_rhythms(protocol, sessions=plan.sessions)
            )
        except ClinicalDataError:
            rhythm = None
        if rhythm is None:
            return None  # the protocol ends here: nothing more to book
        return (
            rhythm.phase,
            last + dt.timedelta(days=rhythm.interval_min_days),
            last + dt.timedelta(days=rhythm.interval_max_days),
        )
    session = planned.get(number)
    if session is None:
        return None
    return (MAINTENANCE if session.maintenance else session.phase, session.earliest, session.latest)


def course_due_list(
    *, clinic: Clinic, now: dt.datetime, include_closed: bool = False
) -> list[CourseDue]:
    """Every plan of the clinic whose course is under way (a session signed) and whose next
    session's window has opened today or earlier with no appointment holding it: the
    patient is to be asked to book. ``include_closed`` keeps those whose window has already
    closed (the worklist shows them as overdue; the jobs do not write about them).

    Six queries: plans, signed sessions, planned sessions, appointments, messages and the
    clinic's catalog (two)."""
    today = now.astimezone(clinic_zone(clinic)).date()
    given = {
        row["plan_id"]: row
        for row in TreatmentSession.objects.for_clinic(clinic)
        .filter(status=RecordStatus.SIGNED, plan__isnull=False)
        .values("plan_id")
        .annotate(done=Count("pk"), last=Max("started_at"))
    }
    if not given:
        return []
    plans = list(
        Plan.objects.for_clinic(clinic)
        .filter(pk__in=list(given), patient__archived_at__isnull=True)
        .select_related("patient")
        .order_by("pk")
    )
    planned: dict[int, dict[int, PlanSession]] = defaultdict(dict)
    for session in PlanSession.objects.for_clinic(clinic).filter(plan__in=plans):
        planned[session.plan_id][session.number] = session
    start_of_today = dt.datetime.combine(today, dt.time(0), tzinfo=clinic_zone(clinic))
    holding = list(
        Appointment.objects.for_clinic(clinic)
        .filter(
            patient_id__in={p.patient_id for p in plans},
            status__in=_HOLDING,
            starts_at__gte=start_of_today,
        )
        .values_list("patient_id", "plan_session_id")
    )
    # Any appointment still to come counts: reception may have booked it without linking
    # it to the plan, and a patient who has one is not to be asked to book.
    booked_patients = {patient_id for patient_id, _ in holding}
    catalog = catalog_for_clinic(clinic=clinic)
    found: list[CourseDue] = []
    for plan in plans:
        if plan.patient_id in booked_patients:
            continue
        number = given[plan.pk]["done"] + 1
        last = given[plan.pk]["last"].astimezone(clinic_zone(clinic)).date()
        window = _window(plan, number, last, planned[plan.pk], catalog)
        if window is None:
            continue
        phase, opens, closes = window
        if opens > today or (closes < today and not include_closed):
            continue
        kind = Kind.MAINTENANCE_RECALL if phase == MAINTENANCE else Kind.NEXT_SESSION
        found.append(CourseDue(plan, plan.patient, number, kind, opens, closes, last, message=None))
    messages = sent_keys(clinic_id=clinic.pk, keys=[item.key for item in found])
    return [
        CourseDue(
            i.plan,
            i.patient,
            i.number,
            i.kind,
            i.opens,
            i.closes,
            i.last_session,
            messages.get(i.key),
        )  # fmt: skip
        for i in found
    ]
