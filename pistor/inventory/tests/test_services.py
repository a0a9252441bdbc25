from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pistor.audit.models import AuditEvent
from pistor.clinical.units import Quantity
from pistor.core.errors import Conflict, NotFound, ValidationFailed
from pistor.inventory import selectors, services
from pistor.inventory.models import Administration, Batch, Movement
from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def ml(v):
    return Quantity.of(v, "mL")


def use(clinic, patient, code, qty, **kw):
    kw.setdefault("occasion", "allergy_test")
    return services.stock_use(
        clinic=clinic, actor=None, patient=patient, product_code=code, quantity=qty, **kw
    )


def _nothing_written(b: Batch, on_hand: str, movements: int = 1):
    b.refresh_from_db()
    assert b.quantity_on_hand == Decimal(on_hand)
    assert Movement.objects.filter(batch=b).count() == movements
    assert Administration.objects.filter(batch=b).count() == movements - 1


def test_a_catalog_product_takes_its_maker_and_composition_from_the_catalog(clinic):
    p = services.product_create(clinic=clinic, actor=None, code="kybella")
    assert p.manufacturer.startswith("Allergan")
    assert p.composition == [{"ingredient": "deoxycholic-acid", "concentration": "10 mg/mL"}]
    assert p.unit_volume_ml == Decimal("2")
    assert AuditEvent.objects.filter(event_type="inventory.product_created").count() == 1


def test_an_unknown_ingredient_in_the_composition_is_refused(clinic):
    with pytest.raises(ValidationFailed) as err:
        product(clinic, composition=[{"ingredient": "unicorn-dust"}])
    assert "composition" in err.value.fields


def test_goods_in_records_stock_and_a_received_movement(clinic, manager):
    p = product(clinic)
    b = batch(clinic, p, ml="20", supplier="Acme")
    assert b.quantity_on_hand == Decimal("20")
    [m] = Movement.objects.filter(batch=b)
    assert (m.kind, m.quantity, m.balance_after) == ("received", Decimal("20"), Decimal("20"))


def test_goods_in_refuses_an_expiry_in_the_past(clinic):
    p = product(clinic)
    with pytest.raises(ValidationFailed) as err:
        batch(clinic, p, days=-1)
    assert "expired" in err.value.fields["expires_on"][0]
    assert not Batch.objects.exists()


def test_goods_in_refuses_a_lot_already_received_for_the_product(clinic):
    p = product(clinic)
    batch(clinic, p, lot="AB12")
    with pytest.raises(ValidationFailed) as err:
        batch(clinic, p, lot="ab12")
    assert "already" in err.value.message
    assert Batch.objects.count() == 1


def test_goods_in_refuses_a_quantity_in_the_wrong_unit(clinic):
    p = product(clinic)
    with pytest.raises(ValidationFailed) as err:
        services.batch_receive(
            clinic=clinic, actor=None, product_code=p.code, lot="X",
            expires_on=timezone.localdate() + dt.timedelta(days=9),
            quantity=Quantity.of(5, "mg"),
        )  # fmt: skip
    assert "mL" in err.value.message
    assert not Batch.objects.exists()


def test_use_picks_the_batch_that_expires_first(clinic):
    p = product(clinic)
    batch(clinic, p, lot="LATE", days=300)
    near = batch(clinic, p, lot="NEAR", days=40)
    patient = PatientFactory.create(clinic=clinic)
    given = use(clinic, patient, p.code, ml("1.5"), occasion_ref="AT-1")
    assert given.batch == near
    near.refresh_from_db()
    assert near.quantity_on_hand == Decimal("8.5")
    assert given.movement.kind == "used_allergy_test"
    assert [b.lot for b in selectors.batch_choices(clinic=clinic, product_code=p.code)] == [
        "NEAR",
        "LATE",
    ]


