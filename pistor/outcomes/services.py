"""Writes of the outcomes app: scale scores, side effects, reviews and safety-net calls.

Each is validated before anything is written (the clinical core scores and grades), writes
in one transaction and records its audit event. Scores are never computed here: the clinical
core's ``scales.score`` is the one scorer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical import adverse
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.scales import score
from pistor.core import clock
from pistor.core.errors import Conflict, NotFound, ValidationFailed
from pistor.inventory.models import Batch
from pistor.outcomes.constants import (
    MAX_AREAS_TEXT,
    MAX_TEXT,
    ActionTaken,
    CallStatus,
    Outcome,
    Timepoint,
)
from pistor.outcomes.models import FollowUpCall, Measurement, SideEffect
from pistor.plans.models import Plan
from pistor.treatments.models import CocktailLine, TreatmentSession

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _session_of(patient: Patient, session_id: int | None) -> TreatmentSession | None:
    if session_id is None:
        return None
    session = (
        TreatmentSession.objects.for_clinic(patient.clinic_id)
        .filter(pk=session_id, patient_id=patient.pk)
        .select_related("plan")
        .first()
    )
    if session is None:
        raise _refuse("session_id", "No such treatment session for this patient.")
    return session


def _session_number(session: TreatmentSession) -> int:
    """The session's place in its course: sessions of the same plan (or, outside a plan,
    of the same indication) started up to it."""
    earlier = TreatmentSession.objects.for_clinic(session.clinic_id).filter(
        patient_id=session.patient_id, started_at__lte=session.started_at
    )
    if session.plan_id is not None:
        earlier = earlier.filter(plan_id=session.plan_id)
    else:
        earlier = earlier.filter(indication_code=session.indication_code)
    return earlier.count()


def measurement_record(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    scale_code: str,
    answers: Mapping[str, Any],
    timepoint: str,
    measured_on: dt.date | None = None,
    indication_code: str = "",
    session_id: int | None = None,
    session_number: int | None = None,
    today: dt.date | None = None,
) -> Measurement:
    """Score ``answers`` on ``scale_code`` with the clinical core and keep the result.

    The scale must be one the catalog lists for the indication (from the session, or given).
    During the course the session number is required: taken from the session when one is
    named. A refused answer names its item; nothing is written.
    """
    today = today or clock.now().date()
    measured_on = measured_on or today
    catalog = catalog_for_clinic(clinic=clinic)
    if timepoint not in Timepoint.values:
        raise _refuse("timepoint", "Choose baseline, during the course or follow-up.")
    if measured_on > today:
        raise _refuse("measured_on", "A score cannot be recorded for a day still to come.")
    session = _session_of(patient, session_id)
    plan: Plan | None = None
    if session is not None:
        indication_code = session.indication_code
        plan = session.plan
        if timepoint == Timepoint.DURING and session_number is None:
            session_number = _session_number(session)
    indication = catalog.indications.get(indication_code)
    if indication is None:
        raise _refuse("indication_code", "Choose the indication this score measures.")
    if scale_code not in indication.outcome_scales:
        names = ", ".join(
            catalog.scales[c].name for c in indication.outcome_scales if c in catalog.scales
        )
        raise _refuse(
            "scale_code",
            f"The catalog does not list this scale for {indication.name} (it lists {names}).",
        )
    if timepoint == Timepoint.DURING:
        if session_number is None or not 1 <= session_number <= 200:
            raise _refuse("session_number", "During the course: after which session (1-200)?")
    else:
        session_number = None
    try:
        result = score(scale_code, dict(answers), catalog=catalog)
    except ClinicalDataError as exc:
        field = f"answers.{exc.field}" if exc.field and exc.field != "scale" else "answers"
        raise ValidationFailed(exc.message, fields={field: [exc.message]}) from exc
    if plan is None:
        plan = (
            Plan.objects.for_clinic(clinic)
            .filter(patient_id=patient.pk, indication_code=indication_code)
            .order_by("-first_session", "-pk")
            .first()
        )
    with transaction.atomic():
        measurement = Measurement(
            clinic=clinic,
            patient=patient,
            plan=plan,
            session=session,
            indication_code=indication_code,
            protocol_code=plan.protocol_code if plan is not None else "",
            scale_code=scale_code,
            timepoint=timepoint,
            session_number=session_number,
            answers={i.code: str(i.value) for i in result.items},
            total=result.total,
            band=result.band or "",
            measured_on=measured_on,
            recorded_by=by,
            catalog_version=catalog.version,
        )
        measurement.full_clean()
        measurement.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.OUTCOME_MEASUREMENT_RECORDED,
            subject_type="measurement",
            subject_id=measurement.pk,
            after={
                "patient": patient.pk,
                "scale": scale_code,
                "timepoint": timepoint,
                "session_number": session_number,
                "total": str(result.total),
            },
        )
    return measurement


def _int_or_none(raw: Any, field: str, what: str) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise _refuse(field, f"Give the {what} as a whole number.")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise _refuse(field, f"Give the {what} as a whole number.") from None


def _batches(
    clinic: Clinic, batch_ids: Iterable[int] | None, session: TreatmentSession | None
) -> list[Batch]:
    if batch_ids:
        ids = sorted(set(batch_ids))
        found = list(Batch.objects.for_clinic(clinic).filter(pk__in=ids))
        if len(found) != len(ids):
            raise _refuse("batch_ids", "One of these batches is not in this clinic's stock.")
        return found
    if session is None:
        return []
    # Not named: the batches the related session used are the suspects.
    used = (
        CocktailLine.objects.filter(session=session, batch__isnull=False)
        .values_list("batch_id", flat=True)
        .distinct()
    )
    return list(Batch.objects.for_clinic(clinic).filter(pk__in=list(used)))


def side_effect_record(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    event_code: str,
    onset: dt.date,
    grade: Any,
    local_kind: str = "",
    local_grade: Any = None,
    resolved_on: dt.date | None = None,
    areas: str = "",
    description: str = "",
    session_id: int | None = None,
    batch_ids: Iterable[int] | None = None,
    action_taken: str = ActionTaken.NONE,
    action_note: str = "",
    outcome: str = "",
    today: dt.date | None = None,
) -> SideEffect:
    """Register a side effect. Grades, dates and the type are checked by the clinical core
    and the catalog before anything is written; the expected end comes from the catalog."""
    today = today or clock.now().date()
    catalog = catalog_for_clinic(clinic=clinic)
    kind = catalog.side_effects.get(event_code)
    if kind is None:
        raise _refuse("event_code", "Choose the side effect from the catalog's list.")
    try:
        adverse.check_grades(ctcae_grade=grade, local_kind=local_kind, local_grade=local_grade)
        adverse.check_dates(onset=onset, resolved_on=resolved_on, today=today)
    except ClinicalDataError as exc:
        raise _refuse(exc.field or "grade", exc.message) from exc
    if action_taken not in ActionTaken.values:
        raise _refuse("action_taken", "Choose what was done from the list.")
    outcome = outcome or (Outcome.RESOLVED if resolved_on else Outcome.ONGOING)
    if outcome not in Outcome.values:
        raise _refuse("outcome", "Choose the outcome from the list.")
    if outcome == Outcome.ONGOING and resolved_on is not None:
        raise _refuse("outcome", "An event with a resolution date is not ongoing.")
    if outcome in (Outcome.RESOLVED, Outcome.RESOLVED_WITH_SEQUELAE) and resolved_on is None:
        raise _refuse("resolved_on", "Give the date it resolved.")
    if len(areas) > MAX_AREAS_TEXT:
        raise _refuse("areas", f"Name the areas in at most {MAX_AREAS_TEXT} characters.")
    for name, text in (("description", description), ("action_note", action_note)):
        if len(text) > MAX_TEXT:
            raise _refuse(name, f"At most {MAX_TEXT} characters.")
    session = _session_of(patient, session_id)
    if session is not None and onset < session.started_at.date():
        raise _refuse("onset", "The onset cannot be before the session it is linked to.")
    batches = _batches(clinic, batch_ids, session)
    with transaction.atomic():
        effect = SideEffect(
            clinic=clinic,
            patient=patient,
            session=session,
            event_code=event_code,
            indication_code=session.indication_code if session is not None else "",
            onset=onset,
            resolved_on=resolved_on,
            grade=grade,
            local_kind=local_kind,
            local_grade=local_grade if local_kind else None,
            areas=areas.strip(),
            description=description.strip(),
            action_taken=action_taken,
            action_note=action_note.strip(),
            outcome=outcome,
            expected_end_on=adverse.expected_end(kind, onset),
            recorded_by=by,
        )
        effect.full_clean()
        effect.save()
        if batches:
            effect.batches.set(batches)
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.OUTCOME_SIDE_EFFECT_RECORDED,
            subject_type="side_effect",
            subject_id=effect.pk,
            after={
                "patient": patient.pk,
                "event": event_code,
                "grade": grade,
                "local_grade": effect.local_grade,
                "onset": onset.isoformat(),
                "resolved_on": resolved_on.isoformat() if resolved_on else None,
                "session": session.pk if session is not None else None,
                "batches": [b.pk for b in batches],
            },
        )
    return effect


def side_effect_resolve(
    *,
    effect: SideEffect,
    by: User,
    resolved_on: dt.date,
    outcome: str = Outcome.RESOLVED,
    today: dt.date | None = None,
) -> SideEffect:
    """Close an ongoing event with the day it resolved."""
    today = today or clock.now().date()
    if effect.resolved_on is not None:
        raise Conflict("This side effect is already resolved.")
    try:
        adverse.check_dates(onset=effect.onset, resolved_on=resolved_on, today=today)
    except ClinicalDataError as exc:
        raise _refuse(exc.field or "resolved_on", exc.message) from exc
    if outcome not in (Outcome.RESOLVED, Outcome.RESOLVED_WITH_SEQUELAE):
        raise _refuse("outcome", "Choose resolved, or resolved with lasting effects.")
    with transaction.atomic():
        locked = SideEffect.objects.select_for_update().get(pk=effect.pk)
        if locked.resolved_on is not None:
            raise Conflict("This side effect is already resolved.")
        locked.resolved_on = resolved_on
        locked.outcome = outcome
        locked.full_clean()
        locked.save(update_fields=["resolved_on", "outcome", "updated_at"])
        audit_record(
            clinic=locked.clinic,
            actor=by,
            event_type=AuditEventType.OUTCOME_SIDE_EFFECT_UPDATED,
            subject_type="side_effect",
            subject_id=locked.pk,
            before={"resolved_on": None, "outcome": Outcome.ONGOING},
            after={"resolved_on": resolved_on.isoformat(), "outcome": outcome},
        )
    return locked


def side_effect_review(
    *, effect: SideEffect, by: User, note: str, now: dt.datetime | None = None
) -> SideEffect:
    """Mark a flagged event as looked at, with what the reviewer concluded."""
    now = now or clock.now()
    note = (note or "").strip()
    if not note:
        raise _refuse("note", "Say what the review concluded.")
    if len(note) > MAX_TEXT:
        raise _refuse("note", f"At most {MAX_TEXT} characters.")
    with transaction.atomic():
        locked = SideEffect.objects.select_for_update().get(pk=effect.pk)
        if locked.reviewed_at is not None:
            raise Conflict("This side effect has already been reviewed.")
        locked.reviewed_at = now
        locked.reviewed_by = by
        locked.review_note = note
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
        audit_record(
            clinic=locked.clinic,
            actor=by,
            event_type=AuditEventType.OUTCOME_SIDE_EFFECT_REVIEWED,
            subject_type="side_effect",
            subject_id=locked.pk,
            after={"reviewed_at": now.isoformat()},
        )
    return locked


def follow_up_calls_schedule(
    *, session: TreatmentSession, by: User | None, now: dt.datetime | None = None
) -> list[FollowUpCall]:
    """The safety-net calls the catalog asks for after a course of this indication, due so
    many days after this (so far the last) session; calls already due move to count from it.

    Called when a session is signed. Indications without a safety net get none.
    """
    catalog = catalog_for_clinic(clinic=session.clinic)
    indication = catalog.indications.get(session.indication_code)
    if indication is None or indication.safety_net is None:
        return []
    net = indication.safety_net
    day = session.started_at.date()
    calls: list[FollowUpCall] = []
    with transaction.atomic():
        pending = {
            c.after_days: c
            for c in FollowUpCall.objects.for_clinic(session.clinic_id)
            .select_for_update()
            .filter(
                patient_id=session.patient_id,
                indication_code=indication.code,
                status=CallStatus.DUE,
            )
        }
        for days in net.after_last_session_days:
            due = day + dt.timedelta(days=days)
            call = pending.get(days)
            if call is not None:
                if call.due_on >= due:
                    continue
                call.due_on, call.last_session = due, session
                call.save(update_fields=["due_on", "last_session", "updated_at"])
            else:
                call = FollowUpCall.objects.create(
                    clinic_id=session.clinic_id,
                    patient_id=session.patient_id,
                    indication_code=indication.code,
                    after_days=days,
                    last_session=session,
                    due_on=due,
                    side_effect_code=net.side_effect,
                    question=net.question,
                )
            calls.append(call)
            audit_record(
                clinic=session.clinic,
                actor=by,
                event_type=AuditEventType.OUTCOME_FOLLOW_UP_SCHEDULED,
                subject_type="follow_up_call",
                subject_id=call.pk,
                after={"patient": session.patient_id, "due_on": due.isoformat()},
            )
    return calls


def follow_up_call_record(
    *, call: FollowUpCall, by: User, status: str, notes: str = "", now: dt.datetime | None = None
) -> FollowUpCall:
    """What came of a safety-net call: nothing to report, a problem, or no answer."""
    now = now or clock.now()
    if status not in (CallStatus.DONE, CallStatus.CONCERN, CallStatus.UNREACHABLE):
        raise _refuse("status", "Choose what came of the call.")
    notes = (notes or "").strip()
    if status == CallStatus.CONCERN and not notes:
        raise _refuse("notes", "Say what the patient reported.")
    if len(notes) > MAX_TEXT:
        raise _refuse("notes", f"At most {MAX_TEXT} characters.")
    with transaction.atomic():
        locked = FollowUpCall.objects.select_for_update().filter(pk=call.pk).first()
        if locked is None:
            raise NotFound("No such follow-up call.")
        if locked.status != CallStatus.DUE:
            raise Conflict("This call has already been recorded.")
        locked.status, locked.notes, locked.called_at, locked.called_by = status, notes, now, by
        locked.save(update_fields=["status", "notes", "called_at", "called_by", "updated_at"])
        audit_record(
            clinic=locked.clinic,
            actor=by,
            event_type=AuditEventType.OUTCOME_FOLLOW_UP_DONE,
            subject_type="follow_up_call",
            subject_id=locked.pk,
            before={"status": CallStatus.DUE},
            after={"status": status},
        )
    return locked
