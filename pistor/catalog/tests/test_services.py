"""Clinic protocols and products: the same checks as the catalog, audited, all or nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pistor.audit.models import AuditEvent
from pistor.catalog import selectors
from pistor.catalog.models import ClinicProduct, ClinicProtocol
from pistor.catalog.services import (
    clinic_product_create,
    clinic_product_retire,
    clinic_protocol_create,
    clinic_protocol_retire,
    clinic_protocol_update,
)
from pistor.catalog.tests.factories import clinic_protocol_data
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Protocol
from pistor.core.errors import Conflict, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db

CATALOG = load_catalog()


def _data(**overrides):
    data = clinic_protocol_data(
        code="cellulite-fortnightly",
        name="Fortnightly cellulite course",
        description="Our usual course.",
        indications=[next(iter(CATALOG.indications))],
    )
    data.pop("maintenance")
    data.update(overrides)
    return data


def test_create_stores_the_definition_and_audits_it(clinic, manager):
    entry = clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    assert entry.catalog_version == CATALOG.version
    event = AuditEvent.objects.get(event_type="catalog.clinic_protocol.created")
    assert event.clinic_id == clinic.pk
    assert event.actor_id == manager.pk
    assert event.after is not None
    assert event.after["code"] == "cellulite-fortnightly"


def test_returned_protocol_is_the_clinical_dataclass(clinic, manager):
    clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    protocol = selectors.protocol_get(clinic=clinic, code="cellulite-fortnightly")
    assert isinstance(protocol, Protocol)
    assert protocol.phases[0].sessions_default == 6


@pytest.mark.parametrize(
    ("phase_change", "field"),
    [
        ({"sessions_min": 9}, "phases[0].sessions_min"),
        ({"interval_target_days": 30}, "phases[0].interval_target_days"),
        ({"sessions_default": 0}, "phases[0].sessions_default"),
    ],
)
def test_bad_phase_is_refused_naming_the_field(clinic, manager, phase_change, field):
    data = _data(phases=[{**_data()["phases"][0], **phase_change}])
    with pytest.raises(ValidationFailed) as caught:
        clinic_protocol_create(clinic=clinic, actor=manager, data=data)
    assert field in caught.value.fields
    assert not ClinicProtocol.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_indication_is_refused(clinic, manager):
    with pytest.raises(ValidationFailed) as caught:
        clinic_protocol_create(clinic=clinic, actor=manager, data=_data(indications=["nope"]))
    assert "indications[0]" in caught.value.fields


def test_code_of_a_built_in_protocol_is_refused(clinic, manager):
    with pytest.raises(ValidationFailed) as caught:
        clinic_protocol_create(
            clinic=clinic, actor=manager, data=_data(code=next(iter(CATALOG.protocols)))
        )
    assert "code" in caught.value.fields


def test_badly_shaped_code_is_refused(clinic, manager):
    with pytest.raises(ValidationFailed) as caught:
        clinic_protocol_create(clinic=clinic, actor=manager, data=_data(code="Not A Code"))
    assert "code" in caught.value.fields


def test_same_code_twice_in_one_clinic_is_refused_but_another_clinic_may_use_it(
    clinic, other_clinic, manager
):
    clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    with pytest.raises(ValidationFailed) as caught:
        clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    assert "code" in caught.value.fields
    clinic_protocol_create(clinic=other_clinic, actor=None, data=_data())
    assert ClinicProtocol.objects.count() == 2


def test_update_keeps_the_code_and_records_before_and_after(clinic, manager):
    entry = clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    updated = clinic_protocol_update(
        protocol=entry, actor=manager, data=_data(code="renamed", name="Renamed course")
    )
    assert updated.code == "cellulite-fortnightly"
    assert updated.name == "Renamed course"
    event = AuditEvent.objects.get(event_type="catalog.clinic_protocol.updated")
    assert event.before is not None and event.after is not None
    assert event.before["name"] == "Fortnightly cellulite course"
    assert event.after["name"] == "Renamed course"


def test_failed_update_changes_nothing(clinic, manager):
    entry = clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    bad = _data(phases=[{**_data()["phases"][0], "sessions_max": 1}])
    with pytest.raises(ValidationFailed):
        clinic_protocol_update(protocol=entry, actor=manager, data=bad)
    entry.refresh_from_db()
    assert entry.definition["phases"][0]["sessions_max"] == 8


def test_retired_protocol_leaves_lists_but_still_reads(clinic, manager):
    entry = clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    clinic_protocol_retire(protocol=entry, actor=manager)
    codes = {p.code for p in selectors.protocol_list(clinic=clinic)}
    assert "cellulite-fortnightly" not in codes
    assert selectors.protocol_get(clinic=clinic, code="cellulite-fortnightly").name
    with pytest.raises(Conflict):
        clinic_protocol_retire(protocol=entry, actor=manager)
    with pytest.raises(Conflict):
        clinic_protocol_update(protocol=entry, actor=manager, data=_data())


def test_another_clinics_protocol_is_not_found(clinic, other_clinic, manager):
    clinic_protocol_create(clinic=clinic, actor=manager, data=_data())
    with pytest.raises(NotFound):
        selectors.protocol_get(clinic=other_clinic, code="cellulite-fortnightly")
    assert "cellulite-fortnightly" not in {
        p.code for p in selectors.protocol_list(clinic=other_clinic)
    }


def test_protocol_list_makes_one_query_however_many_entries(clinic, manager):
    for index in range(5):
        clinic_protocol_create(clinic=clinic, actor=manager, data=_data(code=f"course-{index}"))
    with CaptureQueriesContext(connection) as queries:
        items = selectors.protocol_list(clinic=clinic)
    assert len(queries) == 1
    assert len(items) == len(CATALOG.protocols) + 5


def test_product_with_unknown_ingredient_is_refused(clinic, manager):
    data = {
        "code": "house-mix",
        "name": "House mix",
        "manufacturer": "Harbour Pharmacy",
        "description": "A mix.",
        "form": "solution",
        "composition": [{"ingredient": "unobtainium"}],
    }
    with pytest.raises(ValidationFailed) as caught:
        clinic_product_create(clinic=clinic, actor=manager, data=data)
    assert "composition[0].ingredient" in caught.value.fields
    assert not ClinicProduct.objects.exists()


def test_product_create_and_retire_are_audited(clinic, manager):
    ingredient = next(iter(CATALOG.ingredients))
    data = {
        "code": "house-mix",
        "name": "House mix",
        "manufacturer": "Harbour Pharmacy",
        "description": "A mix.",
        "form": "solution",
        "composition": [{"ingredient": ingredient, "concentration": "2 mg/mL"}],
    }
    entry = clinic_product_create(clinic=clinic, actor=manager, data=data)
    product = selectors.product_get(clinic=clinic, code="house-mix")
    assert str(product.composition[0].concentration) == "2 mg/mL"
    clinic_product_retire(product=entry, actor=manager)
    assert list(
        AuditEvent.objects.filter(subject_type="clinic_product").values_list(
            "event_type", flat=True
        )
    ) == ["catalog.clinic_product.created", "catalog.clinic_product.retired"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval_max_days": 10**18}, "phases[0].interval_max_days"),
        ({"sessions_max": 10**6}, "phases[0].sessions_max"),
    ],
)
def test_a_protocol_out_of_clinical_bounds_is_refused_before_it_is_stored(
    clinic, manager, change, field
):
    data = _data()
    data["phases"][0].update(change)
    with pytest.raises(ValidationFailed) as refused:
        clinic_protocol_create(clinic=clinic, actor=manager, data=data)
    assert field in refused.value.fields
    assert not ClinicProtocol.objects.exists()


def test_a_maintenance_interval_of_a_billion_years_is_refused(clinic, manager):
    data = _data(
        maintenance={
            "interval_min_days": 100,
            "interval_target_days": 120,
            "interval_max_days": 10**18,
        }
    )
    with pytest.raises(ValidationFailed) as refused:
        clinic_protocol_create(clinic=clinic, actor=manager, data=data)
    assert "maintenance.interval_max_days" in refused.value.fields