def test_fefo_skips_expired_and_recalled_batches(clinic):
    p = product(clinic)
    old = batch(clinic, p, lot="OLD", days=1)
    Batch.objects.filter(pk=old.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    bad = batch(clinic, p, lot="BAD", days=10)
    services.batch_recall(clinic=clinic, actor=None, batch=bad, reason="Sterility")
    good = batch(clinic, p, lot="GOOD", days=100)
    patient = PatientFactory.create(clinic=clinic)
    assert use(clinic, patient, p.code, ml(1)).batch == good
    assert [b.lot for b in selectors.batch_choices(clinic=clinic, product_code=p.code)] == ["GOOD"]


def test_use_of_an_expired_batch_is_refused_and_nothing_is_written(clinic):
    p = product(clinic)
    b = batch(clinic, p, days=1)
    Batch.objects.filter(pk=b.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(Conflict, match="expired"):
        use(clinic, PatientFactory.create(clinic=clinic), p.code, ml(1), batch=b)
    _nothing_written(b, "10")


def test_use_of_a_recalled_batch_is_refused(clinic):
    p = product(clinic)
    b = batch(clinic, p)
    services.batch_recall(clinic=clinic, actor=None, batch=b, reason="Particles", reference="R-1")
    with pytest.raises(Conflict, match="recalled"):
        use(clinic, PatientFactory.create(clinic=clinic), p.code, ml(1), batch=b)
    _nothing_written(b, "10")


def test_use_beyond_stock_is_refused(clinic):
    p = product(clinic)
    b = batch(clinic, p, ml="2")
    with pytest.raises(Conflict, match="Not enough"):
        use(clinic, PatientFactory.create(clinic=clinic), p.code, ml("2.5"), batch=b)
    with pytest.raises(Conflict, match="Not enough"):
        use(clinic, PatientFactory.create(clinic=clinic), p.code, ml("2.5"))
    _nothing_written(b, "2")


def test_use_in_the_wrong_unit_is_refused_and_microlitres_convert(clinic):
    p = product(clinic)
    b = batch(clinic, p)
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(ValidationFailed) as err:
        use(clinic, patient, p.code, Quantity.of(10, "mg"))
    assert "quantity" in err.value.fields
    _nothing_written(b, "10")
    use(clinic, patient, p.code, Quantity.of(250, "uL"))
    b.refresh_from_db()
    assert b.quantity_on_hand == Decimal("9.75")


def test_another_clinics_patient_is_not_found(clinic, other_clinic):
    p = product(clinic)
    batch(clinic, p)
    with pytest.raises(NotFound):
        use(clinic, PatientFactory.create(clinic=other_clinic), p.code, ml(1))


def test_an_opened_vial_expires_at_its_in_use_limit_and_is_then_refused(clinic):
    p = product(clinic, code="multi", multi_dose=True, in_use_hours=8, unit_volume_ml=10)
    b = batch(clinic, p, ml="30")
    opened = timezone.now() - dt.timedelta(hours=9)
    vial = services.container_open(clinic=clinic, actor=None, batch=b, at=opened)
    assert vial.expires_at == opened + dt.timedelta(hours=8)
    patient = PatientFactory.create(clinic=clinic)
    ok = use(clinic, patient, p.code, ml(1), container=vial, at=opened + dt.timedelta(hours=1))
    assert ok.container == vial
    with pytest.raises(Conflict, match="in-use limit"):
        use(clinic, patient, p.code, ml(1), container=vial)
    _nothing_written(b, "29", movements=2)


def test_an_opened_vial_never_outlives_its_batch(clinic):
    p = product(clinic, code="multi", multi_dose=True, in_use_hours=24 * 28, unit_volume_ml=10)
    b = batch(clinic, p, days=3)
    vial = services.container_open(clinic=clinic, actor=None, batch=b)
    assert timezone.localtime(vial.expires_at).date() == b.expires_on


def test_multi_dose_use_without_a_vial_draws_from_the_opened_one(clinic):
    p = product(clinic, code="multi", multi_dose=True, in_use_hours=8, unit_volume_ml=10)
    b = batch(clinic, p, ml="30")
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(Conflict, match="open a new vial"):
        use(clinic, patient, p.code, ml(1))
    vial = services.container_open(clinic=clinic, actor=None, batch=b)
    given = use(clinic, patient, p.code, ml(1))
    assert given.container == vial
    vial.refresh_from_db()
    assert vial.quantity_remaining == Decimal("9")
    assert [a.patient for a in selectors.trace_container(clinic=clinic, container=vial)] == [
        patient
    ]


def test_a_stock_count_reconciles_with_the_movements(clinic):
    p = product(clinic)
    b = batch(clinic, p, ml="10")
    use(clinic, PatientFactory.create(clinic=clinic), p.code, ml(2))
    services.movement_record(
        clinic=clinic, actor=None, batch=b, kind="wasted", quantity=ml(1), reason="Dropped"
    )
    services.stock_count(clinic=clinic, actor=None, batch=b, counted=ml("6.5"), reason="Monthly")
    b.refresh_from_db()
    total = sum(m.quantity for m in Movement.objects.filter(batch=b))
    assert b.quantity_on_hand == total == Decimal("6.5")
    assert Movement.objects.get(batch=b, kind="counted").quantity == Decimal("-0.5")


def test_waste_beyond_stock_is_refused(clinic):
    p = product(clinic)
    b = batch(clinic, p, ml="1")
    with pytest.raises(Conflict):
        services.movement_record(
            clinic=clinic, actor=None, batch=b, kind="wasted", quantity=ml(2), reason="x"
        )
    _nothing_written(b, "1")


def test_trace_lists_who_received_the_batch_and_the_patient_sees_the_recall(clinic):
    p = product(clinic)
    b = batch(clinic, p)
    alice, bob = PatientFactory.create(clinic=clinic), PatientFactory.create(clinic=clinic)
    use(clinic, alice, p.code, ml(1))
    use(clinic, bob, p.code, ml(2))
    assert [a.patient for a in selectors.trace_batch(clinic=clinic, batch=b)] == [alice, bob]
    assert selectors.patient_recall_notices(clinic=clinic, patient_id=alice.pk) == []
    services.batch_recall(clinic=clinic, actor=None, batch=b, reason="Contamination")
    assert selectors.patient_recall_notices(clinic=clinic, patient_id=alice.pk) == [b]


def test_batch_facts_leave_recalled_batches_out(clinic):
    p = product(clinic)
    b = batch(clinic, p, lot="A")
    batch(clinic, p, lot="B")
    services.batch_recall(clinic=clinic, actor=None, batch=b, reason="x")
    facts = selectors.batch_facts_list(clinic=clinic, product_codes=[p.code])
    assert [f.lot for f in facts] == ["B"]
    assert facts[0].quantity_in_stock == Decimal("10")


def test_a_fridge_excursion_flags_the_batches_stored_there(clinic):
    fridge = services.fridge_create(clinic=clinic, actor=None, name="Fridge 1")
    p = product(clinic)
    cold = batch(clinic, p, lot="C", fridge=fridge)
    other = batch(clinic, p, lot="D")
    r = services.fridge_reading_record(
        clinic=clinic, actor=None, fridge=fridge, celsius=Decimal("5")
    )
    assert not r.excursion
    r = services.fridge_reading_record(
        clinic=clinic, actor=None, fridge=fridge, celsius=Decimal("11.5")
    )
    assert r.excursion
    cold.refresh_from_db()
    other.refresh_from_db()
    assert "11.5" in cold.cold_chain_flag and other.cold_chain_flag == ""
    assert selectors.alerts_get(clinic=clinic).cold_chain == [cold]


def test_alerts_name_low_stock_expiring_batches_and_vials_near_their_limit(clinic):
    p = product(clinic, reorder_level=Decimal("15"))
    soon = batch(clinic, p, lot="SOON", days=5)
    batch(clinic, p, lot="LATER", days=300, ml="1")
    m = product(clinic, code="multi", multi_dose=True, in_use_hours=1, unit_volume_ml=10)
    vial = services.container_open(clinic=clinic, actor=None, batch=batch(clinic, m, lot="M"))
    found = selectors.alerts_get(clinic=clinic)
    assert found.low_stock == [p]
    assert found.expiring == [soon]
    assert found.containers == [vial]
