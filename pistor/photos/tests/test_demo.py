"""The demo's photographs: drawn (not people), cleaned like any upload, quick to make."""

from __future__ import annotations

import time

import pytest

from pistor.clinics.models import Clinic
from pistor.demo import demo_load
from pistor.photos.demo import demo_face_image, demo_thighs_image
from pistor.photos.models import Photo
from pistor.photos.selectors import photo_list, photos_by_view
from pistor.photos.tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_drawing_the_demo_images_is_quick():
    started = time.perf_counter()
    for progress in (0.0, 0.6):
        assert demo_thighs_image(progress=progress)[:3] == b"\xff\xd8\xff"
        assert demo_face_image(progress=progress)[:3] == b"\xff\xd8\xff"
    assert time.perf_counter() - started < 2


def test_the_mid_course_patient_has_baseline_and_later_thigh_photographs(photo_dir):
    demo_load()
    harbour = Clinic.objects.get(slug="harbour-skin-clinic")
    photo = Photo.objects.for_clinic(harbour).first()
    assert photo is not None
    groups = {
        g.view.value: g.photos
        for g in photos_by_view(photo_list(clinic_id=harbour.pk, patient_id=photo.patient_id))
    }
    thighs = groups["thighs-front"]
    assert len(thighs) == 2 and thighs[0].taken_at < thighs[1].taken_at
    assert thighs[0].session_id != thighs[1].session_id
    assert len(groups["face-front"]) == 2
    assert len(stored_files(photo_dir)) == 3 * 4
    assert demo_load().created == 0  # loading again changes nothing
    assert Photo.objects.count() == 4
