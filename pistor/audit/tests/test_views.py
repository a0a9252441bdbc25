from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.audit.events import VIEW_EVENTS, AuditEventType
from pistor.audit.models import AuditEvent
from pistor.audit.selectors import audit_event_list, audit_subject_names
from pistor.audit.services import audit_record
from pistor.audit.tests.conftest import intruder
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.queries import assert_query_cap

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
    table = html[html.index('id="audit-table"') :]
    assert "Patient registered" in table
    assert "Record archived" not in table
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
    d = event(clinic, None, "clinic.created", subject_type="protocol", subject_id=1)

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
    with intruder():  # back-dating events takes switching the append-only guard off
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


def test_the_list_is_paginated_by_keyset(manager_client, clinic, manager):
    events = [event(clinic, manager, subject_id=i) for i in range(60)]
    first = manager_client.get(reverse("audit:list"))
    assert len(first.context["events"]) == 50
    oldest_shown = first.context["events"][-1].pk
    assert first.context["next_url"] == f"?older_than={oldest_shown}"
    second = manager_client.get(reverse("audit:list"), {"older_than": oldest_shown})
    assert [e.pk for e in second.context["events"]] == [e.pk for e in reversed(events[:10])]
    assert second.context["next_url"] is None
    assert "Newest" in second.content.decode()


def test_no_count_and_no_distinct_over_the_trail(manager_client, clinic, manager):
    event(clinic, manager)
    from pistor.testing.queries import count_queries

    _, statements, response = count_queries(lambda: manager_client.get(reverse("audit:list")))
    assert response.status_code == 200
    audit_sql = [s for s in statements if "audit_auditevent" in s]
    assert len(audit_sql) == 1
    assert "COUNT(" not in audit_sql[0].upper() and "DISTINCT" not in audit_sql[0].upper()


def test_the_event_filter_offers_the_fixed_list(manager_client):
    response = manager_client.get(reverse("audit:list"))
    choices = dict(response.context["form"].fields["event_type"].choices)
    assert choices["patient.viewed"] == "Record opened"
    assert set(AuditEventType.values) <= set(choices)
    response = manager_client.get(reverse("audit:list"), {"event_type": "nonsense"})
    assert response.status_code == 200
    assert "event_type" in response.context["form"].errors


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "9999-12-31"},
        {"date_to": "9999-12-31"},
        {"date_from": "9999-12-30", "date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "0001-01-01"},
        {"date_from": "10000-01-01"},
        {"older_than": "99999999999999999999999"},
        {"older_than": "-3"},
    ],
)
def test_dates_at_the_edge_of_the_calendar_never_crash(manager_client, clinic, manager, params):
    event(clinic, manager)
    response = manager_client.get(reverse("audit:list"), params)
    assert response.status_code == 200


def test_year_9999_bounds_give_empty_or_everything(clinic, manager):
    mine = event(clinic, manager)
    far = dt.date(9999, 12, 31)
    assert audit_event_list(clinic=clinic, date_from=far).events == []
    assert [e.pk for e in audit_event_list(clinic=clinic, date_to=far).events] == [mine.pk]
    assert audit_event_list(clinic=clinic, date_to=dt.date(1, 1, 1)).events == []


def test_subjects_are_named_and_views_are_not_offered_as_changes(manager_client, clinic, manager):
    patient = PatientFactory.create(clinic=clinic, given_name="Zoë", family_name="O'Brien")
    opened = audit_record(
        clinic=clinic,
        actor=manager,
        event_type=AuditEventType.PATIENT_VIEWED,
        subject_type="patient",
        subject_id=patient.pk,
        after={"action": "patient.view"},
    )
    changed = event(clinic, manager, subject_id=patient.pk)
    response = manager_client.get(reverse("audit:list"))
    rows = {row["event"].pk: row for row in response.context["rows"]}
    assert rows[opened.pk]["label"] == "Record opened"
    assert rows[opened.pk]["has_changes"] is False
    assert rows[changed.pk]["has_changes"] is True
    assert rows[changed.pk]["subject"] == f"{patient.record_number} · Zoë O'Brien"
    html = response.content.decode()
    assert ">View<" in html and ">View changes<" in html
    assert "O&#x27;Brien" in html
    assert "no-store" in response["Cache-Control"]
    detail = manager_client.get(reverse("audit:detail", args=[opened.pk]))
    assert "Record opened" in detail.content.decode()


def test_patient_names_only_for_roles_that_may_open_records(clinic, manager):
    patient = PatientFactory.create(clinic=clinic)
    ev = event(clinic, manager, subject_id=patient.pk)
    hidden = audit_subject_names(clinic=clinic, events=[ev], show_patient_names=False)
    assert hidden[("patient", str(patient.pk))] == str(patient.record_number)


def test_filter_by_record_number(manager_client, clinic, other_clinic, manager):
    patient = PatientFactory.create(clinic=clinic)
    elsewhere = PatientFactory.create(clinic=other_clinic)
    mine = event(clinic, manager, subject_id=patient.pk)
    event(clinic, manager, subject_id=patient.pk + 1000)

    def shown(record):
        response = manager_client.get(reverse("audit:list"), {"record": record})
        assert response.status_code == 200
        return response, [e.pk for e in response.context["events"]]

    assert shown(patient.record_number)[1] == [mine.pk]
    response, pks = shown(elsewhere.record_number)
    if elsewhere.record_number != patient.record_number:
        assert pks == []
        assert "No patient of this clinic" in response.content.decode()


