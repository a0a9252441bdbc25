"""Storing photographs: consent first, nothing half-written, withdrawal, the marketing gate."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from pistor.audit.models import AuditEvent
from pistor.consents.services import consent_withdraw
from pistor.core.errors import Conflict, ValidationFailed
from pistor.patients.tests.factories import PatientFactory
from pistor.photos import services
from pistor.photos.models import Photo
from pistor.photos.storage import photo_storage
from pistor.photos.tests.conftest import stored_files
from pistor.photos.tests.factories import image_bytes, photo_consent, photo_of
from pistor.photos.tests.test_images import jpeg_with_gps
from pistor.treatments.tests.factories import ready_plan

pytestmark = pytest.mark.django_db


def test_an_upload_keeps_three_clean_files_and_names_its_consent(
    clinic, practitioner, patient, photo_dir
):
    consent = photo_consent(clinic=clinic, patient=patient, by=practitioner)
    photo = services.photo_upload(
        clinic=clinic, patient=patient, by=practitioner, data=jpeg_with_gps(), view="face-front"
    )
    assert photo.consent_id == consent.pk
    assert len(stored_files(photo_dir)) == 3
    for key in (photo.original_key, photo.display_key, photo.thumb_key):
        with photo_storage().open(key, "rb") as handle:
            data = handle.read()
        assert b"PhoneMaker" not in data and b"secret-place" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert dict(image.getexif()) == {}
    # Private: under the photographs' own directory, with no public address.
    assert photo.original_key.startswith(f"clinic-{clinic.pk}/patient-{patient.pk}/")
    event = AuditEvent.objects.get(event_type="photo.uploaded", subject_id=str(photo.pk))
    assert (
        event.after is not None
        and event.after["consent"] == consent.pk
        and "Photoson" not in str(event.after)
    )


def test_no_photograph_without_a_photograph_consent_in_force(
    clinic, practitioner, patient, photo_dir
):
    with pytest.raises(Conflict, match="no photograph consent in force"):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(), view="face-front"
        )
    consent = photo_consent(clinic=clinic, patient=patient, by=practitioner)
    consent_withdraw(consent=consent, by=practitioner, reason="Changed their mind.")
    with pytest.raises(Conflict):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(), view="face-front"
        )
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


def test_a_consent_for_teaching_only_does_not_allow_record_photographs(
    clinic, practitioner, patient
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner, uses=["teaching"])
    with pytest.raises(Conflict):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(), view="face-front"
        )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<?php echo 'hi'; ?>", "not a photograph"),
        (image_bytes(size=(300, 200))[:500], "incomplete or damaged"),
    ],
    ids=["php-renamed-jpg", "truncated"],
)
def test_a_refused_file_leaves_no_row_no_file_no_event(
    clinic, practitioner, patient, photo_dir, data, words
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed, match=words):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=data, view="face-front"
        )
    assert not Photo.objects.exists()
    assert stored_files(photo_dir) == []
    assert not AuditEvent.objects.filter(event_type="photo.uploaded").exists()


def test_a_failure_after_the_files_are_written_removes_them(
    clinic, practitioner, patient, photo_dir, monkeypatch
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(), view="face-front"
        )
    assert not Photo.objects.exists()
    assert stored_files(photo_dir) == []


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("view", {"view": "selfie"}),
        ("note", {"note": "x" * 501}),
        ("session_id", {"session_id": "abc"}),
        ("session_id", {"session_id": 2**70}),
    ],
)
def test_bad_details_are_refused_beside_their_field(
    clinic, practitioner, patient, photo_dir, field, kwargs
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    args = {"view": "face-front", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(), **args
        )
    assert field in exc.value.fields
    assert stored_files(photo_dir) == []


def test_a_session_of_another_patient_is_refused(clinic, practitioner, patient, photo_dir):
    from pistor.treatments.services import session_start

    other: Any = PatientFactory(clinic=clinic, family_name="Otherson")
    plan = ready_plan(clinic=clinic, by=practitioner, patient=other)
    session = session_start(clinic=clinic, patient=other, plan=plan, by=practitioner)
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed, match="another patient"):
        services.photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=image_bytes(),
            view="thighs-front", session_id=session.pk,
        )  # fmt: skip
    assert not Photo.objects.exists() and stored_files(photo_dir) == []
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed, match="another patient"):
        services.photo_session_set(photo=photo, by=practitioner, session_id=session.pk)
    photo.refresh_from_db()
    assert photo.session_id is None


def test_withdrawing_keeps_the_row_and_deletes_the_files(
    clinic, practitioner, patient, photo_dir, django_capture_on_commit_callbacks
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed):
        services.photo_withdraw(photo=photo, by=practitioner, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_withdraw(photo=photo, by=practitioner, reason="Wrong patient in frame.")
    photo.refresh_from_db()
    assert photo.is_withdrawn and photo.withdraw_reason == "Wrong patient in frame."
    assert stored_files(photo_dir) == []
    with pytest.raises(Conflict):
        services.photo_withdraw(photo=photo, by=practitioner, reason="Again.")


def test_marketing_export_needs_marketing_in_the_consent_in_force(clinic, practitioner, patient):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)  # record only
    with pytest.raises(Conflict, match="cannot be exported for marketing"):
        services.photo_export_for_marketing(photo=photo, by=practitioner)
    assert not AuditEvent.objects.filter(event_type="photo.exported").exists()
    consent = photo_consent(
        clinic=clinic, patient=patient, by=practitioner, uses=["record", "marketing"]
    )
    opened = services.photo_export_for_marketing(photo=photo, by=practitioner)
    assert opened.file.read()[:3] == b"\xff\xd8\xff"
    opened.file.close()
    assert AuditEvent.objects.filter(event_type="photo.exported").count() == 1
    # Withdrawn: the marketing use stops at once.
    consent_withdraw(consent=consent, by=practitioner, reason="No publicity after all.")
    with pytest.raises(Conflict):
        services.photo_export_for_marketing(photo=photo, by=practitioner)
