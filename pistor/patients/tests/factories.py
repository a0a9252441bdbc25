"""Patients for tests. Built directly (not via the service) so tests can set any state."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from pistor.patients.models import Patient
from pistor.patients.services import refresh_search_text
from pistor.testing.factories import ClinicFactory


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    record_number = factory.Sequence(lambda n: f"T-{n:06d}")
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = dt.date(1985, 3, 2)
    sex = "female"
    phone = "07700 900123"
    email = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        patient = model_class(*args, **kwargs)
        refresh_search_text(patient)
        patient.save()
        return patient


# Record numbers stay unique when one test calls build_patients more than once.
_serial = itertools.count(1)


def build_patients(clinic, count: int, **overrides) -> list[Patient]:
    """``count`` patients in one bulk insert, search column filled in."""
    rows = []
    for i in range(count):
        patient = Patient(
            clinic=clinic,
            record_number=f"B-{next(_serial):07d}",
            given_name=f"Given{i}",
            family_name=f"Family{i:04d}",
            date_of_birth=dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            sex="female" if i % 2 else "male",
            phone=f"07700 {i:06d}",
            **overrides,
        )
        refresh_search_text(patient)
        rows.append(patient)
    return Patient.objects.bulk_create(rows, batch_size=1000)
