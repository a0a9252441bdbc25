"""Photograph pages: the upload door (camera input, refusals with nothing stored, 413),
the one door to the bytes (signed in, allowed, this clinic's, audited, no-store), the
comparison, the marketing export, and query counts with 60 photographs."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.photos.models import Photo
from pistor.photos.tests.conftest import stored_files
from pistor.photos.tests.factories import image_bytes, photo_consent, photo_of
from pistor.photos.tests.test_images import png_header_only
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def staff(client, practitioner):
    return signed_in_client(client, practitioner)


def _upload(client, patient, data, name="photo.jpg", **fields):
    return client.post(
        reverse("photos:upload", args=[patient.pk]),
        {"view": "thighs-front", "file": SimpleUploadedFile(name, data), **fields},
    )


def test_the_upload_page_offers_the_device_camera(staff, clinic, practitioner, patient):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    html = staff.get(reverse("photos:upload", args=[patient.pk])).content.decode()
    assert 'type="file"' in html and 'accept="image/*"' in html
    assert 'capture="environment"' in html
    assert "photos/camera.js" in html and "<script>" not in html


def test_a_photograph_uploaded_from_the_page_is_stored_and_listed(
    staff, clinic, practitioner, patient, photo_dir
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    response = _upload(staff, patient, image_bytes(), note="Baseline")
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert (photo.view, photo.note, photo.uploaded_by) == ("thighs-front", "Baseline", practitioner)
    assert len(stored_files(photo_dir)) == 3
    listing = staff.get(reverse("photos:list", args=[patient.pk])).content.decode()
    assert reverse("photos:file", args=[photo.pk, "thumb"]) in listing


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"<?php phpinfo(); ?>", "holiday.jpg", "not a photograph"),
        (image_bytes(size=(300, 200))[:400], "cut.jpg", "incomplete or damaged"),
        (png_header_only(30_000, 30_000), "bomb.png", "too many pixels"),
    ],
    ids=["php-renamed-jpg", "truncated", "decompression-bomb"],
)
def test_refused_files_say_why_and_store_nothing(
    staff, clinic, practitioner, patient, photo_dir, data, name, words
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    response = _upload(staff, patient, data, name=name)
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


def test_a_60_mb_image_is_refused_cleanly_and_nothing_stored(
    staff, clinic, practitioner, patient, photo_dir
):
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    big = image_bytes() + b"\x00" * (60 * MB)
    response = _upload(staff, patient, big)
    assert response.status_code == 413
    assert "more than Pistor accepts" in response.content.decode()
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


def test_a_file_over_the_photograph_cap_but_under_the_body_cap_is_refused(
    staff, clinic, practitioner, patient, photo_dir, settings
):
    settings.PISTOR_PHOTO_MAX_BYTES = 1 * MB
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    response = _upload(staff, patient, image_bytes() + b"\x00" * (2 * MB))
    assert response.status_code == 422
    assert "larger than 1 MB" in response.content.decode()
    assert not Photo.objects.exists() and stored_files(photo_dir) == []


def test_without_a_file_or_a_consent_the_page_says_so(staff, clinic, practitioner, patient):
    response = staff.post(reverse("photos:upload", args=[patient.pk]), {"view": "thighs-front"})
    assert response.status_code == 422 and "Choose a photograph" in response.content.decode()
    response = _upload(staff, patient, image_bytes())
    assert response.status_code == 409
    assert "no photograph consent in force" in response.content.decode()


def test_the_file_is_streamed_to_staff_with_no_store_and_audited(
    staff, clinic, practitioner, patient
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    response = staff.get(reverse("photos:file", args=[photo.pk, "display"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    event = AuditEvent.objects.get(event_type="photo.viewed")
    assert (event.subject_type, event.subject_id) == ("photo", str(photo.pk))
    assert event.actor_id == practitioner.pk


def _thumb_urls(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<img src="([^"]+/thumb/[^"]*)"', html)]


def test_a_gallery_is_one_listing_event_that_covers_its_thumbnails(
    staff, client, clinic, practitioner, nurse, patient
):
    photos = [
        photo_of(clinic=clinic, patient=patient, by=practitioner, view=view)
        for view in ("thighs-front", "thighs-back", "face-front")
    ]
    html = staff.get(reverse("photos:list", args=[patient.pk])).content.decode()
    listed = AuditEvent.objects.get(event_type="photo.listed")
    assert (listed.subject_type, listed.subject_id) == ("patient", str(patient.pk))
    assert listed.actor_id == practitioner.pk
    assert sorted((listed.after or {})["photos"]) == sorted(photo.pk for photo in photos)
    assert (listed.after or {})["rendition"] == "thumb"
    urls = _thumb_urls(html)
    assert len(urls) == 3
    for url in urls:
        response = staff.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    # Named by the listing: no event of their own.
    assert not AuditEvent.objects.filter(event_type="photo.viewed").exists()

    token = urls[0].split("listing=", 1)[1]
    first = int(re.findall(r"/(\d+)/file/thumb/", urls[0])[0])
    other = next(photo for photo in photos if photo.pk != first)
    opened_without_cover = [
        # the display rendition with a thumbnail's token
        urls[0].replace("/thumb", "/display"),
        # another photograph's thumbnail with this one's token
        reverse("photos:file", args=[other.pk, "thumb"]) + f"?listing={token}",
        # a forged token
        urls[0][:-3] + "xyz",
        # no token at all
        reverse("photos:file", args=[first, "thumb"]),
    ]
    for url in opened_without_cover:
        assert staff.get(url).status_code == 200
    assert AuditEvent.objects.filter(event_type="photo.viewed").count() == 4

    # Another staff member replaying the practitioner's gallery links is audited as usual.
    colleague = signed_in_client(client, nurse)
    assert colleague.get(urls[0]).status_code == 200
    assert AuditEvent.objects.filter(event_type="photo.viewed", actor=nurse).count() == 1


def test_a_listing_token_lapses(staff, clinic, practitioner, patient, monkeypatch):
    from pistor.photos import services

    photo_of(clinic=clinic, patient=patient, by=practitioner)
    html = staff.get(reverse("photos:list", args=[patient.pk])).content.decode()
    (url,) = _thumb_urls(html)
    assert staff.get(url).status_code == 200  # within its time: covered by the listing
    assert not AuditEvent.objects.filter(event_type="photo.viewed").exists()
    monkeypatch.setattr(services, "LISTED_IMAGE_MAX_AGE", dt.timedelta(0))
    assert staff.get(url).status_code == 200  # lapsed: audited on its own
    assert AuditEvent.objects.filter(event_type="photo.viewed").count() == 1


def test_an_empty_gallery_lists_nothing(staff, patient):
    assert staff.get(reverse("photos:list", args=[patient.pk])).status_code == 200
    assert not AuditEvent.objects.filter(event_type="photo.listed").exists()


def test_another_clinics_user_gets_404_and_no_bytes(
    client, clinic, practitioner, patient, other_clinic_user
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, other_clinic_user)
    for rendition in ("original", "display", "thumb"):
        response = client.get(reverse("photos:file", args=[photo.pk, rendition]))
        assert response.status_code == 404
        assert not getattr(response, "streaming", False)
        assert b"\xff\xd8" not in response.content
    assert not AuditEvent.objects.filter(event_type="photo.viewed").exists()


def test_signed_out_is_sent_to_sign_in_with_no_bytes(client, clinic, practitioner, patient):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    response = client.get(reverse("photos:file", args=[photo.pk, "original"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert b"\xff\xd8" not in response.content


def test_reception_may_not_see_photographs(client, clinic, practitioner, patient, receptionist):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, receptionist)
    assert client.get(reverse("photos:file", args=[photo.pk, "thumb"])).status_code == 403


def test_a_withdrawn_photograph_is_no_longer_served(staff, clinic, practitioner, patient):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    response = staff.post(reverse("photos:withdraw", args=[photo.pk]), {"reason": "Blurred."})
    assert response.status_code == 302
    assert staff.get(reverse("photos:file", args=[photo.pk, "thumb"])).status_code == 404


def test_the_comparison_shows_two_photographs_of_a_view_side_by_side_and_as_a_slider(
    staff, clinic, practitioner, patient
):
    now = dt.datetime.now(dt.UTC)
    first = photo_of(
        clinic=clinic, patient=patient, by=practitioner, taken_at=now - dt.timedelta(days=40)
    )
    later = photo_of(clinic=clinic, patient=patient, by=practitioner, taken_at=now)
    url = reverse("photos:compare", args=[patient.pk])
    html = staff.get(url, {"before": later.pk, "after": first.pk}).content.decode()
    # Put in time order whichever way round they were picked.
    assert html.index(f"/photos/{first.pk}/file/display/") < html.index(
        f"/photos/{later.pk}/file/display/"
    )
    assert 'id="compare-slider"' in html and "photos/compare.js" in html
    # One event for the page, naming both; its four images (side by side, slider) none.
    listed = AuditEvent.objects.get(event_type="photo.listed")
    assert listed.after == {"photos": [first.pk, later.pk], "rendition": "display"}
    images = [unescape(src) for src in re.findall(r'<img src="([^"]+/display/[^"]*)"', html)]
    assert len(images) == 4
    for image in images:
        assert staff.get(image).status_code == 200
    assert not AuditEvent.objects.filter(event_type="photo.viewed").exists()
    # The token covers the screen-size image it was given for, not the original.
    original = images[0].replace("/display/", "/original/")
    assert staff.get(original).status_code == 200
    assert AuditEvent.objects.filter(event_type="photo.viewed").count() == 1


def test_the_comparison_refuses_two_different_views_and_another_patients_photo(
    staff, clinic, practitioner, patient
):
    from pistor.patients.tests.factories import PatientFactory

    thigh = photo_of(clinic=clinic, patient=patient, by=practitioner)
    face = photo_of(clinic=clinic, patient=patient, by=practitioner, view="face-front")
    url = reverse("photos:compare", args=[patient.pk])
    response = staff.get(url, {"before": thigh.pk, "after": face.pk})
    assert response.status_code == 422 and "same view" in response.content.decode()
    other = PatientFactory(clinic=clinic, family_name="Otherson")
    stranger = photo_of(clinic=clinic, patient=other, by=practitioner)
    assert staff.get(url, {"before": thigh.pk, "after": stranger.pk}).status_code == 404


def test_the_marketing_export_is_refused_without_marketing_consent(
    staff, clinic, practitioner, patient
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    response = staff.post(reverse("photos:export", args=[photo.pk]), follow=True)
    assert "cannot be exported for marketing" in response.content.decode()
    assert not getattr(response, "streaming", False)
    photo_consent(clinic=clinic, patient=patient, by=practitioner, uses=["record", "marketing"])
    response = staff.post(reverse("photos:export", args=[photo.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def _grow_photos(clinic, patient, practitioner):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)  # one real, with a consent
    now = dt.datetime.now(dt.UTC)

    def grow(n):
        Photo.objects.bulk_create(
            Photo(
                clinic=clinic, patient=patient, view="thighs-front" if i % 2 else "face-front",
                taken_at=now - dt.timedelta(days=i), consent_id=photo.consent_id,
                image_format="JPEG", width=64, height=48, original_key=photo.original_key,
                display_key=photo.display_key, thumb_key=photo.thumb_key,
                original_sha256=photo.original_sha256, uploaded_by=practitioner,
            )
            for i in range(n)
        )  # fmt: skip

    return grow


def test_the_photograph_list_has_a_bounded_query_count(staff, clinic, practitioner, patient):
    grow = _grow_photos(clinic, patient, practitioner)
    url = reverse("photos:list", args=[patient.pk])
    assert_query_cap(
        lambda: staff.get(url), grow=grow, sizes=(10, 60), cap=30,
        check=lambda r: r.status_code == 200,
    )  # fmt: skip


@pytest.mark.usefixtures("record_panels_drawn")
def test_the_patient_record_with_60_photographs_has_a_bounded_query_count(
    staff, clinic, practitioner, patient
):
    grow = _grow_photos(clinic, patient, practitioner)
    url = reverse("patients:detail", args=[patient.pk])
    assert_query_cap(
        lambda: staff.get(url), grow=grow, sizes=(10, 60), cap=40,
        check=lambda r: r.status_code == 200,
    )  # fmt: skip
    assert reverse("photos:list", args=[patient.pk]) in staff.get(url).content.decode()


def test_thumbnails_are_made_once_not_per_request(
    staff, clinic, practitioner, patient, photo_dir, monkeypatch
):
    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    files_after_upload = stored_files(photo_dir)
    from PIL import Image

    def no_decoding(*args, **kwargs):
        raise AssertionError("an image was decoded while serving")

    monkeypatch.setattr(Image, "open", no_decoding)
    staff.get(reverse("photos:list", args=[patient.pk]))
    for _ in range(3):
        response = staff.get(reverse("photos:file", args=[photo.pk, "thumb"]))
        assert response.status_code == 200
        b"".join(response.streaming_content)
    assert stored_files(photo_dir) == files_after_upload


def test_a_file_lost_from_the_storage_answers_404_not_a_crash(staff, clinic, practitioner, patient):
    from pistor.photos.storage import photo_storage

    photo = photo_of(clinic=clinic, patient=patient, by=practitioner)
    photo_storage().delete(photo.display_key)
    response = staff.get(reverse("photos:file", args=[photo.pk, "display"]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event_type="photo.viewed").exists()


def test_the_views_for_the_patients_plans_come_first(staff, clinic, practitioner, patient):
    from pistor.plans.tests.factories import rejuvenation_plan

    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)  # the face
    html = staff.get(reverse("photos:upload", args=[patient.pk])).content.decode()
    suggested = html[html.index('id="views-suggested"') : html.index('label="Other views"')]
    assert 'value="face-front"' in suggested and 'value="face-45-left"' in suggested
    assert 'value="thighs-front"' not in suggested
    assert 'value="thighs-front"' in html
