from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.audit.selectors import audit_event_list
from pistor.audit.services import audit_record

pytestmark = pytest.mark.django_db


def event(clinic, actor, event_type="patient.updated", subject_id=1, **kwargs):
    return audit_record(
        clinic=clinic,
        actor=actor,
        event_type=event_type,
        subject_type=kwargs.pop("subject_type", "patient"),
        subject_id=subject_id,
        before=kwargs.pop("before", {"phone": "07700 900000"}),
        after=kwargs.pop("after", {"phone": "07700 900111"}),
    )


@pytest.fixture
def manager_client(client, manager):
    return signed_in_client(client, manager)


def test_manager_sees_only_their_clinics_events(manager_client, clinic, other_clinic, manager):
    mine = event(clinic, manager, "patient.created", subject_id=11)
    theirs = event(other_clinic, None, "patient.archived", subject_id=22)

    response = manager_client.get(reverse("audit:list"))

    assert response.status_code == 200
    shown = [e.pk for e in response.context["events"]]
    assert shown == [mine.pk]
    html = response.content.decode()
    assert "patient.created" in html
    assert "patient.archived" not in html
    assert manager_client.get(reverse("audit:detail", args=[theirs.pk])).status_code == 404
    assert manager_client.get("/audit/99999999999999999999999/").status_code == 404


@pytest.mark.parametrize("role_fixture", ["receptionist", "nurse", "practitioner"])
def test_staff_other_than_managers_are_refused(client, clinic, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    mine = event(clinic, user)
    signed_in_client(client, user)
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:detail", args=[mine.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_event_page_shows_before_and_after(manager_client, clinic, manager):
    ev = event(
        clinic,
        manager,
        before={"phone": "07700 900000", "gp_name": ""},
        after={"phone": "07700 900111", "gp_name": "Dr Ward"},
    )
    response = manager_client.get(reverse("audit:detail", args=[ev.pk]))
    assert response.status_code == 200
    assert sorted(response.context["changes"]) == [
        ("gp_name", "", "Dr Ward"),
        ("phone", "07700 900000", "07700 900111"),
    ]
    html = response.content.decode()
    assert "07700 900000" in html
    assert "Dr Ward" in html
    list_html = manager_client.get(reverse("audit:list")).content.decode()
    assert reverse("audit:detail", args=[ev.pk]) in list_html


def test_filters_by_event_type_actor_and_subject(manager_client, clinic, manager, nurse):
    a = event(clinic, manager, "patient.created", subject_id=1)
    b = event(clinic, nurse, "patient.updated", subject_id=1)
    c = event(clinic, nurse, "patient.updated", subject_id=2)
    d = event(clinic, None, "catalog.updated", subject_type="protocol", subject_id=1)

    def shown(**params):
        response = manager_client.get(reverse("audit:list"), params)
        assert response.status_code == 200
        return [e.pk for e in response.context["events"]]

    assert shown() == [d.pk, c.pk, b.pk, a.pk]
    assert shown(event_type="patient.updated") == [c.pk, b.pk]
    assert shown(actor=nurse.pk) == [c.pk, b.pk]
    assert shown(subject_type="patient", subject_id="1") == [b.pk, a.pk]
    assert shown(subject_type="protocol") == [d.pk]
    assert shown(event_type="patient.updated", actor=nurse.pk, subject_id="2") == [c.pk]


def test_filters_by_date_in_the_clinics_time_zone(manager_client, clinic, manager):
    early = event(clinic, manager, subject_id=1)
    late = event(clinic, manager, subject_id=2)
    # 23:30 on 1 June in London is 22:30 UTC: it belongs to 1 June for the clinic.
    AuditEvent.objects.filter(pk=early.pk).update(
        occurred_at=dt.datetime(2025, 6, 1, 22, 30, tzinfo=dt.UTC)
    )
    AuditEvent.objects.filter(pk=late.pk).update(
        occurred_at=dt.datetime(2025, 6, 1, 23, 30, tzinfo=dt.UTC)
    )

    def shown(**params):
        return [e.pk for e in manager_client.get(reverse("audit:list"), params).context["events"]]

    assert shown(date_from="2025-06-01", date_to="2025-06-01") == [early.pk]
    assert shown(date_from="02/06/2025") == [late.pk]
    assert shown(date_to="2025-05-31") == []


def test_a_bad_filter_is_explained_not_a_crash(manager_client, clinic, manager):
    event(clinic, manager)
    response = manager_client.get(
        reverse("audit:list"), {"date_from": "2025-06-02", "date_to": "2025-06-01"}
    )
    assert response.status_code == 200
    assert "before the start date" in response.content.decode()
    response = manager_client.get(reverse("audit:list"), {"date_from": "yesterday"})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors


def test_the_list_is_paginated(manager_client, clinic, manager):
    for i in range(60):
        event(clinic, manager, subject_id=i)
    first = manager_client.get(reverse("audit:list"))
    assert len(first.context["events"]) == 50
    assert first.context["next_url"] == "?page=2"
    second = manager_client.get(reverse("audit:list"), {"page": 2})
    assert len(second.context["events"]) == 10
    assert second.context["events"][-1].sequence == 1


@pytest.mark.parametrize("count", [10, 300])
def test_list_page_runs_a_bounded_number_of_queries(
    manager_client, clinic, manager, nurse, django_assert_max_num_queries, count
):
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            clinic=clinic,
            sequence=i + 1,
            actor=manager if i % 2 else nurse,
            actor_label="x",
            event_type="patient.viewed",
            subject_type="patient",
            subject_id=str(i),
            occurred_at=now,
            previous_hash="0" * 64,
            hash="0" * 64,
        )
        for i in range(count)
    )
    manager_client.get(reverse("audit:list"))
    with django_assert_max_num_queries(14):
        response = manager_client.get(reverse("audit:list"), {"event_type": "patient.viewed"})
    assert len(response.context["events"]) == min(count, 50)


def test_selector_never_returns_another_clinics_events(clinic, other_clinic, manager):
    event(other_clinic, None)
    assert audit_event_list(clinic=clinic) == ([], 0)
