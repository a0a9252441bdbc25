"""Writes of the treatment session: start (through the gate), cocktail, chart, sign-off.

Every write refuses a signed session (it is locked; corrections are addenda), runs in one
transaction and is audited. The clinical core decides what is safe: the gate
(``can_start_session``) before the start, the screen on the actual cocktail and areas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Needle
from pistor.clinical.dosing import CocktailLine as CoreLine
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.gates import Reason, batch_reasons
from pistor.clinical.safety import (
    AreaPlan,
    EarlierSession,
    Screening,
    TreatmentProposal,
    screen,
)
from pistor.clinical.units import Dimension, Quantity, Unit
from pistor.clinics.selectors import clinic_screening_settings
from pistor.consents.selectors import consent_covering
from pistor.consultations.selectors import screening_facts_get
from pistor.core import clock
from pistor.core.errors import Conflict, GateBlocked, NotFound, ValidationFailed
from pistor.inventory.models import Batch, StockProduct
from pistor.inventory.selectors import batch_choices, batch_facts_list
from pistor.inventory.services import stock_use
from pistor.plans.selectors import plan_gate
from pistor.records.constants import RecordStatus
from pistor.records.models import Addendum
from pistor.records.services import record_add_addendum, record_sign
from pistor.treatments.constants import (
    ANAESTHETIC_LEAD_MAX_HOURS,
    AREA_REFUSED_PREFIXES,
    CONCENTRATION_MAX_MG_ML,
    DEPTH_MAX_MM,
    DEPTH_MIN_MM,
    MAX_AREAS,
    MAX_LINES,
    MAX_POINTS_PER_AREA,
    NEEDLE_MAX_MM,
    REGIONS,
    SESSION_SPAN_MAX_HOURS,
    VOLUME_MAX_ML,
    Device,
    Reaction,
    ReactionSeverity,
)
from pistor.treatments.models import ChartArea, ChartPoint, CocktailLine, TreatmentSession

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient
    from pistor.plans.models import Plan


def _reasons_out(reasons: tuple[Reason, ...] | list[Reason]) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message, "unblock": r.unblock} for r in reasons]


def _require_draft(session: TreatmentSession) -> None:
    if session.is_signed:
        raise Conflict(
            "This session is signed and locked; add an addendum to correct or complete it."
        )


def _quantity(
    value: Any, unit: str, *, field: str, dimension: Dimension, to: Unit, label: str
) -> Decimal:
    """``value`` ``unit`` as a Decimal in ``to``; the wrong kind of unit is a field error."""
    try:
        quantity = Quantity.of(value, unit)
        return quantity.require(dimension, field=field).to(to).value
    except (ClinicalDataError, InvalidOperation, ValueError, TypeError) as exc:
        message = f"{label}: {exc}" if str(exc) else f"{label} is not a valid quantity."
        raise ValidationFailed(message, fields={field: [message]}) from exc


def _bounded(value: Decimal, low: Decimal, high: Decimal, *, field: str, message: str) -> None:
    if not low <= value <= high:
        raise ValidationFailed(message, fields={field: [message]})


# ------------------------------------------------------------------------------- start


def session_start(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    plan: Plan | None = None,
    indication_code: str = "",
    unplanned_reason: str = "",
    now: dt.datetime | None = None,
) -> TreatmentSession:
    """Start a session if the gate allows it; otherwise ``GateBlocked`` with every reason.

    From a plan: the plan's gate (intake, screen, allergy tests, consent) plus the batches
    of the plan's products in stock (REFERENCE §7.1: in date, traceable). Unplanned: a
    reason is required and a signed consent must cover the indication. Nothing is written
    when it is refused.
    """
    now = now or clock.now()
    if patient.clinic_id != clinic.pk or (plan is not None and plan.clinic_id != clinic.pk):
        raise NotFound("No such patient.")
    if plan is not None:
        if plan.patient_id != patient.pk:
            raise NotFound("No such plan for this patient.")
        panel = plan_gate(plan=plan, now=now)
        # The plan's panel leaves batches out (``plan_gate`` drops the gate's stock reasons);
        # they are weighed here, for every product of the plan, against the shelf.
        reasons = list(panel.decision.reasons)
        intake = next(step for step in panel.steps if step.key == "intake")
        if not intake.done:
            reasons.insert(
                0,
                Reason(
                    "intake-missing",
                    "No complete medical history form is on record.",
                    "Complete the medical history form with the patient.",
                ),
            )
        batches = batch_facts_list(clinic=clinic, product_codes=plan.product_codes, on=now.date())
        reasons += batch_reasons(list(plan.product_codes), batches, now.date())
        indication_code = plan.indication_code
        technique = plan.technique_code
    else:
        unplanned_reason = (unplanned_reason or "").strip()
        if not unplanned_reason:
            raise ValidationFailed(
                "A session outside a treatment plan needs a reason.",
                fields={"unplanned_reason": ["Say why this session is not part of a plan."]},
            )
        if indication_code not in catalog_for_clinic(clinic=clinic).indications:
            raise ValidationFailed(
                "Choose the indication treated.",
                fields={"indication_code": ["Not an indication in the catalog."]},
            )
        technique = ""
        reasons = []
        if (
            consent_covering(
                clinic_id=clinic.pk,
                patient_id=patient.pk,
                indication_code=indication_code,
                product_codes=[],
            )
            is None
        ):
            reasons.append(
                Reason(
                    "consent-missing",
                    "There is no signed consent in force for this indication.",
                    "Go through the consent form with the patient and record their signature.",
                )
            )
    if reasons:
        raise GateBlocked(
            "The session cannot start yet: " + " ".join(r.message for r in reasons),
            reasons=_reasons_out(reasons),
        )
    with transaction.atomic():
        session = TreatmentSession(
            clinic=clinic,
            patient=patient,
            plan=plan,
            indication_code=indication_code,
            technique_code=technique,
            unplanned_reason="" if plan is not None else unplanned_reason,
            started_at=now,
            started_by=by,
        )
        session.full_clean()
        session.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_STARTED,
            subject_type="treatment_session",
            subject_id=session.pk,
            after={"plan": plan.pk if plan else None, "patient": patient.pk},
        )
    return session


# ------------------------------------------------------------------------------ screen


def _core_lines(lines: list[CocktailLine]) -> tuple[CoreLine, ...]:
    out = []
    for line in lines:
        conc = (
            Quantity(line.concentration_mg_ml, Unit.MG_PER_ML)
            if line.concentration_mg_ml is not None
            else None
        )
        volume = Quantity(line.volume_ml, Unit.ML)
        out.append(CoreLine(line.code, volume=volume, concentration=conc))
    return tuple(out)


def _area_plans(areas: list[ChartArea]) -> tuple[AreaPlan, ...]:
    return tuple(
        AreaPlan(
            area=REGIONS.get(a.region, (a.region, False))[0],
            technique=a.technique_code,
            depth=Quantity(a.depth_mm, Unit.MM),
            needle=(
                Needle(gauge=a.needle_gauge, length=Quantity(a.needle_length_mm, Unit.MM))
                if a.needle_gauge and a.needle_length_mm is not None
                else None
            ),
        )
        for a in areas
    )


def earlier_sessions_get(*, session: TreatmentSession) -> tuple[EarlierSession, ...]:
    """The patient's signed sessions started before this one, as the screen's
    ``EarlierSession``s (a session recorded late, after later ones, is weighed against those
    before it only):
    what went in (each line as recorded) and under which protocol. They let the core weigh
    the course: a label's session count and interval (deoxycholic acid: 6 sessions, 30 days
    apart, seed 001), the protocol's count and rhythm. One query whatever the history."""
    rows = (
        CocktailLine.objects.for_clinic(session.clinic_id)
        .filter(
            session__patient_id=session.patient_id,
            session__status=RecordStatus.SIGNED,
            session__started_at__lt=session.started_at,
        )
        .exclude(session_id=session.pk)
        .select_related("session__plan")
        .order_by("session__started_at", "session_id", "pk")
    )
    by_session: dict[int, list[CocktailLine]] = {}
    for line in rows:
        by_session.setdefault(line.session_id, []).append(line)
    out = []
    for lines in by_session.values():
        earlier = lines[0].session
        plan = earlier.plan
        out.append(
            EarlierSession(
                date=timezone.localdate(earlier.started_at),
                ingredients=_core_lines(lines),
                protocol=plan.protocol_code if plan is not None else None,
            )
        )
    return tuple(out)


