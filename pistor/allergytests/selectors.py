"""Reads of allergy tests, the gate's facts about them, and which products need one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pistor.allergytests.constants import PENDING, Result
from pistor.allergytests.models import AllergyTest, AllergyTestReading
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.catalog.types import Catalog
from pistor.clinical.gates import MIN_READ_HOURS, AllergyTestFacts
from pistor.clinics.models import AllergyTestPolicy, Clinic
from pistor.core.errors import NotFound
from pistor.patients.models import Patient
from pistor.records.selectors import record_addenda_map

HISTORY_LIMIT = 50


def allergy_test_list(*, patient: Patient, limit: int = HISTORY_LIMIT) -> list[AllergyTest]:
    """The patient's tests, newest first, each with its reading, who did it, and the
    reading's addenda as ``reading_addenda`` (two queries, whatever the history)."""
    tests = list(
        AllergyTest.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .select_related("reading", "reading__read_by", "placed_by")
        .order_by("-placed_at", "-pk")[:limit]
    )
    readings = [t.reading for t in tests if _has_reading(t)]
    addenda = (
        record_addenda_map(
            clinic_id=patient.clinic_id,
            record_type=AllergyTestReading._meta.label_lower,
            record_ids=[r.pk for r in readings],
        )
        if readings
        else {}
    )
    for test in tests:
        test.reading_addenda = addenda.get(test.reading.pk, []) if _has_reading(test) else []  # type: ignore[attr-defined]
    return tests


def _has_reading(test: AllergyTest) -> bool:
    return getattr(test, "reading", None) is not None


def allergy_test_get(*, clinic: Clinic, patient: Patient, pk: object) -> AllergyTest:
    try:
        key = int(str(pk))
    except ValueError:
        key = 0
    test = (
        AllergyTest.objects.for_clinic(clinic)
        .filter(patient=patient, pk=key)
        .select_related("reading", "reading__read_by", "placed_by")
        .first()
    )
    if test is None:
        raise NotFound("No such allergy test for this patient.")
    return test


def _result(test: AllergyTest) -> str:
    return str(test.reading.result) if _has_reading(test) else PENDING


def allergy_test_facts_list(*, patient: Patient) -> list[AllergyTestFacts]:
    """Every test of the patient as the gate reads them (one query, whatever the history)."""
    tests = (
        AllergyTest.objects.for_clinic(patient.clinic_id)
        .filter(patient=patient)
        .select_related("reading")
        .order_by("placed_at", "pk")
    )
    facts = []
    for test in tests:
        reading = getattr(test, "reading", None)
        facts.append(
            AllergyTestFacts(
                products=frozenset(test.products),
                placed_at=test.placed_at,
                read_at=reading.read_at if reading is not None else None,
                result=_result(test),
            )
        )
    return facts


def product_ingredients(catalog: Catalog, code: str) -> frozenset[str]:
    """The ingredient codes a product (or an ingredient given on its own) brings."""
    product = catalog.products.get(code)
    if product is None:
        return frozenset({code})
    return frozenset(c.ingredient for c in product.composition)


def test_required_by_data(catalog: Catalog, clinic: Clinic, code: str) -> bool:
    """The catalog's flag, tightened (never loosened) by the clinic's own list."""
    if code in (clinic.allergy_test_also_required or []):
        return True
    product = catalog.products.get(code)
    # An ingredient on its own, or a code the catalog does not know: test it.
    return True if product is None else product.allergy_test_required


def products_needing_test(
    *, clinic: Clinic, patient: Patient, products: Sequence[str]
) -> frozenset[str]:
    """Which of ``products`` the gate must see a negative, in-time test for (three queries).

    A product needs a test when the catalog flags it (every product unless its label
    exempts it) or the clinic added it. Under the clinic's "every new patient" policy that
    is every such product: each needs its own negative test on this patient. Under "new
    ingredients only", a product whose ingredients have all already tested negative on
    this patient (read at least the clinic's observation window after placing, through any
    product) is left out.
    """
    catalog = catalog_for_clinic(clinic=clinic)
    flagged = [p for p in dict.fromkeys(products) if test_required_by_data(catalog, clinic, p)]
    if clinic.allergy_test_policy != AllergyTestPolicy.NEW_INGREDIENTS:
        return frozenset(flagged)
    window = timedelta(hours=max(MIN_READ_HOURS, clinic.allergy_test_min_read_hours))
    tested: set[str] = set()
    for fact in allergy_test_facts_list(patient=patient):
        if (
            fact.result == Result.NEGATIVE
            and fact.read_at is not None
            and fact.read_at - fact.placed_at >= window
        ):
            for code in fact.products:
                tested |= product_ingredients(catalog, code)
    return frozenset(p for p in flagged if not product_ingredients(catalog, p) <= tested)
