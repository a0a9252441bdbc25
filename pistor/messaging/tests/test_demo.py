"""The demo shows reminders sent and a maintenance recall due, and loads only once."""

from __future__ import annotations

import pytest

from pistor.clinics.models import Clinic
from pistor.core import clock
from pistor.demo.services import demo_load
from pistor.messaging.constants import Kind, MessageStatus
from pistor.messaging.models import Message, MessagePreference
from pistor.messaging.selectors import course_due_list

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_recall_due_and_sent_messages_and_loading_again_adds_nothing():
    demo_load()
    harbour = Clinic.objects.get(slug="harbour-skin-clinic")
    due = course_due_list(clinic=harbour, now=clock.now())
    recall = next(d for d in due if d.patient.family_name == "Ellison")
    assert recall.kind == Kind.MAINTENANCE_RECALL and recall.number == 7
    assert recall.message is not None and recall.message.status == MessageStatus.SENT
    assert MessagePreference.objects.filter(clinic=harbour, marketing_opt_out=True).exists()
    count = Message.objects.count()
    demo_load()
    assert Message.objects.count() == count