def session_screen(
    *,
    session: TreatmentSession,
    lines: list[CocktailLine],
    areas: list[ChartArea],
    now: dt.datetime | None = None,
) -> Screening:
    """The clinical core's screen of this patient with the actual cocktail and areas."""
    now = now or clock.now()
    catalog = catalog_for_clinic(clinic=session.clinic)
    facts = screening_facts_get(
        patient=session.patient, now=now, areas=[a.region for a in areas] or None
    )
    facts = replace(facts, earlier_sessions=earlier_sessions_get(session=session))
    proposal = TreatmentProposal(
        indication=session.indication_code,
        areas=_area_plans(areas),
        cocktail=_core_lines(lines),
        date=now.date(),
        protocol=session.plan.protocol_code if session.plan_id else None,  # type: ignore[union-attr]
    )
    try:
        return screen(
            facts,
            proposal,
            today=now.date(),
            catalog=catalog,
            settings=clinic_screening_settings(session.clinic),
        )
    except ClinicalDataError as exc:
        raise ValidationFailed(str(exc), fields={"code": [str(exc)]}) from exc


def _refuse_blocks(screening: Screening) -> None:
    if screening.blocked:
        raise GateBlocked(
            "The safety screen refuses this: " + " ".join(f.message for f in screening.blocks),
            reasons=[
                {"code": f.code, "message": f.message, "unblock": "Change the cocktail."}
                for f in screening.blocks
            ],
        )


