"""Writing plans and prices. Each write is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.errors import ClinicalDataError
from pistor.core.errors import NotFound, ValidationFailed
from pistor.plans.constants import MAX_AREAS, MAX_PRICE, MAX_SESSIONS, PriceKind
from pistor.plans.course import layout_course
from pistor.plans.models import Plan, PlanSession, PriceItem, PricingSettings

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.consents.models import Consent
    from pistor.patients.models import Patient


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _clean_areas(areas: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(a.strip().lower() for a in areas if a and a.strip()))
    if not cleaned:
        raise _fail("areas", "Name at least one area to treat.")
    if len(cleaned) > MAX_AREAS or any(len(a) > 60 for a in cleaned):
        raise _fail("areas", f"At most {MAX_AREAS} areas, each up to 60 characters.")
    return cleaned


def plan_create(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    indication_code: str,
    protocol_code: str,
    first_session: dt.date,
    areas: Sequence[str],
    technique_code: str,
    product_codes: Sequence[str],
    sessions: int | None = None,
    reason: str = "",
) -> Plan:
    """Lay out a course from a catalog or clinic protocol for the indication.

    A session count outside the protocol's limits is a warning that needs a written
    ``reason``; without one nothing is written.
    """
    catalog = catalog_for_clinic(clinic=clinic)
    indication = catalog.indications.get(indication_code)
    if indication is None:
        raise _fail("indication_code", "Choose an indication from the catalog.")
    protocol = catalog.protocols.get(protocol_code)
    if protocol is None:
        raise _fail("protocol_code", "Choose a protocol from the catalog or the clinic's own.")
    if indication_code not in protocol.indications:
        raise _fail("protocol_code", f"{protocol.name} is not a protocol for {indication.name}.")
    if technique_code not in catalog.techniques:
        raise _fail("technique_code", "Choose a technique from the catalog.")
    unknown = [c for c in product_codes if c not in catalog.products]
    if unknown:
        raise _fail("product_codes", f"Not in the catalog: {', '.join(unknown)}.")
    if not product_codes:
        raise _fail("product_codes", "Choose at least one product.")
    if not 1900 <= first_session.year <= 2200:
        raise _fail("first_session", "Choose a date between the years 1900 and 2200.")
    if sessions is not None and not 1 <= sessions <= MAX_SESSIONS:
        raise _fail("sessions", f"A course has from 1 to {MAX_SESSIONS} sessions.")
    cleaned_areas = _clean_areas(areas)
    reason = (reason or "").strip()[:5000]
    try:
        from pistor.scheduling.selectors import clinic_open_days

        layout = layout_course(
            protocol, first_session, sessions, clinic_open_days(clinic=clinic, since=first_session)
        )
    except ClinicalDataError as exc:
        raise _fail("sessions", str(exc)) from None
    if layout.warnings and not reason:
        raise _fail("reason", " ".join(layout.warnings) + " Give a reason to go ahead.")
    products = list(dict.fromkeys(product_codes))
    with transaction.atomic():
        plan = Plan(
            clinic=clinic,
            patient=patient,
            indication_code=indication_code,
            protocol_code=protocol_code,
            protocol_name=protocol.name,
            catalog_version=catalog.version,
            technique_code=technique_code,
            areas=cleaned_areas,
            product_codes=products,
            first_session=first_session,
            sessions=sessions,
            adjustment_reason=reason if layout.warnings else "",
            warnings=layout.warnings,
            created_by=by,
        )
        plan.full_clean()
        plan.save()
        PlanSession.objects.bulk_create(
            PlanSession(
                clinic=clinic,
                plan=plan,
                number=s.number,
                phase=s.phase,
                maintenance=s.phase == "maintenance",
                earliest=s.earliest,
                target=s.target,
                latest=s.latest,
                planned_on=s.target,
                areas=cleaned_areas,
                technique_code=technique_code,
                product_codes=products,
            )
            for s in layout.sessions
        )
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.PLAN_CREATED,
            subject_type="plan",
            subject_id=plan.pk,
            after={
                "patient": patient.pk,
                "protocol": protocol_code,
                "sessions": len(layout.sessions),
                "warnings": layout.warnings,
            },
        )
    return plan


def plan_session_update(
    *,
    session: PlanSession,
    by: User,
    planned_on: dt.date,
    areas: Sequence[str],
    technique_code: str,
    product_codes: Sequence[str],
    note: str = "",
) -> PlanSession:
    """Move a session or change what it plans; a date outside its window needs a note."""
    catalog = catalog_for_clinic(clinic=session.plan.clinic)
    if technique_code not in catalog.techniques:
        raise _fail("technique_code", "Choose a technique from the catalog.")
    unknown = [c for c in product_codes if c not in catalog.products]
    if unknown or not product_codes:
        raise _fail("product_codes", "Choose products from the catalog.")
    cleaned = _clean_areas(areas)
    note = (note or "").strip()[:5000]
    outside = not session.earliest <= planned_on <= session.latest
    if outside and not note:
        raise _fail(
            "note",
            f"{planned_on:%d %b %Y} is outside this session's window "
            f"({session.earliest:%d %b} to {session.latest:%d %b %Y}). Give a reason to go ahead.",
        )
    before = {"planned_on": session.planned_on, "areas": session.areas}
    with transaction.atomic():
        session.planned_on = planned_on
        session.areas = cleaned
        session.technique_code = technique_code
        session.product_codes = list(dict.fromkeys(product_codes))
        session.note = note
        session.full_clean()
        session.save()
        audit_record(
            clinic=session.plan.clinic,
            actor=by,
            event_type=AuditEventType.PLAN_SESSION_CHANGED,
            subject_type="plan",
            subject_id=session.plan_id,
            before=before,
            after={"number": session.number, "planned_on": planned_on, "outside_window": outside},
        )
    return session


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise _fail("amount", "Enter an amount such as 120.00.") from None
    if not amount.is_finite() or not Decimal("0") <= amount <= MAX_PRICE:
        raise _fail("amount", f"Enter an amount from 0 to {MAX_PRICE}.")
    return amount


def price_item_set(
    *,
    clinic: Clinic,
    by: User,
    kind: str,
    amount: object,
    indication_code: str = "",
    area: str = "",
    product_code: str = "",
) -> PriceItem:
    """Set one price (creating or replacing the line for the same item)."""
    catalog = catalog_for_clinic(clinic=clinic)
    value = _amount(amount)
    area = (area or "").strip().lower()[:60]
    if kind == PriceKind.SESSION:
        if indication_code not in catalog.indications:
            raise _fail("indication_code", "Choose an indication from the catalog.")
        product_code = ""
    elif kind == PriceKind.PRODUCT:
        if product_code not in catalog.products:
            raise _fail("product_code", "Choose a product from the catalog.")
        indication_code, area = "", ""
    else:
        raise _fail("kind", "Choose a session price or a product price.")
    with transaction.atomic():
        item = (
            PriceItem.objects.for_clinic(clinic)
            .select_for_update()
            .filter(
                kind=kind, indication_code=indication_code, area=area, product_code=product_code
            )
            .first()
        )
        before = {"amount": item.amount} if item else None
        if item is None:
            item = PriceItem(
                clinic=clinic,
                kind=kind,
                indication_code=indication_code,
                area=area,
                product_code=product_code,
                amount=value,
            )
        item.amount = value
        item.full_clean()
        item.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.PRICE_SET,
            subject_type="price_item",
            subject_id=item.pk,
            before=before,
            after={"kind": kind, "item": indication_code or product_code, "amount": value},
        )
    return item


def price_item_delete(*, clinic: Clinic, by: User, pk: int) -> None:
    with transaction.atomic():
        item = PriceItem.objects.for_clinic(clinic).filter(pk=pk).first()
        if item is None:
            raise NotFound("No such price.")
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.PRICE_DELETED,
            subject_type="price_item",
            subject_id=pk,
            before={"amount": item.amount},
        )
        item.delete()


def pricing_settings_set(*, clinic: Clinic, by: User, vat_rate: object) -> PricingSettings:
    try:
        rate = Decimal(str(vat_rate)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise _fail("vat_rate", "Enter a VAT rate in percent, e.g. 20.") from None
    if not rate.is_finite() or not Decimal("0") <= rate <= Decimal("100"):
        raise _fail("vat_rate", "Enter a VAT rate from 0 to 100 percent.")
    with transaction.atomic():
        settings, _ = PricingSettings.objects.get_or_create(clinic=clinic)
        before = {"vat_rate": settings.vat_rate}
        settings.vat_rate = rate
        settings.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type=AuditEventType.PRICING_VAT_SET,
            subject_type="clinic",
            subject_id=clinic.pk,
            before=before,
            after={"vat_rate": rate},
        )
    return settings


def plan_consent_create(*, plan: Plan, by: User) -> Consent:
    """Draw up the treatment consent for this plan: its indication and products, and the
    course, its dates and its cost (from the quote) written into the text."""
    from pistor.consents.constants import ConsentKind
    from pistor.consents.services import consent_create
    from pistor.consents.texts import CourseSummary
    from pistor.plans.selectors import plan_quote

    sessions = list(plan.planned_sessions.all())
    course = [s for s in sessions if not s.maintenance]
    upkeep = [s for s in sessions if s.maintenance]
    quote = plan_quote(plan=plan)
    total = f"{quote.currency} {quote.course.gross} including VAT at {quote.vat_rate}%"
    if quote.missing:
        total += " (some items are not yet priced; the clinic will confirm them in writing)"
    summary = CourseSummary(
        protocol_name=plan.protocol_name,
        sessions=len(course),
        first_date=f"{course[0].planned_on:%d %B %Y}" if course else "",
        last_date=f"{course[-1].planned_on:%d %B %Y}" if course else "",
        course_total=total,
        maintenance=(
            f"{len(upkeep)} top-up sessions over the following year, about "
            f"{quote.currency} {quote.maintenance.gross} including VAT, only if you choose"
            if upkeep
            else ""
        ),
    )
    return consent_create(
        clinic=plan.clinic,
        patient=plan.patient,
        by=by,
        kind=ConsentKind.TREATMENT,
        indication_code=plan.indication_code,
        product_codes=plan.product_codes,
        course=summary,
    )
