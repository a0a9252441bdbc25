"""The tools' adapters: input parsed into the core's dataclasses, the clinic's catalog merged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Quantity
from pistor.patients.tests.factories import PatientFactory
from pistor.tools import forms, services
from pistor.tools.tests.helpers import add_clinic_protocol

TODAY = dt.date(2026, 11, 21)


@pytest.mark.django_db
def test_the_clinics_catalog_holds_its_own_protocols_and_not_others(
    clinic, other_clinic, manager, other_clinic_user
):
    add_clinic_protocol(other_clinic, other_clinic_user)
    assert "harbour-cellulite" not in catalog_for_clinic(clinic=clinic).protocols
    add_clinic_protocol(clinic, manager)
    with CaptureQueriesContext(connection) as queries:
        catalog = catalog_for_clinic(clinic=clinic)
    assert "harbour-cellulite" in catalog.protocols
    assert "seed-course-10-weekly" in catalog.protocols
    assert len(queries) <= 2  # one for protocols, one for products


def test_a_proposal_is_parsed_with_units_and_field_names():
    proposal = forms.proposal_from(
        {
            "indication": "cellulite",
            "areas": [
                {
                    "area": "thighs",
                    "technique": "nappage",
                    "depth": {"value": "3", "unit": "mm"},
                    "needle": {"gauge": "30", "length": {"value": "4", "unit": "mm"}},
                    "injections": "40",
                    "volume_per_injection": {"value": "0.05", "unit": "mL"},
                }
            ],
            "cocktail": [{"code": "lidocaine", "volume": {"value": "1", "unit": "mL"}}],
        },
        today=TODAY,
    )
    area = proposal.areas[0]
    assert area.depth == Quantity.of("3", "mm")
    assert area.needle is not None and area.needle.gauge == 30
    assert area.injections == 40
    assert proposal.cocktail[0].volume == Quantity.of("1", "mL")
    assert proposal.date == TODAY


@pytest.mark.parametrize(
    ("proposal", "field"),
    [
        ({"indication": ""}, "indication"),
        ({"indication": "cellulite", "areas": [{"depth": "2"}]}, "areas[0].technique"),
        ({"indication": "cellulite", "areas": [{"technique": "nappage"}]}, "areas[0].depth"),
        (
            {"indication": "cellulite", "areas": [{"technique": "nappage", "depth": "-1"}]},
            "areas[0].depth",
        ),
        (
            {
                "indication": "cellulite",
                "areas": [{"technique": "nappage", "depth": "2", "needle": {"gauge": "30"}}],
            },
            "areas[0].needle.length",
        ),
        (
            {
                "indication": "cellulite",
                "cocktail": [{"code": "x"}, {"code": "lidocaine", "volume": "lots"}],
            },
            "cocktail[1].volume",
        ),
        ({"indication": "cellulite", "date": "tomorrow"}, "date"),
        ({"indication": "cellulite", "areas": "face"}, "areas"),
    ],
)
def test_bad_proposal_input_names_the_field(proposal: dict[str, Any], field: str):
    with pytest.raises(ClinicalDataError) as caught:
        forms.proposal_from(proposal, today=TODAY)
    assert caught.value.field == field


@pytest.mark.django_db
def test_the_registry_wins_over_what_was_typed(clinic):
    patient: Any = PatientFactory(clinic=clinic, date_of_birth=dt.date(1990, 1, 2), sex="male")
    patient.fitzpatrick_type = 5
    facts = services.facts_with_record(
        forms.patient_facts_from(
            {"age_years": "16", "sex": "female", "fitzpatrick": "1", "weight_kg": "70"}
        ),
        patient,
    )
    assert facts.birth_date == dt.date(1990, 1, 2) and facts.age_years is None
    assert facts.sex == "male" and facts.fitzpatrick == 5
    assert facts.weight_kg == Decimal("70")  # not in the registry: taken from the form


def test_lidocaine_sixty_kilograms_without_adrenaline_is_270_mg():
    result = services.lidocaine_maximum(weight_kg=Decimal("60"))
    assert result.maximum == Quantity.of("270", "mg")
    assert result.planned is None


def test_a_blank_scale_answer_is_asked_for_not_misread():
    from pistor.clinical.catalog import load_catalog

    item = load_catalog().scales["pain-nrs"].items[0]
    with pytest.raises(ClinicalDataError) as caught:
        services.scale_score(scale_code="pain-nrs", answers=forms.score_answers({item.code: ""}))
    assert caught.value.field == item.code
    assert "an answer is needed" in caught.value.message