# ----------------------------------------------------------------------------- cocktail


def cocktail_line_build(
    *,
    session: TreatmentSession,
    code: str,
    volume: Any,
    volume_unit: str = "mL",
    concentration: Any = None,
    concentration_unit: str = "mg/mL",
    batch_id: int | None = None,
    now: dt.datetime | None = None,
) -> CocktailLine:
    """A checked, unsaved line: the catalog code, the volume and strength in their units,
    a product drawn from a batch in stock (FEFO unless one is chosen). Saves nothing."""
    now = now or clock.now()
    _require_draft(session)
    catalog = catalog_for_clinic(clinic=session.clinic)
    code = (code or "").strip()
    is_product = code in catalog.products
    if not is_product and code not in catalog.ingredients:
        raise ValidationFailed(
            "Choose a product or ingredient from the catalog.",
            fields={"code": [f"'{code}' is not a product or ingredient in the catalog."]},
        )
    volume_ml = _quantity(
        volume, volume_unit, field="volume", dimension=Dimension.VOLUME, to=Unit.ML,
        label="The volume",
    )  # fmt: skip
    _bounded(
        volume_ml, Decimal("0.001"), VOLUME_MAX_ML, field="volume",
        message=f"The volume must be more than 0 and at most {VOLUME_MAX_ML} mL.",
    )  # fmt: skip
    conc: Decimal | None = None
    if concentration not in (None, ""):
        if is_product:
            raise ValidationFailed(
                "A product's strength comes from its published composition.",
                fields={"concentration": ["Leave empty for a product."]},
            )
        conc = _quantity(
            concentration, concentration_unit, field="concentration",
            dimension=Dimension.CONCENTRATION, to=Unit.MG_PER_ML, label="The concentration",
        )  # fmt: skip
        _bounded(
            conc, Decimal("0"), CONCENTRATION_MAX_MG_ML, field="concentration",
            message=f"The concentration must be between 0 and {CONCENTRATION_MAX_MG_ML} mg/mL.",
        )  # fmt: skip
    batch: Batch | None = None
    if is_product:
        batch = _batch_for(session, code, volume_ml, batch_id, now.date())
    return CocktailLine(
        clinic_id=session.clinic_id,
        session=session,
        code=code,
        volume_ml=volume_ml,
        concentration_mg_ml=conc,
        batch=batch,
        lot=batch.lot if batch else "",
    )


