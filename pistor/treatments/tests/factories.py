"""A patient ready for a session (intake, allergy test, consent, plan, stock), for tests."""

from __future__ import annotations

from pistor.consents.tests.factories import signed_consent
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory
from pistor.plans.selectors import plan_get
from pistor.plans.tests.factories import rejuvenation_plan
from pistor.testing.pathway import make_intake, make_test


def stock(clinic, code="nctf-135ha", *, lot="NC1", days=200, ml="50"):
    """A batch of a catalog product in the clinic's stock (the product made if needed)."""
    from pistor.inventory.models import StockProduct

    prod = StockProduct.objects.for_clinic(clinic).filter(code=code).first() or product(
        clinic, code=code, name=code
    )
    return batch(clinic, prod, lot=lot, days=days, ml=ml)


def ready_plan(*, clinic, by, patient=None, consent=True, test=True, with_stock=True):
    """Skin rejuvenation with NCTF: intake, negative test, consent and stock as asked."""
    patient = patient or PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")
    make_intake(patient)
    if test:
        make_test(patient, by, products=("nctf-135ha",), result="negative")
    if consent:
        signed_consent(clinic=clinic, patient=patient, by=by)
    if with_stock:
        stock(clinic)
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=by)
    plan = plan_get(clinic_id=clinic.pk, pk=plan.pk)
    plan.patient = patient
    return plan
