"""The demo data set: complete, audited, usable for signing in, and loaded only once."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts.models import User
from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_verify
from pistor.catalog.selectors import product_get, protocol_get
from pistor.clinical.protocols import plan_course
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.selectors import clinic_screening_settings
from pistor.clinics.services import clinic_settings_update
from pistor.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_load
from pistor.patients.models import Patient
from pistor.patients.selectors import patient_list
from pistor.patients.services import patient_restore

pytestmark = pytest.mark.django_db


def test_demo_has_two_clinics_with_their_own_staff():
    demo_load()
    harbour = Clinic.objects.get(name="Harbour Skin Clinic")
    assert harbour.time_zone == "Europe/London" and harbour.currency == "GBP"
    assert "Leeds" in harbour.address and harbour.registration_numbers
    roles = set(Membership.objects.filter(clinic=harbour).values_list("role", flat=True))
    assert roles == {"practitioner", "nurse", "reception", "manager"}
    hillside = Clinic.objects.exclude(pk=harbour.pk).get()
    assert list(Membership.objects.filter(clinic=hillside).values_list("role", flat=True)) == [
        "manager"
    ]


def test_demo_patients_are_varied_and_one_is_archived():
    demo_load()
    harbour = Clinic.objects.get(name="Harbour Skin Clinic")
    patients = list(Patient.objects.for_clinic(harbour))
    assert len(patients) == 13  # the 12 of demo/data.py and messaging's recall patient
    names = {p.given_name for p in patients}
    assert {"José", "Zoë", "Siobhán"} <= names
    assert len({p.fitzpatrick_type for p in patients}) >= 5
    assert [p.given_name for p in patients if p.is_archived] == ["Rhiannon"]
    assert all(p.record_number for p in patients)


def test_demo_patients_are_found_by_plain_letters():
    demo_load()
    harbour = Clinic.objects.get(name="Harbour Skin Clinic")
    rows, total = patient_list(clinic=harbour, query="sIOBHAN")
    assert total == 1 and rows[0].given_name == "Siobhán"


def test_every_demo_account_signs_in_with_the_demo_password():
    details = demo_load()
    assert details.password == DEMO_PASSWORD
    for account in details.accounts:
        assert User.objects.get(email=account.email).check_password(DEMO_PASSWORD)


def test_printed_totp_secret_gives_codes_the_devices_accept():
    details = demo_load()
    assert details.totp_secret == DEMO_TOTP_SECRET
    needing = [a for a in details.accounts if a.uses_authenticator]
    assert {a.role for a in needing} == {"practitioner", "manager"}
    for account in needing:
        device = TOTPDevice.objects.get(user__email=account.email, confirmed=True)
        # What an authenticator app computes from the printed (base32) secret.
        code = totp(base64.b32decode(DEMO_TOTP_SECRET))
        assert device.verify_token(f"{code:06d}")


def test_demo_is_written_through_audited_services():
    demo_load()
    # demo/data.py's 14 and messaging's recall patient
    assert AuditEvent.objects.filter(event_type="patient.created").count() == 15
    assert AuditEvent.objects.filter(event_type="patient.archived").count() == 1
    assert AuditEvent.objects.filter(event_type="staff.created").count() == 5
    assert audit_verify() == []


def test_loading_again_changes_nothing():
    first = demo_load()
    assert first.created > 0
    events = AuditEvent.objects.count()
    patients = {p.pk: p.updated_at for p in Patient.objects.all()}

    second = demo_load()

    assert second.created == 0
    assert AuditEvent.objects.count() == events
    assert {p.pk: p.updated_at for p in Patient.objects.all()} == patients


def test_loading_again_keeps_changes_made_while_trying_the_demo():
    demo_load()
    harbour = Clinic.objects.get(name="Harbour Skin Clinic")
    archived = Patient.objects.for_clinic(harbour).get(given_name="Rhiannon")
    patient_restore(patient=archived, actor=None)
    demo_load()
    archived.refresh_from_db()
    assert not archived.is_archived


def test_demo_clinic_has_its_own_protocol_planned_by_the_same_engine():
    demo_load()
    harbour = Clinic.objects.get(slug="harbour-skin-clinic")
    protocol = protocol_get(clinic=harbour, code="harbour-scalp-fortnightly")
    course = plan_course(protocol, dt.date(2027, 1, 4))
    assert [s.phase for s in course[:6]] == ["initial"] * 6
    assert course[1].target == dt.date(2027, 1, 18)
    assert product_get(clinic=harbour, code="harbour-revitalising-mix").form == "solution"


def test_demo_clinic_has_made_its_own_safety_choices():
    demo_load()
    harbour = Clinic.objects.get(slug="harbour-skin-clinic")
    assert harbour.allergy_test_min_read_hours == 48
    assert harbour.caution_severity_overrides == {"breastfeeding": "block"}
    assert clinic_screening_settings(harbour).caution_severity == {"breastfeeding": "block"}
    event = AuditEvent.objects.get(clinic=harbour, event_type="clinic.settings_updated")
    assert event.after == {
        "allergy_test_min_read_hours": 48,
        "caution_severity_overrides": {"breastfeeding": "block"},
    }
    hillside = Clinic.objects.get(slug="hillside-aesthetics")
    assert hillside.allergy_test_min_read_hours == 24
    assert hillside.caution_severity_overrides == {}


def test_loading_again_keeps_a_managers_settings_even_back_at_the_defaults():
    demo_load()
    harbour = Clinic.objects.get(slug="harbour-skin-clinic")
    clinic_settings_update(
        clinic=harbour, actor=None, allergy_test_min_read_hours=24, caution_severity_overrides={}
    )
    demo_load()
    harbour.refresh_from_db()
    assert harbour.allergy_test_min_read_hours == 24
    assert harbour.caution_severity_overrides == {}