def cocktail_line_add(
    *,
    session: TreatmentSession,
    by: User,
    code: str,
    volume: Any,
    volume_unit: str = "mL",
    concentration: Any = None,
    concentration_unit: str = "mg/mL",
    batch_id: int | None = None,
    now: dt.datetime | None = None,
) -> CocktailLine:
    """Add a line; a product is drawn from a batch in stock (FEFO unless one is chosen).

    The whole cocktail is then re-screened against the patient; a block stops the save.
    """
    now = now or clock.now()
    line = cocktail_line_build(
        session=session, code=code, volume=volume, volume_unit=volume_unit,
        concentration=concentration, concentration_unit=concentration_unit,
        batch_id=batch_id, now=now,
    )  # fmt: skip
    code, volume_ml = line.code, line.volume_ml
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_draft(locked)
        lines = list(session.cocktail_lines.all())
        if len(lines) >= MAX_LINES:
            raise ValidationFailed("Too many lines.", fields={"code": ["At most 30 lines."]})
        _refuse_blocks(
            session_screen(
                session=session,
                lines=[*lines, line],
                areas=list(session.chart_areas.all()),
                now=now,
            )  # fmt: skip
        )
        line.full_clean(exclude=["session", "batch"])
        line.save()
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_COCKTAIL_LINE_ADDED,
            subject_type="treatment_session",
            subject_id=session.pk,
            after={"line": line.pk, "code": code, "volume_ml": volume_ml, "lot": line.lot},
        )
    return line


def _batch_for(
    session: TreatmentSession, code: str, volume_ml: Decimal, batch_id: int | None, on: dt.date
) -> Batch:
    if not StockProduct.objects.for_clinic(session.clinic).filter(code=code).exists():
        message = f"{code} is not in stock at this clinic; receive a batch first."
        raise ValidationFailed(message, fields={"code": [message]})
    choices = batch_choices(clinic=session.clinic, product_code=code, on=on)
    if batch_id is not None:
        chosen = next((b for b in choices if b.pk == batch_id), None)
        if chosen is None:
            message = "That batch cannot be used: expired, recalled, empty or another product."
            raise ValidationFailed(message, fields={"batch": [message]})
        return chosen
    usable = [b for b in choices if b.quantity_on_hand >= volume_ml]
    if not usable:
        message = f"No in-date batch of {code} has {volume_ml} mL in stock."
        raise ValidationFailed(message, fields={"code": [message]})
    return usable[0]  # first expiry first out


def cocktail_line_remove(*, line: CocktailLine, by: User) -> None:
    session = line.session
    _require_draft(session)
    with transaction.atomic():
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_COCKTAIL_LINE_REMOVED,
            subject_type="treatment_session",
            subject_id=session.pk,
            before={"line": line.pk, "code": line.code, "volume_ml": line.volume_ml},
        )
        line.delete()


# -------------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class PointIn:
    x: Any
    y: Any


def _fraction(value: Any, field: str) -> Decimal:
    message = "A chart point must lie on the drawing (0 to 1 across and down)."
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(message, fields={field: [message]}) from exc
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        raise ValidationFailed(message, fields={field: [message]})
    return number.quantize(Decimal("0.0001"))


