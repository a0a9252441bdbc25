from __future__ import annotations

import datetime as dt

import pytest

from pistor.core.errors import NotFound
from pistor.patients.selectors import patient_get, patient_list
from pistor.patients.services import patient_archive, patient_create
from pistor.patients.tests.factories import PatientFactory, build_patients

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(clinic, practitioner):
    def make(given, family, dob, phone=""):
        return patient_create(
            clinic=clinic,
            actor=practitioner,
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            phone=phone,
        )

    return {
        "jose": make("José", "Martín", dt.date(1985, 3, 2), "+44 7700 900123"),
        "zoe": make("Zoë", "O'Neill", dt.date(1990, 2, 3), "0113 496 0000"),
        "ann": make("Ann", "Martin", dt.date(1972, 11, 30)),
    }


def names(rows):
    return sorted(p.given_name for p in rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose", ["José"]),
        ("JOSÉ", ["José"]),
        ("MARTIN", ["Ann", "José"]),
        ("martín", ["Ann", "José"]),
        ("jose martin", ["José"]),
        ("zoe", ["Zoë"]),
        ("o'neill", ["Zoë"]),
        ("P-000002", ["Zoë"]),
        ("p-000001", ["José"]),
        ("7700 900123", ["José"]),
        ("07700900123", ["José"]),  # national form finds the number stored as +44 7700…
        ("000123", []),  # short numbers are not phone numbers: no trunk-zero stripping
        ("4960000", ["Zoë"]),
        ("1985-03-02", ["José"]),
        ("02/03/1985", ["José"]),  # UK day-first
        ("03/02/1990", ["Zoë"]),
        ("martin 30/11/1972", ["Ann"]),
        ("nobody", []),
        ("", ["Ann", "José", "Zoë"]),
    ],
)
def test_search_forgives_case_accents_and_punctuation(clinic, registry, query, expected):
    rows, total = patient_list(clinic=clinic, query=query)
    assert names(rows) == expected
    assert total == len(expected)


def test_search_never_crosses_clinics(clinic, other_clinic, registry):
    PatientFactory.create(clinic=other_clinic, given_name="José", family_name="Other")
    rows, total = patient_list(clinic=clinic, query="jose")
    assert [p.clinic_id for p in rows] == [clinic.pk]
    assert total == 1


def test_archived_patients_are_hidden_unless_asked_for(clinic, practitioner, registry):
    patient_archive(patient=registry["ann"], actor=practitioner, reason="Duplicate record")
    rows, _ = patient_list(clinic=clinic, query="martin")
    assert names(rows) == ["José"]
    rows, _ = patient_list(clinic=clinic, query="martin", include_archived=True)
    assert names(rows) == ["Ann", "José"]


def test_list_is_ordered_by_family_name_and_paged(clinic):
    build_patients(clinic, 30)
    rows, total = patient_list(clinic=clinic, limit=10, offset=10)
    assert total == 30
    assert [p.family_name for p in rows] == [f"Family{i:04d}" for i in range(10, 20)]
    rows, total = patient_list(clinic=clinic, limit=10, offset=40)
    assert (rows, total) == ([], 30)


def test_list_caps_the_page_size(clinic):
    build_patients(clinic, 250)
    rows, total = patient_list(clinic=clinic, limit=10_000)
    assert len(rows) == 200
    assert total == 250


@pytest.mark.parametrize("count", [10, 1000])
def test_list_runs_two_queries_whatever_the_size(clinic, django_assert_num_queries, count):
    build_patients(clinic, count)
    with django_assert_num_queries(2):
        patient_list(clinic=clinic, query="family")


def test_get_refuses_another_clinics_patient_like_a_missing_one(clinic, other_clinic):
    theirs = PatientFactory.create(clinic=other_clinic)
    with pytest.raises(NotFound) as other:
        patient_get(clinic=clinic, pk=theirs.pk)
    with pytest.raises(NotFound) as missing:
        patient_get(clinic=clinic, pk=987654)
    with pytest.raises(NotFound):
        patient_get(clinic=clinic, pk="abc")
    assert other.value.message == missing.value.message
    assert other.value.status == 404


def test_get_returns_archived_patients(clinic, practitioner, registry):
    patient_archive(patient=registry["jose"], actor=practitioner, reason="Moved away")
    assert patient_get(clinic=clinic, pk=registry["jose"].pk).is_archived


def test_the_list_sorts_accented_family_names_with_their_letter(clinic):
    for family_name in ["Whitaker", "Álvarez", "Baker", "Ó Súilleabháin", "Zimmer"]:
        PatientFactory.create(clinic=clinic, family_name=family_name)
    rows, _ = patient_list(clinic=clinic)
    assert [p.family_name for p in rows] == [
        "Álvarez",
        "Baker",
        "Ó Súilleabháin",
        "Whitaker",
        "Zimmer",
    ]
