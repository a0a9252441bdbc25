from __future__ import annotations

from datetime import date

import pytest

from pistor.clinical.cocktails import suggest
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.safety import PatientFacts
from pistor.clinical.tests.builders import make_catalog

CATALOG = make_catalog()
TODAY = date(2027, 3, 1)


def test_suggestions_follow_the_families_in_order() -> None:
    result = suggest("cellulite", PatientFacts(), today=TODAY, catalog=CATALOG)
    assert [(s.family, s.ingredient_code, s.kind) for s in result] == [
        ("Lipolytic", "phosphatidylcholine", "ingredient"),
        ("Lipolytic", "l-carnitine", "ingredient"),
        ("Lipolytic", "aminophylline", "ingredient"),
        ("Lipolytic", "dermaheal-ll", "product"),
        ("Vasoactive", "buflomedil", "ingredient"),
    ]
    pc = result[0]
    assert pc.usual_concentration is not None and str(pc.usual_concentration) == "50 mg/mL"


def test_an_ingredient_the_patient_must_not_receive_is_kept_and_marked_excluded() -> None:
    patient = PatientFacts(allergens=frozenset({"soy"}))
    result = {
        s.ingredient_code: s for s in suggest("cellulite", patient, today=TODAY, catalog=CATALOG)
    }
    assert result["phosphatidylcholine"].excluded
    assert "soya" in result["phosphatidylcholine"].reasons[0]
    assert result["dermaheal-ll"].excluded
    assert not result["l-carnitine"].excluded and result["l-carnitine"].reasons == ()
    assert result["buflomedil"].excluded  # withdrawn in the EU, whoever the patient is


def test_warnings_are_listed_as_cautions_without_excluding() -> None:
    patient = PatientFacts(medications=frozenset({"coumarin"}))
    result = {
        s.ingredient_code: s for s in suggest("cellulite", patient, today=TODAY, catalog=CATALOG)
    }
    carnitine = result["l-carnitine"]
    assert not carnitine.excluded
    assert any("INR" in c for c in carnitine.cautions)


def test_unknown_indication_names_the_field() -> None:
    with pytest.raises(ClinicalDataError) as error:
        suggest("nope", PatientFacts(), today=TODAY, catalog=CATALOG)
    assert error.value.field == "indication"


def test_case_soy_allergic_patient_sees_phosphatidylcholine_excluded_for_localised_fat() -> None:
    patient = PatientFacts(allergens=frozenset({"soy"}), birth_date=date(1985, 1, 1))
    result = suggest("localised-fat", patient, today=TODAY)
    assert result
    pc = [s for s in result if s.ingredient_code == "phosphatidylcholine"]
    assert pc and all(s.excluded and any("soy" in r.lower() for r in s.reasons) for s in pc)
    assert any(not s.excluded for s in result)
