"""The gate panel: intake, screen, allergy test and consent, in one place, in plain words."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pistor.consents.services import consent_withdraw
from pistor.consents.tests.factories import signed_consent
from pistor.patients.tests.factories import PatientFactory
from pistor.plans.selectors import plan_gate, plan_get
from pistor.plans.tests.factories import fat_plan, rejuvenation_plan
from pistor.testing.pathway import make_allergy, make_intake, make_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")


def _steps(panel):
    return {step.key: step for step in panel.steps}


def test_a_new_patient_has_every_step_open(clinic, patient, practitioner):
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    panel = plan_gate(plan=plan, now=timezone.now())
    steps = _steps(panel)
    assert not panel.open
    assert not steps["intake"].done and not steps["consent"].done and not steps["allergy"].done
    assert "no consent on record" in " ".join(steps["consent"].problems).lower()
    assert "no allergy test" in " ".join(steps["allergy"].problems).lower()


def test_the_checklist_turns_complete_then_withdrawal_closes_it_again(
    clinic, patient, practitioner
):
    make_intake(patient)
    make_test(patient, practitioner, products=("nctf-135ha",), result="negative")
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    panel = plan_gate(plan=plan, now=timezone.now())
    assert panel.open, [s.problems for s in panel.steps]
    consent_withdraw(consent=consent, by=practitioner, reason="Changed her mind.")
    panel = plan_gate(plan=plan, now=timezone.now())
    assert not panel.open
    assert "withdrawn" in " ".join(_steps(panel)["consent"].problems)


def test_a_consent_for_other_products_does_not_cover_the_plan(clinic, patient, practitioner):
    signed_consent(clinic=clinic, patient=patient, by=practitioner, products=("redensity-1",))
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    problems = " ".join(_steps(plan_gate(plan=plan, now=timezone.now()))["consent"].problems)
    assert "does not cover this treatment plan" in problems


def test_a_soy_allergic_patient_cannot_pass_with_a_phosphatidylcholine_plan(
    clinic, patient, practitioner
):
    make_intake(patient, allergens=["soy"])
    make_test(patient, practitioner, products=("lipostabil",), result="negative")
    signed_consent(
        clinic=clinic,
        patient=patient,
        by=practitioner,
        indication="localised-fat",
        products=("lipostabil",),
    )
    plan = plan_get(
        clinic_id=clinic.pk, pk=fat_plan(clinic=clinic, patient=patient, by=practitioner).pk
    )
    panel = plan_gate(plan=plan, now=timezone.now())
    screen = _steps(panel)["screen"]
    assert not panel.open and not screen.done
    text = " ".join(screen.problems).lower()
    assert "soy" in text and "cannot be overridden" in text


def test_a_recorded_allergy_from_a_positive_test_also_blocks(clinic, patient, practitioner):
    make_intake(patient)
    make_allergy(patient, "phosphatidylcholine", ["soy"])
    plan = plan_get(
        clinic_id=clinic.pk, pk=fat_plan(clinic=clinic, patient=patient, by=practitioner).pk
    )
    assert not _steps(plan_gate(plan=plan, now=timezone.now()))["screen"].done


def test_a_reading_dated_in_the_future_is_named_on_its_step_not_a_crash(
    clinic, patient, practitioner
):
    make_intake(patient)
    make_test(
        patient, practitioner, products=("nctf-135ha",), placed_at=timezone.now(), result="negative"
    )
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    steps = _steps(plan_gate(plan=plan, now=timezone.now()))
    assert not steps["allergy"].done and "future" in " ".join(steps["allergy"].problems)


def test_a_complete_panel_allows_the_start_with_no_stock_reasons_whatever_the_shelf(
    clinic, patient, practitioner
):
    # The panel feeds the gate no batches: the gate's stock reasons (batch-missing for every
    # product) say nothing about the plan and are dropped by code; the session's start
    # weighs the shelf itself (pistor.treatments).
    from pistor.clinical.gates import BATCH_REASON_CODES

    make_intake(patient)
    make_test(patient, practitioner, products=("nctf-135ha",), result="negative")
    signed_consent(clinic=clinic, patient=patient, by=practitioner)
    plan = plan_get(
        clinic_id=clinic.pk,
        pk=rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner).pk,
    )
    panel = plan_gate(plan=plan, now=timezone.now())
    assert panel.open and panel.decision.allowed, panel.decision.reasons
    assert not {r.code for r in panel.decision.reasons} & BATCH_REASON_CODES