def chart_area_build(
    *,
    session: TreatmentSession,
    region: str,
    technique_code: str,
    depth: Any,
    depth_unit: str = "mm",
    needle_gauge: int | None = None,
    needle_length: Any = None,
    needle_length_unit: str = "mm",
    device: str = Device.MANUAL,
    injections: int = 1,
    volume: Any = "0",
    volume_unit: str = "mL",
    points: list[PointIn] | None = None,
    now: dt.datetime | None = None,
) -> tuple[ChartArea, list[tuple[Decimal, Decimal]]]:
    """A checked, unsaved area and its points (fractions of the drawing). A depth or needle
    the technique does not allow (the catalog's range, checked by the core's ``AreaPlan``
    rules) is refused with the core's words, like a depth that cannot be a depth at all."""
    _require_draft(session)
    catalog = catalog_for_clinic(clinic=session.clinic)
    errors: dict[str, list[str]] = {}
    if region not in REGIONS:
        errors["region"] = ["Choose an area of the body map."]
    if technique_code not in catalog.techniques:
        errors["technique_code"] = ["Choose a technique from the catalog."]
    if device not in Device.values:
        errors["device"] = ["Choose by hand, gun or needle-free."]
    if not isinstance(injections, int) or not 1 <= injections <= 10000:
        errors["injections"] = ["The number of injections must be between 1 and 10000."]
    if errors:
        raise ValidationFailed("Check the highlighted fields.", fields=errors)
    depth_mm = _quantity(
        depth, depth_unit, field="depth", dimension=Dimension.LENGTH, to=Unit.MM, label="The depth"
    )
    _bounded(
        depth_mm, DEPTH_MIN_MM, DEPTH_MAX_MM, field="depth",
        message=f"A depth must be between {DEPTH_MIN_MM} and {DEPTH_MAX_MM} mm.",
    )  # fmt: skip
    length_mm: Decimal | None = None
    if needle_length not in (None, ""):
        length_mm = _quantity(
            needle_length, needle_length_unit, field="needle_length",
            dimension=Dimension.LENGTH, to=Unit.MM, label="The needle length",
        )  # fmt: skip
        _bounded(
            length_mm, Decimal("1"), NEEDLE_MAX_MM, field="needle_length",
            message=f"A needle length must be between 1 and {NEEDLE_MAX_MM} mm.",
        )  # fmt: skip
    if needle_gauge is not None and not 10 <= int(needle_gauge) <= 34:
        raise ValidationFailed(
            "A needle gauge is between 10 and 34.", fields={"needle_gauge": ["10 to 34 G."]}
        )
    volume_ml = _quantity(
        volume, volume_unit, field="volume", dimension=Dimension.VOLUME, to=Unit.ML,
        label="The volume",
    )  # fmt: skip
    _bounded(
        volume_ml, Decimal(0), VOLUME_MAX_ML, field="volume",
        message=f"The volume must be between 0 and {VOLUME_MAX_ML} mL.",
    )  # fmt: skip
    fractions = [
        (_fraction(p.x, f"points[{i}].x"), _fraction(p.y, f"points[{i}].y"))
        for i, p in enumerate(points or [])
    ]
    if len(fractions) > MAX_POINTS_PER_AREA:
        raise ValidationFailed("Too many points.", fields={"points": ["At most 500 points."]})
    area = ChartArea(
        clinic_id=session.clinic_id,
        session=session,
        region=region,
        technique_code=technique_code,
        depth_mm=depth_mm,
        needle_gauge=needle_gauge if length_mm is not None else None,
        needle_length_mm=length_mm if needle_gauge else None,
        device=device,
        injections=injections,
        volume_ml=volume_ml,
    )
    technique = catalog.techniques[technique_code]
    findings = screen_area_findings(area=area, indication=session.indication_code, catalog=catalog)
    refused = [f for f in findings if f.code.startswith(AREA_REFUSED_PREFIXES)]
    if refused:
        field = "depth" if refused[0].code.startswith("depth") else "needle_length"
        raise ValidationFailed(
            " ".join(f.message for f in refused)
            + f" ({technique.name}: {technique.depth_min} to {technique.depth_max}.)",
            fields={field: [f.message for f in refused]},
        )
    return area, fractions


