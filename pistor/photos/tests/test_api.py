"""The photographs API over HTTP with tokens: multipart upload, list and filters, the
authorised bytes, attaching to a session, withdrawal, the marketing export, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pistor.audit.models import AuditEvent
from pistor.patients.tests.factories import PatientFactory
from pistor.photos.models import Photo
from pistor.photos.tests.conftest import stored_files
from pistor.photos.tests.factories import image_bytes, photo_consent, photo_of
from pistor.photos.tests.test_images import jpeg_with_gps, png_header_only
from pistor.treatments.services import session_start
from pistor.treatments.tests.factories import ready_plan
from tests.api.helpers import assert_error_shape, token_for

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class Api:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def upload(self, patient_id: int, data: bytes | None, name: str = "p.jpg", **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        body = {"view": "thighs-front", **fields}
        if data is not None:
            body["file"] = SimpleUploadedFile(name, data)
        return self.client.post(
            f"/api/v1/photos/patients/{patient_id}/photos", body, headers=self.headers
        )

    def get(self, path: str, **query):
        return self.client.get(f"/api/v1/photos{path}", query, headers=self.headers)

    def post_json(self, path: str, body):
        return self.client.post(
            f"/api/v1/photos{path}", body, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api(clinic, practitioner):
    return Api(token_for(practitioner, clinic))


def test_upload_list_fetch_over_the_api(api, clinic, practitioner, patient, photo_dir):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    response = api.upload(patient.pk, jpeg_with_gps(), note="Baseline")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["view"] == "thighs-front" and body["patient_id"] == patient.pk
    assert len(stored_files(photo_dir)) == 3
    listed = api.get(f"/patients/{patient.pk}/photos").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert api.get(f"/patients/{patient.pk}/photos", view="face-front").json()["count"] == 0
    raw = api.get(f"/{body['id']}/file", rendition="original")
    assert raw.status_code == 200 and raw["Content-Type"] == "image/jpeg"
    data = b"".join(raw.streaming_content)
    assert b"PhoneMaker" not in data and b"secret-place" not in data
    assert "no-store" in raw["Cache-Control"]
    assert AuditEvent.objects.filter(event_type="photo.viewed", subject_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<?php echo 1; ?>", "not a photograph"),
        (image_bytes(size=(300, 200))[:400], "incomplete or damaged"),
        (png_header_only(40_000, 40_000), "too many pixels"),
    ],
    ids=["php-renamed-jpg", "truncated", "bomb"],
)
def test_refused_uploads_answer_422_in_the_one_shape_and_store_nothing(
    api, clinic, practitioner, patient, photo_dir, data, words
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    body = assert_error_shape(api.upload(patient.pk, data), 422)
    assert words in body["message"] and "file" in body["extra"]["fields"]
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


def test_a_60_mb_upload_answers_413_and_stores_nothing(
    api, clinic, practitioner, patient, photo_dir
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    response = api.upload(patient.pk, image_bytes() + b"\x00" * (60 * MB))
    assert_error_shape(response, 413)
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"view": "selfie"}, "view"),
        ({"taken_at": "yesterday"}, "taken_at"),
        ({"taken_at": "2026-12-06T10:00:00"}, "taken_at"),  # no offset
        ({"taken_at": "2999-01-01T00:00:00Z"}, "taken_at"),
        ({"note": "x" * 3000}, "note"),
        ({"session_id": "-1"}, "session_id"),
    ],
)
def test_bad_upload_details_answer_422_beside_their_field(
    api, clinic, practitioner, patient, photo_dir, fields, field
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    body = assert_error_shape(api.upload(patient.pk, image_bytes(), **fields), 422)
    assert field in body["extra"]["fields"]
    assert stored_files(photo_dir) == []


def test_a_json_body_or_no_file_is_refused(api, clinic, practitioner, patient):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    body = assert_error_shape(api.post_json(f"/patients/{patient.pk}/photos", {"view": "x"}), 422)
    assert "file" in body["extra"]["fields"]
    assert_error_shape(api.upload(patient.pk, None), 422)


def test_no_consent_answers_409(api, patient, photo_dir):
    body = assert_error_shape(api.upload(patient.pk, image_bytes()), 409)
    assert "consent" in body["message"]
    assert stored_files(photo_dir) == []


def test_a_session_of_another_patient_cannot_take_this_patients_photo(
    api, clinic, practitioner, patient, photo_dir
):
    other: Any = PatientFactory(clinic=clinic, family_name="Otherson")
    plan = ready_plan(clinic=clinic, by=practitioner, patient=other)
    session = session_start(clinic=clinic, patient=other, plan=plan, by=practitioner)
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    body = assert_error_shape(
        api.upload(patient.pk, image_bytes(), session_id=str(session.pk)), 422
    )
    assert "another patient" in body["extra"]["fields"]["session_id"][0]
    assert not Photo.objects.exists() and stored_files(photo_dir) == []
    # Nor can an existing photograph be attached to the other patient's session.
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    assert_error_shape(api.post_json(f"/{photo.pk}/session", {"session_id": session.pk}), 422)
    photo.refresh_from_db()
    assert photo.session_id is None
    assert not AuditEvent.objects.filter(event_type="photo.filed").exists()
    # Its own session is fine.
    own = session_start(
        clinic=clinic, patient=patient,
        plan=ready_plan(clinic=clinic, by=practitioner, patient=patient, with_stock=False),
        by=practitioner,
    )  # fmt: skip
    response = api.post_json(f"/{photo.pk}/session", {"session_id": own.pk})
    assert response.status_code == 200 and response.json()["session_id"] == own.pk
    assert api.get(f"/patients/{patient.pk}/photos", session_id=own.pk).json()["count"] == 1


def test_another_clinic_and_signed_out_get_no_bytes(
    clinic, practitioner, patient, other_clinic, other_clinic_user
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    stranger = Api(token_for(other_clinic_user, other_clinic))
    for path in (f"/{photo.pk}", f"/{photo.pk}/file"):
        response = stranger.get(path)
        assert_error_shape(response, 404)
        assert b"\xff\xd8" not in response.content
    assert_error_shape(stranger.get(f"/patients/{patient.pk}/photos"), 404)
    assert_error_shape(stranger.upload(patient.pk, image_bytes()), 404)
    response = Api(None).get(f"/{photo.pk}/file")
    assert_error_shape(response, 401)
    assert b"\xff\xd8" not in response.content
    assert Photo.objects.count() == 1


def test_the_marketing_export_answers_409_without_marketing_consent(
    api, clinic, practitioner, patient, manager
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    body = assert_error_shape(api.post_json(f"/{photo.pk}/export/marketing", {}), 409)
    assert "cannot be exported for marketing" in body["message"]
    photo_consent(clinic=clinic, patient=patient, by=practitioner, uses=["record", "marketing"])
    response = api.post_json(f"/{photo.pk}/export/marketing", {})
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_withdraw_over_the_api(api, clinic, practitioner, patient):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    assert_error_shape(api.post_json(f"/{photo.pk}/withdraw", {"reason": ""}), 422)
    assert_error_shape(api.post_json(f"/{photo.pk}/withdraw", {"reason": "x", "extra": 1}), 422)
    assert api.post_json(f"/{photo.pk}/withdraw", {"reason": "Blurred."}).status_code == 200
    assert_error_shape(api.get(f"/{photo.pk}/file"), 404)


def test_bad_ids_and_renditions_answer_cleanly(api, clinic, practitioner, patient):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    assert_error_shape(api.get(f"/{photo.pk}/file", rendition="raw"), 422)
    assert api.get(f"/{2**63}").status_code in (404, 422)
    assert_error_shape(api.get("/999999"), 404)
    assert_error_shape(api.get(f"/patients/{patient.pk}/photos", limit=0), 422)
    assert_error_shape(api.get(f"/patients/{patient.pk}/photos", view="selfie"), 422)


def test_the_api_list_has_a_bounded_query_count(api, clinic, practitioner, patient):
    from pistor.photos.tests.test_views import _grow_photos
    from pistor.testing.queries import assert_query_cap

    grow = _grow_photos(clinic, patient, practitioner)
    api.get(f"/patients/{patient.pk}/photos")  # the token's first use is recorded once
    assert_query_cap(
        lambda: api.get(f"/patients/{patient.pk}/photos", limit=200),
        grow=grow,
        sizes=(10, 60),
        cap=15,
        check=lambda r: r.status_code == 200,
    )
