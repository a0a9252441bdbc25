"""Reading plans: the plan with its course, its quote, and the gate panel.

``plan_gate(plan=..., now=...)`` is the one place the pathway's gate is fed for a plan:
intake, screen (with the practitioner's overrides), allergy tests and consent, through
``pistor.clinical.gates.can_start_session``. The treatment-session work reuses it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse

from pistor.allergytests.selectors import allergy_test_facts_list, products_needing_test
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.dosing import CocktailLine
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.gates import (
    BATCH_REASON_CODES,
    ConsentFacts,
    Decision,
    Reason,
    can_start_session,
)
from pistor.clinical.safety import AreaPlan, Screening, TreatmentProposal, screen
from pistor.clinics.selectors import clinic_screening_settings
from pistor.consents.constants import ConsentKind
from pistor.consents.models import Consent
from pistor.consents.selectors import consent_covering
from pistor.consultations.selectors import override_facts_get, screening_facts_get
from pistor.core.errors import NotFound
from pistor.intake.selectors import intake_latest_complete
from pistor.plans.constants import MAINTENANCE_QUOTE_DAYS, PriceKind
from pistor.plans.models import Plan, PlanSession, PriceItem, PricingSettings
from pistor.records.selectors import record_withdrawals_map

_MAX_ID = 2**63 - 1
_CENT = Decimal("0.01")


def plan_get(*, clinic_id: int, pk: int) -> Plan:
    """One plan of the clinic with its sessions; another clinic's answers NotFound."""
    if not 0 < int(pk) <= _MAX_ID:
        raise NotFound("No such plan.")
    plan = (
        Plan.objects.for_clinic(clinic_id)
        .select_related("clinic", "created_by")
        .prefetch_related("planned_sessions")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def plan_session_get(*, plan: Plan, number: int) -> PlanSession:
    for session in plan.planned_sessions.all():
        if session.number == number:
            session.plan = plan
            return session
    raise NotFound("No such session in this plan.")


def plan_list(*, clinic_id: int, patient_id: int, limit: int = 100) -> list[Plan]:
    return list(
        Plan.objects.for_clinic(clinic_id)
        .filter(patient_id=patient_id)
        .order_by("-created_at", "-pk")[:limit]
    )


def price_list(*, clinic_id: int) -> list[PriceItem]:
    return list(
        PriceItem.objects.for_clinic(clinic_id).order_by(
            "kind", "indication_code", "area", "product_code"
        )[:2000]
    )


def vat_rate_get(*, clinic_id: int) -> Decimal:
    row = PricingSettings.objects.for_clinic(clinic_id).values_list("vat_rate", flat=True).first()
    return row if row is not None else Decimal("0")


# ---------------------------------------------------------------------------------- quote


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: int
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True)
class QuotePart:
    lines: tuple[QuoteLine, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal
    sessions: int


@dataclass(frozen=True)
class Quote:
    currency: str
    vat_rate: Decimal
    course: QuotePart
    maintenance: QuotePart
    missing: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.missing


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _part(
    sessions: list[PlanSession],
    *,
    indication: str,
    session_prices: dict[tuple[str, str], Decimal],
    product_prices: dict[str, Decimal],
    product_names: dict[str, str],
    vat_rate: Decimal,
    missing: set[str],
) -> QuotePart:
    counts: dict[tuple[str, Decimal], int] = {}
    for session in sessions:
        for area in session.areas:
            price = session_prices.get((indication, area), session_prices.get((indication, "")))
            if price is None:
                missing.add(f"a session price for {indication} ({area})")
                continue
            key = (f"Session, {area}", price)
            counts[key] = counts.get(key, 0) + 1
        for product in session.product_codes:
            if product in product_prices:
                key = (
                    f"{product_names.get(product, product)} (per session)",
                    product_prices[product],
                )
                counts[key] = counts.get(key, 0) + 1
    lines = tuple(
        QuoteLine(desc, qty, price, _money(price * qty)) for (desc, price), qty in counts.items()
    )
    net = _money(sum((line.total for line in lines), Decimal("0")))
    vat = _money(net * vat_rate / 100)
    return QuotePart(lines, net, vat, net + vat, len(sessions))


def plan_quote(*, plan: Plan) -> Quote:
    """The course's cost and a year of maintenance, from the clinic's price list, plus VAT.

    A session price for the plan's indication and an area is charged per area treated; a
    price with no area stands for any area without its own. Products with a price are
    charged per session they are planned in. Two queries (prices, VAT rate).
    """
    catalog = catalog_for_clinic(clinic=plan.clinic)
    items = price_list(clinic_id=plan.clinic_id)
    session_prices = {
        (i.indication_code, i.area): i.amount for i in items if i.kind == PriceKind.SESSION
    }
    product_prices = {i.product_code: i.amount for i in items if i.kind == PriceKind.PRODUCT}
    names = {code: p.name for code, p in catalog.products.items()}
    vat_rate = vat_rate_get(clinic_id=plan.clinic_id)
    sessions = list(plan.planned_sessions.all())
    course = [s for s in sessions if not s.maintenance]
    end = max((s.planned_on for s in course), default=plan.first_session)
    horizon = end + dt.timedelta(days=MAINTENANCE_QUOTE_DAYS)
    upkeep = [s for s in sessions if s.maintenance and s.planned_on <= horizon]
    missing: set[str] = set()
    common = {
        "indication": plan.indication_code,
        "session_prices": session_prices,
        "product_prices": product_prices,
        "product_names": names,
        "vat_rate": vat_rate,
        "missing": missing,
    }
    return Quote(
        currency=plan.clinic.currency,
        vat_rate=vat_rate,
        course=_part(course, **common),  # type: ignore[arg-type]
        maintenance=_part(upkeep, **common),  # type: ignore[arg-type]
        missing=tuple(sorted(missing)),
    )


# ----------------------------------------------------------------------------------- gate


@dataclass(frozen=True)
class GateStep:
    key: str  # intake, screen, allergy, consent
    title: str
    done: bool
    problems: tuple[str, ...]
    link: str
    link_label: str


@dataclass(frozen=True)
class GatePanel:
    steps: tuple[GateStep, ...]
    decision: Decision
    screening: Screening | None

    @property
    def open(self) -> bool:
        return all(step.done for step in self.steps)


_STEP_OF = {
    "consent": "consent",
    "allergy": "allergy",
    "screening": "screen",
    "override": "screen",
}


def _step_key(reason: Reason) -> str:
    for prefix, key in _STEP_OF.items():
        if reason.code.startswith(prefix):
            return key
    return "other"


def plan_proposal(*, plan: Plan, catalog: object) -> TreatmentProposal:
    technique = catalog.techniques[plan.technique_code]  # type: ignore[attr-defined]
    first = next((s for s in plan.planned_sessions.all()), None)
    return TreatmentProposal(
        indication=plan.indication_code,
        areas=tuple(
            AreaPlan(area=a, technique=technique.code, depth=technique.depth_min)
            for a in (first.areas if first else plan.areas)
        ),
        cocktail=tuple(
            CocktailLine(c) for c in (first.product_codes if first else plan.product_codes)
        ),
        date=first.planned_on if first else plan.first_session,
        protocol=plan.protocol_code,
    )


def _consent_facts(plan: Plan) -> ConsentFacts | None:
    covering = consent_covering(
        clinic_id=plan.clinic_id,
        patient_id=plan.patient_id,
        indication_code=plan.indication_code,
        product_codes=plan.product_codes,
    )
    if covering is not None:
        return ConsentFacts(
            signed_at=covering.consent.signed_at, covers_plans=frozenset({plan.code})
        )
    # No consent in force: say whether the latest for this indication was withdrawn,
    # unsigned, or does not cover the plan, so the panel says what to do.
    latest = (
        Consent.objects.for_clinic(plan.clinic_id)
        .filter(
            patient_id=plan.patient_id,
            kind=ConsentKind.TREATMENT,
            indication_code=plan.indication_code,
        )
        .only("pk", "status", "signed_at", "product_codes")
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    if not latest.is_signed:
        return ConsentFacts(signed_at=None, covers_plans=frozenset())
    withdrawn = bool(
        record_withdrawals_map(
            clinic_id=plan.clinic_id,
            record_type=Consent._meta.label_lower,
            record_ids=[latest.pk],
        )
    )
    return ConsentFacts(signed_at=latest.signed_at, covers_plans=frozenset(), withdrawn=withdrawn)


def plan_gate(*, plan: Plan, now: dt.datetime) -> GatePanel:
    """What is still missing before the plan's first session, step by step.

    Intake complete; the screen (patient facts from the record plus what the consultation
    saw at the plan's areas, clinic settings) clean or its warnings overridden; a negative
    allergy test read in time for each product that needs one; a signed consent in force
    covering this plan's indication and products. Batches are chosen at the session, so
    their reasons are not part of this panel. Bounded queries whatever the history.
    """
    patient = plan.patient
    catalog = catalog_for_clinic(clinic=plan.clinic)
    intake = intake_latest_complete(patient=patient)
    facts = screening_facts_get(patient=patient, now=now, areas=plan.areas)
    screening: Screening | None
    try:
        screening = screen(
            facts,
            plan_proposal(plan=plan, catalog=catalog),
            today=now.date(),
            catalog=catalog,
            settings=clinic_screening_settings(plan.clinic),
        )
    except ClinicalDataError as exc:
        screening = None
        screen_error = str(exc)
    needing = products_needing_test(
        clinic=plan.clinic, patient=patient, products=plan.product_codes
    )
    consent_facts = _consent_facts(plan)
    allergy_facts = allergy_test_facts_list(patient=patient)
    try:
        decision = can_start_session(
            consent=consent_facts,
            plan_code=plan.code,
            products_used=[p for p in plan.product_codes if p in needing],
            allergy_tests=allergy_facts,
            screening=screening or Screening(()),
            override=override_facts_get(patient=patient),
            batches=[],
            now=now,
            min_read_hours=plan.clinic.allergy_test_min_read_hours,
        )
    except ClinicalDataError as exc:
        # A record dated in the future (a reading, a signature) cannot be weighed: say so
        # on the step it concerns instead of failing the page.
        step = "allergy-data" if str(exc.field or "").startswith("allergy") else "consent-data"
        decision = Decision(
            False, (Reason(step, str(exc), "Check the times recorded for this step."),)
        )
    # The panel feeds the gate no batches (they are chosen at the session), so the gate's
    # stock reasons say nothing about this plan: drop exactly those, by code.
    kept = tuple(r for r in decision.reasons if r.code not in BATCH_REASON_CODES)
    decision = Decision(not kept, kept)
    by_step: dict[str, list[str]] = {"screen": [], "allergy": [], "consent": []}
    for reason in decision.reasons:
        key = _step_key(reason)
        if key in by_step:
            by_step[key].append(f"{reason.message} {reason.unblock}")
    if screening is None:
        by_step["screen"].append(f"The screen could not run: {screen_error}")
    patient_url = reverse("patients:detail", args=[patient.pk])
    steps = (
        GateStep(
            "intake",
            "Medical history (intake) complete",
            intake is not None,
            () if intake is not None else ("No complete medical history form is on record.",),
            _url("intake:history", patient.pk, patient_url),
            "Intake",
        ),
        GateStep(
            "screen",
            "Safety screen clean, or its warnings overridden",
            not by_step["screen"],
            tuple(by_step["screen"]),
            _url("consultations:list", patient.pk, patient_url),
            "Consultation",
        ),
        GateStep(
            "allergy",
            "Allergy test read negative in time" + ("" if needing else " (none needed)"),
            not by_step["allergy"],
            tuple(by_step["allergy"]),
            _url("allergytests:list", patient.pk, patient_url),
            "Allergy tests",
        ),
        GateStep(
            "consent",
            "Consent signed and covering this plan",
            not by_step["consent"],
            tuple(by_step["consent"]),
            reverse("consents:list", args=[patient.pk]),
            "Consents",
        ),
    )
    return GatePanel(steps=steps, decision=decision, screening=screening)


def _url(name: str, patient_pk: int, fallback: str) -> str:
    # The intake, consultation and allergy-test pages land with their own app; until then
    # the step links to the patient's page.
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=[patient_pk])
    except NoReverseMatch:
        return fallback


__all__ = ["plan_gate", "plan_get", "plan_quote"]
