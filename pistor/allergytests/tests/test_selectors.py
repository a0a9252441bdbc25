"""The gate's allergy-test facts and which products need a test, in fixed query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from pistor.allergytests.selectors import allergy_test_facts_list, products_needing_test
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import make_test
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def test_facts_say_pending_until_read(patient, nurse):
    make_test(patient, nurse, products=("lipostabil",))
    make_test(patient, nurse, products=("dermaheal-ll",), result="negative")
    facts = allergy_test_facts_list(patient=patient)
    by_product = {next(iter(f.products)): f for f in facts}
    assert by_product["lipostabil"].result == "pending"
    assert by_product["lipostabil"].read_at is None
    assert by_product["dermaheal-ll"].result == "negative"
    read = by_product["dermaheal-ll"]
    assert read.read_at is not None
    assert read.read_at - read.placed_at == dt.timedelta(hours=25)


def test_every_flagged_product_needs_a_test_under_the_default_policy(clinic, patient, nurse):
    make_test(patient, nurse, products=("dermaheal-ll",), result="negative")
    needed = products_needing_test(
        clinic=clinic, patient=patient, products=["dermaheal-ll", "lipostabil"]
    )
    assert needed == frozenset({"dermaheal-ll", "lipostabil"})


def test_new_ingredients_policy_leaves_out_products_already_covered(clinic, patient, nurse):
    clinic.allergy_test_policy = "new-ingredients"
    clinic.save()
    # Lipostabil brings phosphatidylcholine and deoxycholic acid; Kybella only the latter.
    make_test(patient, nurse, products=("lipostabil",), result="negative")
    needed = products_needing_test(
        clinic=clinic, patient=patient, products=["kybella", "dermaheal-ll"]
    )
    assert needed == frozenset({"dermaheal-ll"})


def test_a_test_read_too_early_does_not_cover_under_new_ingredients(clinic, patient, nurse):
    clinic.allergy_test_policy = "new-ingredients"
    clinic.save()
    make_test(
        patient,
        nurse,
        products=("lipostabil",),
        result="negative",
        read_after=dt.timedelta(hours=2),
    )
    needed = products_needing_test(clinic=clinic, patient=patient, products=["kybella"])
    assert needed == frozenset({"kybella"})


def test_a_catalog_exemption_is_honoured_and_a_clinic_may_tighten_it(clinic, patient, monkeypatch):
    import dataclasses

    from pistor.allergytests import selectors

    real = selectors.catalog_for_clinic

    def exempting(*, clinic):
        cat = real(clinic=clinic)
        products = dict(cat.products)
        products["restylane-vital"] = dataclasses.replace(
            products["restylane-vital"], allergy_test_required=False
        )
        return dataclasses.replace(cat, products=products)

    monkeypatch.setattr(selectors, "catalog_for_clinic", exempting)
    assert products_needing_test(clinic=clinic, patient=patient, products=["restylane-vital"]) == (
        frozenset()
    )
    clinic.allergy_test_also_required = ["restylane-vital"]
    clinic.save()
    assert products_needing_test(clinic=clinic, patient=patient, products=["restylane-vital"]) == (
        frozenset({"restylane-vital"})
    )


def test_queries_are_capped_whatever_the_history(clinic, patient, nurse):
    clinic.allergy_test_policy = "new-ingredients"
    clinic.save()

    def grow(n):
        for _ in range(n):
            make_test(patient, nurse, products=("lipostabil",), result="negative")

    assert_query_cap(
        lambda: allergy_test_facts_list(patient=patient), grow=grow, sizes=(3, 40), cap=1
    )
    assert_query_cap(
        lambda: products_needing_test(clinic=clinic, patient=patient, products=["kybella"]),
        grow=grow,
        sizes=(40, 80),
        cap=3,
    )
