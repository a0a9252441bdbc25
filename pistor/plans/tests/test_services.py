"""Plans: protocol to dated course, departures with reasons, prices and the quote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pistor.core.errors import ValidationFailed
from pistor.patients.tests.factories import PatientFactory
from pistor.plans.models import Plan, PriceItem
from pistor.plans.selectors import plan_get, plan_quote
from pistor.plans.services import plan_session_update, price_item_set, pricing_settings_set
from pistor.plans.tests.factories import rejuvenation_plan, standard_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")


def test_seed_004_protocol_lays_out_ten_weekly_sessions_then_monthly_and_maintenance(
    clinic, patient, practitioner
):
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
    sessions = list(plan_get(clinic_id=clinic.pk, pk=plan.pk).planned_sessions.all())
    course = [s for s in sessions if not s.maintenance]
    assert len(course) == 16  # ten weekly, then six monthly (seed 004)
    assert course[0].planned_on == dt.date(2026, 12, 7)
    assert course[1].target == dt.date(2026, 12, 14)
    assert all(s.earliest <= s.target <= s.latest for s in sessions)
    assert any(s.maintenance for s in sessions)
    assert plan.catalog_version and plan.protocol_name


def test_a_count_outside_the_protocol_needs_a_reason(clinic, patient, practitioner):
    with pytest.raises(ValidationFailed) as caught:
        rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner, sessions=40)
    assert "reason" in caught.value.fields and "outside" in caught.value.fields["reason"][0]
    assert Plan.objects.count() == 0
    plan = rejuvenation_plan(
        clinic=clinic, patient=patient, by=practitioner, sessions=14, reason="Slow responder."
    )
    plan = plan_get(clinic_id=clinic.pk, pk=plan.pk)
    sessions = list(plan.planned_sessions.all())
    assert plan.warnings and plan.adjustment_reason == "Slow responder."
    assert [s.phase for s in sessions[:15]] == ["initial"] * 14 + ["monthly"]
    assert sessions[14].target == sessions[13].target + dt.timedelta(days=30)
    assert [s.number for s in sessions] == list(range(1, len(sessions) + 1))


def test_moving_a_session_outside_its_window_needs_a_note(clinic, patient, practitioner):
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    second = list(plan.planned_sessions.all())[1]
    args: dict[str, Any] = {
        "areas": ["face"],
        "technique_code": "nappage",
        "product_codes": ["nctf-135ha"],
    }
    plan_session_update(session=second, by=practitioner, planned_on=second.latest, **args)
    with pytest.raises(ValidationFailed) as caught:
        plan_session_update(
            session=second, by=practitioner, planned_on=second.latest + dt.timedelta(days=3), **args
        )
    assert "outside this session's window" in caught.value.fields["note"][0]
    second.refresh_from_db()
    assert second.planned_on == second.latest


@pytest.mark.parametrize(
    "kwargs",
    [
        {"indication_code": "nope"},
        {"protocol_code": "lipolysis-pcdc"},
        {"technique_code": "nope"},
        {"product_codes": ["made-up"]},
        {"product_codes": []},
        {"areas": []},
        {"first_session": dt.date(9999, 1, 1)},
    ],
)
def test_bad_plan_input_writes_nothing(clinic, patient, practitioner, kwargs):
    with pytest.raises(ValidationFailed):
        rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner, **kwargs)
    assert Plan.objects.count() == 0


def test_the_quote_totals_the_course_and_a_year_of_maintenance_with_vat(
    clinic, patient, practitioner, manager
):
    standard_prices(clinic=clinic, by=manager)
    pricing_settings_set(clinic=clinic, by=manager, vat_rate="20")
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    quote = plan_quote(plan=plan)
    assert quote.currency == "GBP" and quote.complete
    assert quote.course.sessions == 16
    assert quote.course.net == Decimal("16") * (Decimal("150.00") + Decimal("40.00"))
    assert quote.course.vat == (quote.course.net * Decimal("0.20")).quantize(Decimal("0.01"))
    assert quote.course.gross == quote.course.net + quote.course.vat
    assert quote.maintenance.sessions >= 1
    assert quote.maintenance.net == quote.maintenance.sessions * Decimal("190.00")


def test_a_missing_price_is_named(clinic, patient, practitioner):
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    quote = plan_quote(plan=plan)
    assert not quote.complete and "skin-rejuvenation" in quote.missing[0]


@pytest.mark.parametrize("amount", ["-1", "abc", "1e999999", "NaN", "100000.01"])
def test_bad_prices_are_refused(clinic, manager, amount):
    with pytest.raises(ValidationFailed):
        price_item_set(
            clinic=clinic, by=manager, kind="product", product_code="nctf-135ha", amount=amount
        )
    assert PriceItem.objects.count() == 0


def test_setting_a_price_again_replaces_it(clinic, manager):
    price_item_set(clinic=clinic, by=manager, kind="product", product_code="nctf-135ha", amount=1)
    price_item_set(clinic=clinic, by=manager, kind="product", product_code="nctf-135ha", amount=2)
    assert list(PriceItem.objects.values_list("amount", flat=True)) == [Decimal("2.00")]