def chart_area_add(
    *,
    session: TreatmentSession,
    by: User,
    region: str,
    technique_code: str,
    depth: Any,
    depth_unit: str = "mm",
    needle_gauge: int | None = None,
    needle_length: Any = None,
    needle_length_unit: str = "mm",
    device: str = Device.MANUAL,
    injections: int = 1,
    volume: Any = "0",
    volume_unit: str = "mL",
    points: list[PointIn] | None = None,
    now: dt.datetime | None = None,
) -> ChartArea:
    """Chart an area with its points (``chart_area_build`` checks them); saved with an
    audit event, or nothing written."""
    area, fractions = chart_area_build(
        session=session, region=region, technique_code=technique_code, depth=depth,
        depth_unit=depth_unit, needle_gauge=needle_gauge, needle_length=needle_length,
        needle_length_unit=needle_length_unit, device=device, injections=injections,
        volume=volume, volume_unit=volume_unit, points=points,
    )  # fmt: skip
    depth_mm = area.depth_mm
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_draft(locked)
        if session.chart_areas.count() >= MAX_AREAS:
            raise ValidationFailed("Too many areas.", fields={"region": ["At most 30 areas."]})
        area.full_clean(exclude=["session"])
        area.save()
        ChartPoint.objects.bulk_create(
            ChartPoint(clinic_id=session.clinic_id, area=area, x=x, y=y) for x, y in fractions
        )
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_CHART_AREA_ADDED,
            subject_type="treatment_session",
            subject_id=session.pk,
            after={"area": area.pk, "region": region, "technique": technique_code,
                   "depth_mm": depth_mm, "points": len(fractions)},
        )  # fmt: skip
    return area


def screen_area_findings(*, area: ChartArea, indication: str, catalog: Any) -> tuple[Any, ...]:
    """The core's area rules for one area (depth against the technique, needle length)."""
    from pistor.clinical.safety import PatientFacts

    proposal = TreatmentProposal(
        indication=indication,
        areas=_area_plans([area]),
        cocktail=(),
        date=dt.date(2000, 1, 1),
    )
    screening = screen(PatientFacts(age_years=40), proposal, today=proposal.date, catalog=catalog)
    return tuple(f for f in screening.findings if f.code.startswith(AREA_REFUSED_PREFIXES))


def chart_point_add(*, area: ChartArea, by: User, x: Any, y: Any) -> ChartPoint:
    session = area.session
    _require_draft(session)
    fx, fy = _fraction(x, "x"), _fraction(y, "y")
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_draft(locked)
        if area.points.count() >= MAX_POINTS_PER_AREA:
            raise ValidationFailed("Too many points.", fields={"x": ["At most 500 points."]})
        point = ChartPoint.objects.create(clinic_id=area.clinic_id, area=area, x=fx, y=fy)
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_CHART_POINT_ADDED,
            subject_type="treatment_session",
            subject_id=session.pk,
            after={"area": area.pk, "x": fx, "y": fy},
        )
    return point


def chart_area_remove(*, area: ChartArea, by: User) -> None:
    session = area.session
    _require_draft(session)
    with transaction.atomic():
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_CHART_AREA_REMOVED,
            subject_type="treatment_session",
            subject_id=session.pk,
            before={"area": area.pk, "region": area.region},
        )
        area.delete()


# ----------------------------------------------------------------------------- sign-off


