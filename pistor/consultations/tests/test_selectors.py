"""The latest consultation, the overrides the gate honours, and the site-level facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pistor.consultations.selectors import (
    consultation_latest,
    override_facts_get,
    screening_facts_get,
    site_conditions_for_areas,
)
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import make_consultation, make_override
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def test_no_consultation_means_no_override(patient):
    assert consultation_latest(patient=patient) is None
    assert override_facts_get(patient=patient) is None


def test_latest_consultation_and_its_overrides(patient, practitioner):
    old = make_consultation(
        patient, practitioner, consulted_at=timezone.now() - dt.timedelta(days=9)
    )
    make_override(old, practitioner, ["old-warning"], "old reason")
    new = make_consultation(patient, practitioner, areas=["abdomen", "flanks"])
    make_override(new, practitioner, ["bleeding:anticoagulant"], "INR stable, GP agrees")
    make_override(new, practitioner, ["caution:x"], "Discussed")
    latest = consultation_latest(patient=patient)
    assert latest == new and latest.areas == ["abdomen", "flanks"]
    facts = override_facts_get(patient=patient)
    assert facts is not None
    assert facts.finding_codes == frozenset({"bleeding:anticoagulant", "caution:x"})
    assert facts.reason == "INR stable, GP agrees; Discussed"
    assert "old reason" not in facts.reason


def test_site_conditions_only_for_the_areas_asked():
    findings = {"Abdomen": ["infection", "scar"], "flanks": ["herpes"], "thighs": ["eczema"]}
    assert site_conditions_for_areas(findings, ["abdomen"]) == frozenset({"infection-at-site"})
    assert site_conditions_for_areas(findings) == frozenset({"infection-at-site", "herpes-active"})
    assert site_conditions_for_areas(findings, ["thighs"]) == frozenset()


def test_screening_facts_add_what_was_seen_at_the_planned_areas(patient, practitioner):
    make_consultation(patient, practitioner, area_findings={"abdomen": ["herpes"]})
    facts = screening_facts_get(patient=patient, now=timezone.now(), areas=["abdomen"])
    assert "herpes-active" in facts.conditions
    elsewhere = screening_facts_get(patient=patient, now=timezone.now(), areas=["thighs"])
    assert "herpes-active" not in elsewhere.conditions


def test_queries_are_capped_whatever_the_history(patient, practitioner):
    def grow(n):
        for i in range(n):
            c = make_consultation(
                patient, practitioner, consulted_at=timezone.now() - dt.timedelta(days=n - i)
            )
            make_override(c, practitioner, ["w"], "r")

    assert_query_cap(lambda: override_facts_get(patient=patient), grow=grow, sizes=(3, 30), cap=2)
    assert_query_cap(lambda: consultation_latest(patient=patient), grow=grow, sizes=(30, 60), cap=3)
