"""Rows read and written as SQL must be the instances the ORM reads and writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone

from pistor.accounts.backends import ModelBackend
from pistor.accounts.sessions import SessionStore
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Clinic
from pistor.core.rows import MAX_ID, model_get, model_insert, row_id
from pistor.patients.models import Patient
from pistor.patients.services import patient_archive, patient_create

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def _ana(clinic, practitioner):
    return patient_create(
        clinic=clinic,
        actor=practitioner,
        given_name="Ana",
        family_name="Silva",
        date_of_birth=dt.date(1990, 1, 1),
    )


def test_a_row_read_as_sql_equals_the_orms_instance_field_by_field(clinic, practitioner):
    # Dates, times (aware), booleans, JSON, numbers, nullable and blank text: every kind of
    # column the hot paths read.
    Clinic.objects.filter(pk=clinic.pk).update(
        registration_numbers={"GMC": "1234567", "note": "ünïcode"},
        caution_severity_overrides={"pregnancy": "stop"},
    )
    patient = patient_create(
        clinic=clinic,
        actor=practitioner,
        given_name="Zoë",
        family_name="O'Neill",
        date_of_birth=dt.date(1980, 2, 29),
        fitzpatrick_type=4,
    )
    patient_archive(patient=patient, actor=practitioner, reason="Moved away")

    for model, pk in ((Clinic, clinic.pk), (Patient, patient.pk)):
        by_orm = model.objects.get(pk=pk)
        by_sql = model_get(model, "r.id = %s", [pk])
        assert by_sql is not None
        assert _fields(by_sql) == _fields(by_orm)
        assert by_sql._state.adding is False
        assert by_sql._state.db == "default"
    read = model_get(Patient, "r.id = %s", [patient.pk])
    assert read is not None and read.archived_at is not None
    assert read.archived_at.tzinfo is not None
    assert read.archived_by == practitioner  # the relation still loads on demand


def test_a_missing_row_is_none_and_clinic_scope_is_kept(clinic, other_clinic, practitioner):
    patient = _ana(clinic, practitioner)
    where = "r.id = %s AND r.clinic_id = %s"
    assert model_get(Patient, where, [patient.pk, other_clinic.pk]) is None
    assert model_get(Patient, where, [patient.pk + 1000, clinic.pk]) is None


def test_annotations_are_read_with_the_row_and_set_on_the_instance(clinic, practitioner):
    patient = _ana(clinic, practitioner)
    found = model_get(
        Patient,
        "r.id = %(patient)s AND r.clinic_id = %(clinic)s",
        {"patient": patient.pk, "clinic": clinic.pk},
        annotations={
            "same_clinic": "(SELECT COUNT(*) FROM patients_patient p "
            "WHERE p.clinic_id = %(clinic)s)",
            "its_name": "r.family_name",
        },
    )
    assert found is not None and found.pk == patient.pk
    assert (found.same_clinic, found.its_name) == (1, "Silva")  # type: ignore[attr-defined]
    assert found.family_name == "Silva"  # the row's own fields are untouched


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (1, 1),
        (MAX_ID, MAX_ID),
        (MAX_ID + 1, None),
        (0, None),
        (-3, None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("9" * 40, None),
    ],
)
def test_row_id_accepts_only_ids_a_64_bit_key_can_hold(value, expected):
    assert row_id(value) == expected


def test_an_insert_as_sql_stores_what_the_orm_would_and_sets_the_id(clinic, practitioner):
    occurred = timezone.now()
    values = {
        "clinic_id": clinic.pk,
        "actor": practitioner,
        "actor_label": practitioner.email,
        "event_type": "patient.viewed",
        "subject_type": "patient",
        "subject_id": "7",
        "request_id": "r-1",
        "occurred_at": occurred,
        "before": None,
        "after": {"action": "patient.view", "names": ["Zoë", 3, True]},
    }
    by_sql = AuditEvent(**values)
    model_insert(by_sql)
    by_orm = AuditEvent(**values)
    by_orm.save(force_insert=True)

    assert by_sql.pk is not None and by_orm.pk == by_sql.pk + 1
    assert by_sql._state.adding is False
    stored_sql, stored_orm = (AuditEvent.objects.get(pk=e.pk) for e in (by_sql, by_orm))
    assert {**_fields(stored_sql), "id": None} == {**_fields(stored_orm), "id": None}
    assert stored_sql.occurred_at == occurred
    assert stored_sql.after == values["after"] and stored_sql.before is None


def _viewed(clinic, practitioner, subject_id):
    return {
        "clinic_id": clinic.pk,
        "actor": practitioner,
        "actor_label": practitioner.email,
        "event_type": "patient.viewed",
        "subject_type": "patient",
        "subject_id": str(subject_id),
        "request_id": "r-2",
        "occurred_at": timezone.now(),
        "before": None,
        "after": {"action": "patient.view", "names": ["Zoë", 3, True]},
    }


_BY_KEY = "r.id = %(patient)s AND r.clinic_id = %(clinic)s"


def test_a_read_that_writes_its_record_stores_what_the_orm_would(clinic, practitioner):
    patient = _ana(clinic, practitioner)
    values = _viewed(clinic, practitioner, patient.pk)
    opened = AuditEvent(**values)
    found = model_get(
        Patient,
        _BY_KEY,
        {"patient": patient.pk, "clinic": clinic.pk},
        annotations={"its_name": "r.family_name"},
        insert=opened,
    )
    by_orm = AuditEvent(**values)
    by_orm.save(force_insert=True)

    assert found is not None and found.pk == patient.pk
    assert found.its_name == "Silva"  # type: ignore[attr-defined]
    assert opened.pk is not None and opened._state.adding is False
    stored, stored_orm = (AuditEvent.objects.get(pk=e.pk) for e in (opened, by_orm))
    assert {**_fields(stored), "id": None} == {**_fields(stored_orm), "id": None}


def test_a_read_that_finds_nothing_writes_nothing(clinic, other_clinic, practitioner):
    patient = _ana(clinic, practitioner)
    before = AuditEvent.objects.count()
    for key, scope in ((patient.pk, other_clinic.pk), (patient.pk + 1000, clinic.pk)):
        opened = AuditEvent(**_viewed(clinic, practitioner, key))
        found = model_get(Patient, _BY_KEY, {"patient": key, "clinic": scope}, insert=opened)
        assert found is None and opened.pk is None
    assert AuditEvent.objects.count() == before


def test_a_read_and_its_record_roll_back_together(clinic, practitioner):
    patient = _ana(clinic, practitioner)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        opened = AuditEvent(**_viewed(clinic, practitioner, patient.pk))
        model_get(Patient, _BY_KEY, {"patient": patient.pk, "clinic": clinic.pk}, insert=opened)
        assert AuditEvent.objects.filter(pk=opened.pk).exists()
        raise RuntimeError("the request failed after the read")
    assert AuditEvent.objects.count() == before


def test_a_read_that_writes_takes_named_params_of_its_own(clinic, practitioner):
    opened = AuditEvent(**_viewed(clinic, practitioner, 1))
    with pytest.raises(TypeError):
        model_get(Patient, "r.id = %s", [1], insert=opened)
    with pytest.raises(ValueError, match="insert_0"):
        model_get(Patient, "r.id = %(insert_0)s", {"insert_0": 1}, insert=opened)
    assert opened.pk is None


def test_an_insert_refused_inside_a_transaction_leaves_nothing(clinic):
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        model_insert(
            AuditEvent(clinic_id=clinic.pk, event_type="patient.viewed", occurred_at=timezone.now())
        )
        # No time: the NOT NULL column refuses, and the event written before goes with it.
        model_insert(AuditEvent(clinic_id=clinic.pk, event_type="patient.viewed"))
    assert AuditEvent.objects.count() == before


def test_the_session_read_as_sql_loads_a_live_session_and_ignores_an_expired_one(practitioner):
    live = SessionStore()
    live[SESSION_KEY] = str(practitioner.pk)
    live.create()
    loaded = SessionStore(session_key=live.session_key)
    assert loaded[SESSION_KEY] == str(practitioner.pk)

    Session.objects.filter(pk=live.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(session_key=live.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # as Django's store: a new session on the next save


def test_the_backend_reads_only_an_active_user_with_a_well_formed_id(practitioner):
    backend = ModelBackend()
    user = practitioner
    assert backend.get_user(user.pk) == user
    assert backend.get_user(str(user.pk)) == user
    for bad in ("x", None, MAX_ID + 1, -1, user.pk + 1000):
        assert backend.get_user(bad) is None
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None