def session_sign(
    *, session: TreatmentSession, signer: User, notes: str = "", now: dt.datetime | None = None
) -> TreatmentSession:
    """Sign and lock the session, taking each product line's volume out of its batch.

    All in one transaction: a stock refusal (expired since, recalled, not enough left) or a
    screen block undoes everything, the stock moves and the signature together.
    """
    now = now or clock.now()
    _require_draft(session)
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_signed:
            raise Conflict("This session is already signed and cannot be signed again.")
        lines = list(session.cocktail_lines.select_related("batch"))
        areas = list(session.chart_areas.prefetch_related("points"))
        if not lines or not areas:
            raise ValidationFailed(
                "A session is signed with its cocktail and at least one charted area.",
                fields={"session": ["Add the cocktail and chart the areas before signing."]},
            )
        screening = session_screen(session=session, lines=lines, areas=areas, now=now)
        _refuse_blocks(screening)
        for line in lines:
            if line.batch_id is None:
                continue
            stock_use(
                clinic=session.clinic,
                actor=signer,
                patient=session.patient,
                product_code=line.code,
                quantity=Quantity(line.volume_ml, Unit.ML),
                batch=line.batch,
                occasion="session",
                occasion_ref=f"treatment session {session.pk}",
                at=now,
            )
        session.notes = (notes or session.notes or "").strip()[:10000]
        session.findings = [
            {"code": f.code, "severity": str(f.severity), "message": f.message}
            for f in screening.findings
        ]
        session.save(update_fields=["notes", "findings", "updated_at"])
        record_sign(
            record=session, signer=signer, now=now, event_type=AuditEventType.TREATMENT_SIGNED,
        )  # fmt: skip
        # The catalog's safety-net calls after the course count from the last session.
        from pistor.outcomes.services import follow_up_calls_schedule

        follow_up_calls_schedule(session=session, by=signer, now=now)
    return session


def session_add_addendum(
    *, session: TreatmentSession, author: User, text: str, reason: str
) -> Addendum:
    """A correction beside a signed session; an unsigned one is edited instead (Conflict)."""
    if not session.is_signed:
        raise Conflict("This session is not signed yet: correct it directly instead.")
    return record_add_addendum(record=session, author=author, text=text, reason=reason)


# ------------------------------------------------------------------- the session's details


