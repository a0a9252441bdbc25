from __future__ import annotations

import pytest

from pistor.clinics.models import Clinic
from pistor.demo.data import HARBOUR
from pistor.demo.services import demo_load
from pistor.inventory import selectors
from pistor.inventory.models import Batch, TemperatureReading

pytestmark = pytest.mark.django_db


def test_the_demo_stock_shows_each_thing_the_stock_room_does_and_loads_once():
    demo_load()
    clinic = Clinic.objects.get(slug=HARBOUR)
    recalled = Batch.objects.for_clinic(clinic).get(recalled_at__isnull=False)
    assert len({a.patient_id for a in selectors.trace_batch(clinic=clinic, batch=recalled)}) == 3
    alerts = selectors.alerts_get(clinic=clinic)
    assert [b.lot for b in alerts.expiring] == ["NC24A117"]
    assert alerts.cold_chain
    assert len(selectors.container_list(clinic=clinic)) == 1
    assert TemperatureReading.objects.filter(excursion=True).count() == 1
    count = Batch.objects.count()
    assert demo_load().created == 0
    assert Batch.objects.count() == count