def test_list_page_query_count_is_capped_and_flat(manager_client, clinic, manager, nurse):
    now = timezone.now()

    def grow(n):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                clinic=clinic,
                actor=manager if i % 2 else nurse,
                actor_label="x",
                event_type="patient.viewed",
                subject_type="patient",
                subject_id=str(i),
                occurred_at=now,
            )
            for i in range(n)
        )

    assert_query_cap(
        lambda: manager_client.get(reverse("audit:list"), {"event_type": "patient.viewed"}),
        grow=grow,
        sizes=(10, 500),
        cap=14,
        check=lambda r: r.status_code == 200,
    )


def test_selector_never_returns_another_clinics_events(clinic, other_clinic, manager):
    event(other_clinic, None)
    assert audit_event_list(clinic=clinic).events == []


def test_a_date_range_pages_by_time_then_id(clinic, manager):
    events = [event(clinic, manager, subject_id=i) for i in range(7)]
    today = timezone.localdate()
    first = audit_event_list(clinic=clinic, date_from=today, date_to=today, limit=3)
    assert [e.pk for e in first.events] == [e.pk for e in reversed(events[4:])]
    second = audit_event_list(
        clinic=clinic, date_from=today, date_to=today, limit=3, older_than=first.older_than
    )
    third = audit_event_list(
        clinic=clinic, date_from=today, date_to=today, limit=3, older_than=second.older_than
    )
    assert [e.pk for e in second.events + third.events] == [e.pk for e in reversed(events[:4])]
    assert third.older_than is None
    assert audit_event_list(clinic=clinic, date_from=today, older_than=10**12).events == []


def test_a_view_event_page_shows_no_changes(manager_client, clinic, manager):
    opened = audit_record(
        clinic=clinic,
        actor=manager,
        event_type=AuditEventType.PATIENT_VIEWED,
        subject_type="patient",
        subject_id=1,
        after={"action": "patient.view"},
    )
    response = manager_client.get(reverse("audit:detail", args=[opened.pk]))
    assert response.context["changes"] == []
    assert "opened the record" in response.content.decode()


def test_every_view_event_is_offered_as_a_view_and_shows_what_it_names(
    manager_client, clinic, manager
):
    # A look records no change: the trail says "View" and the detail lists what the look
    # named (the photographs shown and their size, the search's words) as such.
    for event_type in VIEW_EVENTS:
        looked = event(
            clinic,
            manager,
            event_type=event_type,
            before=None,
            after={"photos": [7, 9], "query": "o'brien"},
        )
        rows = {
            row["event"].pk: row
            for row in manager_client.get(reverse("audit:list")).context["rows"]
        }
        assert rows[looked.pk]["has_changes"] is False, event_type
        detail = manager_client.get(reverse("audit:detail", args=[looked.pk]))
        assert detail.context["changes"] == [], event_type
        # PostgreSQL's jsonb keeps its own key order, so compared as a mapping.
        assert dict(detail.context["details"]) == {"photos": [7, 9], "query": "o'brien"}
        html = detail.content.decode()
        assert 'id="audit-details"' in html and "[7, 9]" in html and "o&#x27;brien" in html
        assert "not a change of values" in html
    changed = event(clinic, manager, before={"phone": "1"}, after={"phone": "2"})
    detail = manager_client.get(reverse("audit:detail", args=[changed.pk]))
    assert detail.context["details"] == [] and 'id="audit-details"' not in detail.content.decode()


def test_what_a_view_names_is_shown_only_to_those_who_may_see_patient_names(
    manager_client, clinic, manager, monkeypatch
):
    searched = event(
        clinic, manager, event_type=AuditEventType.PATIENT_LIST_VIEWED, after={"query": "zoë"}
    )
    monkeypatch.setattr("pistor.audit.views._may_see_patient_names", lambda request: False)
    detail = manager_client.get(reverse("audit:detail", args=[searched.pk]))
    assert detail.status_code == 200
    assert detail.context["details"] == [] and "zoë" not in detail.content.decode()
    assert "records that someone looked" in detail.content.decode()


@pytest.mark.parametrize(
    ("subject_type", "subject_id"),
    # As the product writes them: one record; a kind of record but no one record (a list
    # or a search names its patients in its details); no record at all.
    [("patient", "7"), ("patient", ""), ("", "")],
)
def test_every_event_type_opens_whatever_record_it_names(
    manager_client, clinic, manager, subject_type, subject_id
):
    written = {
        event_type: event(
            clinic,
            manager,
            event_type=event_type,
            subject_type=subject_type,
            subject_id=subject_id,
            after={"patient_ids": [7], "query": "ana"},
        )
        for event_type in AuditEventType
    }
    assert manager_client.get(reverse("audit:list")).status_code == 200
    for event_type, one in written.items():
        detail = manager_client.get(reverse("audit:detail", args=[one.pk]))
        assert detail.status_code == 200, event_type
        html = detail.content.decode()
        opens_patient = reverse("patients:detail", args=[7]) in html
        assert opens_patient is (subject_id == "7"), event_type
        if subject_type and not subject_id:
            assert "No single record" in html, event_type
