"""patient_facts_get and the intake reads: what the screen is told, in a fixed query count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from pistor.intake.selectors import intake_latest_complete, intake_list, patient_facts_get
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import bulk_intakes, make_allergy, make_intake
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, fitzpatrick_type=3)


def test_latest_complete_skips_drafts_and_older_versions(patient):
    make_intake(patient, version=1, weight_kg=Decimal("60"))
    make_intake(patient, version=2, weight_kg=Decimal("70"))
    make_intake(patient, version=3, status="draft", weight_kg=None)
    latest = intake_latest_complete(patient=patient)
    assert latest is not None and latest.version == 2
    assert [f.version for f in intake_list(patient=patient)] == [3, 2, 1]


def test_no_intake_gives_registry_facts_and_recorded_allergies(patient):
    make_allergy(patient, "phosphatidylcholine", ["soy", "peanut"])
    facts = patient_facts_get(patient=patient, now=timezone.now())
    assert facts.birth_date == patient.date_of_birth
    assert facts.weight_kg is None
    assert facts.fitzpatrick == 3
    assert facts.allergens == frozenset({"soy", "peanut"})


def test_facts_come_from_the_latest_complete_intake(patient):
    make_intake(patient, version=1, medications=["aspirin"])
    make_intake(
        patient,
        version=2,
        conditions=["epilepsy"],
        medications=["coumarin", "fish-oil"],
        allergens=["bee-venom"],
        pregnant=False,
        breastfeeding=True,
        weight_kg=Decimal("81.5"),
        fitzpatrick=5,
    )
    make_allergy(patient, "phosphatidylcholine", ["soy"])
    facts = patient_facts_get(patient=patient, now=timezone.now())
    assert facts.conditions == frozenset({"epilepsy"})
    assert facts.medications == frozenset({"coumarin", "fish-oil"})
    assert facts.allergens == frozenset({"bee-venom", "soy"})
    assert facts.breastfeeding is True and facts.pregnant is False
    assert facts.weight_kg == Decimal("81.5")
    assert facts.fitzpatrick == 5


def test_a_code_the_catalog_no_longer_knows_is_left_out(patient):
    make_intake(patient, conditions=["epilepsy", "no-such-condition"])
    facts = patient_facts_get(patient=patient, now=timezone.now())
    assert facts.conditions == frozenset({"epilepsy"})


def test_naive_now_is_refused(patient):
    with pytest.raises(ValueError):
        patient_facts_get(patient=patient, now=timezone.now().replace(tzinfo=None))


def test_patient_facts_query_count_is_capped_whatever_the_history(patient):
    made = {"n": 0}

    def grow(n):
        bulk_intakes(patient, n, start=made["n"] + 1)
        made["n"] += n
        for _ in range(min(n, 20)):
            make_allergy(patient, "phosphatidylcholine", ["soy"])

    assert_query_cap(
        lambda: patient_facts_get(patient=patient, now=timezone.now()),
        grow=grow,
        sizes=(5, 200),
        cap=2,
        check=lambda facts: facts.weight_kg is not None,
    )