def _when(value: Any, field: str, label: str) -> dt.datetime | None:
    """A typed time ("2026-12-06T10:30", as a datetime-local input sends it, or a datetime);
    a time without an offset is read in the clinic's time zone."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            message = f"{label}: give a date and time such as 2026-12-06 10:30."
            raise ValidationFailed(message, fields={field: [message]}) from None
    if not isinstance(value, dt.datetime):
        message = f"{label} is not a date and time."
        raise ValidationFailed(message, fields={field: [message]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@dataclass(frozen=True)
class ReactionIn:
    kind: str
    severity: str


def session_details_set(
    *,
    session: TreatmentSession,
    by: User,
    anaesthetic_product: str = "",
    anaesthetic_applied_at: Any = None,
    treatment_start: Any = None,
    treatment_end: Any = None,
    reactions: list[ReactionIn] | None = None,
    notes: str = "",
    now: dt.datetime | None = None,
) -> TreatmentSession:
    """Record the rest of the session: the numbing cream (product, when), the first and last
    injection, the immediate reactions with their severity, notes. Times that cannot be
    right (the end before the start, the cream after the first injection, anything in the
    future or far from the session) are refused and nothing is written. A duration outside
    the catalog's usual range is a caution on the page, not a refusal."""
    now = now or clock.now()
    _require_draft(session)
    errors: dict[str, list[str]] = {}
    product = (anaesthetic_product or "").strip()
    if len(product) > 120:
        errors["anaesthetic_product"] = ["At most 120 characters."]
    applied = _when(anaesthetic_applied_at, "anaesthetic_applied_at", "The cream's time")
    start = _when(treatment_start, "treatment_start", "The start")
    end = _when(treatment_end, "treatment_end", "The end")
    if applied is not None and not product:
        errors["anaesthetic_product"] = ["Say which numbing cream was applied."]
    latest = now + dt.timedelta(minutes=5)
    span = dt.timedelta(hours=SESSION_SPAN_MAX_HOURS)
    for field, value in (("treatment_start", start), ("treatment_end", end)):
        if value is not None and value > latest:
            errors[field] = ["This time is in the future."]
        elif value is not None and abs(value - session.started_at) > span:
            errors[field] = [
                f"More than {SESSION_SPAN_MAX_HOURS} hours from when the session was opened "
                f"({timezone.localtime(session.started_at):%d %b %Y %H:%M})."
            ]
    if start is not None and end is not None and end < start:
        errors["treatment_end"] = ["The end is before the start."]
    if end is not None and start is None:
        errors["treatment_start"] = ["Give the start as well as the end."]
    if applied is not None:
        first = start or session.started_at
        if applied > latest:
            errors["anaesthetic_applied_at"] = ["This time is in the future."]
        elif start is not None and applied > start:
            errors["anaesthetic_applied_at"] = ["The cream goes on before the first injection."]
        elif first - applied > dt.timedelta(hours=ANAESTHETIC_LEAD_MAX_HOURS):
            errors["anaesthetic_applied_at"] = [
                f"More than {ANAESTHETIC_LEAD_MAX_HOURS} hours before the injections."
            ]
    chosen: dict[str, str] = {}
    for i, reaction in enumerate(reactions or []):
        if reaction.kind not in Reaction.values:
            errors[f"reactions[{i}].kind"] = ["Not a reaction on the list."]
        elif reaction.severity not in ReactionSeverity.values:
            errors[f"reactions[{i}].severity"] = ["Mild, moderate or severe."]
        elif reaction.kind in chosen:
            errors[f"reactions[{i}].kind"] = ["This reaction is given twice."]
        else:
            chosen[reaction.kind] = reaction.severity
    notes = (notes or "").strip()
    if len(notes) > 10000:
        errors["notes"] = ["At most 10,000 characters."]
    if errors:
        raise ValidationFailed("Check the highlighted fields.", fields=errors)
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_draft(locked)
        before = {
            "anaesthetic": bool(locked.anaesthetic_product),
            "treatment_start": locked.treatment_start,
            "treatment_end": locked.treatment_end,
            "reactions": locked.reactions,
        }
        session.anaesthetic_product = product
        session.anaesthetic_applied_at = applied
        session.treatment_start = start
        session.treatment_end = end
        session.reactions = dict(sorted(chosen.items()))
        session.notes = notes
        session.full_clean(exclude=["patient", "plan", "started_by", "clinic"])
        session.save(
            update_fields=[
                "anaesthetic_product", "anaesthetic_applied_at", "treatment_start",
                "treatment_end", "reactions", "notes", "updated_at",
            ]
        )  # fmt: skip
        audit_record(
            clinic=session.clinic,
            actor=by,
            event_type=AuditEventType.TREATMENT_DETAILS_RECORDED,
            subject_type="treatment_session",
            subject_id=session.pk,
            before=before,
            after={
                "anaesthetic": bool(product),
                "treatment_start": start,
                "treatment_end": end,
                "reactions": session.reactions,
            },
        )
    return session


# ---------------------------------------------------------------------------- the preview


@dataclass(frozen=True)
class Preview:
    """The screen of the cocktail and areas as they would be with what is being typed."""

    lines: list[CocktailLine]
    areas: list[ChartArea]
    screening: Screening | None
    refused: ValidationFailed | None  # what is typed cannot be saved, and why


def session_preview(
    *,
    session: TreatmentSession,
    line: dict[str, Any] | None = None,
    area: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Preview:
    """Re-screen the session with the line or area being typed (``cocktail_line_build`` /
    ``chart_area_build`` arguments), saving nothing: the practitioner sees the findings,
    the totals and a refusal (a depth outside the technique, a product not in stock) before
    pressing save, where the same checks run again."""
    now = now or clock.now()
    _require_draft(session)
    lines = list(session.cocktail_lines.all())
    areas = list(session.chart_areas.all())
    refused: ValidationFailed | None = None
    try:
        if line is not None:
            lines.append(cocktail_line_build(session=session, now=now, **line))
        if area is not None:
            areas.append(chart_area_build(session=session, **area)[0])
    except ValidationFailed as exc:
        refused = exc
    screening = None
    if lines or areas:
        try:
            screening = session_screen(session=session, lines=lines, areas=areas, now=now)
        except ValidationFailed as exc:
            refused = refused or exc
    return Preview(lines, areas, screening, refused)
