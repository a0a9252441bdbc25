"""Demo photographs for Harbour's mid-course patient: a photograph consent, then baseline
and later photographs of the face and of the thighs, filed under her first and third
sessions so the comparison page has something to show.

The images are drawn here (gradients and shapes, never a real person) and go through the
real upload service, so they are cleaned, stored and audited like any other. Loading the
demo again changes nothing: a patient who has photographs already is left alone.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageFilter

from pistor.accounts.models import User
from pistor.clinics.models import Clinic
from pistor.consents.constants import ConsentKind
from pistor.consents.services import consent_countersign, consent_create, consent_patient_sign
from pistor.patients.models import Patient
from pistor.photos.models import Photo
from pistor.photos.selectors import photo_consent_in_force
from pistor.photos.services import photo_upload
from pistor.plans.demo import demo_signature
from pistor.treatments.models import TreatmentSession

HARBOUR = "harbour-skin-clinic"
GIVEN, FAMILY = "Hannah", "Whitaker"  # the treatments demo's mid-course patient
SIZE = (480, 640)


def _background(size: tuple[int, int]) -> Image.Image:
    # A neutral studio backdrop: a vertical grey-blue gradient.
    width, height = size
    column = Image.linear_gradient("L").resize((1, height))
    backdrop = Image.merge(
        "RGB",
        (
            column.point(lambda v: 150 + v // 6),
            column.point(lambda v: 160 + v // 6),
            column.point(lambda v: 175 + v // 8),
        ),
    )
    return backdrop.resize((width, height))


def demo_thighs_image(*, progress: float) -> bytes:
    """Two rounded shapes standing for thighs, with dimples that fade as ``progress``
    goes from 0 (baseline) to 1."""
    image = _background(SIZE)
    draw = ImageDraw.Draw(image)
    skin = (224, 178, 150)
    for left in (70, 250):
        draw.rounded_rectangle((left, 40, left + 160, 620), radius=70, fill=skin)
    shade = int(40 * (1 - progress)) + 8
    for i in range(22):
        x = 95 + (i * 53) % 300 + (60 if i % 2 else 0)
        y = 120 + (i * 97) % 420
        draw.ellipse(
            (x, y, x + 18, y + 12), fill=(skin[0] - shade, skin[1] - shade, skin[2] - shade)
        )
    return _jpeg(image.filter(ImageFilter.GaussianBlur(1.2)))


def demo_face_image(*, progress: float) -> bytes:
    """An oval standing for a face, with fine lines that soften as ``progress`` grows."""
    image = _background(SIZE)
    draw = ImageDraw.Draw(image)
    skin = (230, 190, 165)
    draw.ellipse((110, 90, 370, 470), fill=skin)
    draw.rectangle((200, 440, 280, 600), fill=skin)
    line = int(50 * (1 - progress)) + 10
    for k in range(5):
        y = 170 + k * 9
        draw.arc(
            (170, y, 310, y + 40),
            200,
            340,
            fill=(skin[0] - line, skin[1] - line, skin[2] - line),
            width=2,
        )
    return _jpeg(image.filter(ImageFilter.GaussianBlur(0.8)))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


def photos_demo_load(*, clinic: Clinic) -> int:
    """Baseline and later photographs for the mid-course patient; returns rows made."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    patient = (
        Patient.objects.for_clinic(clinic).filter(given_name=GIVEN, family_name=FAMILY).first()
    )
    if practitioner is None or patient is None:
        return 0
    if Photo.objects.for_clinic(clinic).filter(patient=patient).exists():
        return 0
    sessions = list(
        TreatmentSession.objects.for_clinic(clinic).filter(patient=patient).order_by("started_at")
    )
    if not sessions:
        return 0
    created = 0
    first, last = sessions[0], sessions[-1]
    if photo_consent_in_force(clinic_id=clinic.pk, patient_id=patient.pk) is None:
        consent = consent_create(
            clinic=clinic, patient=patient, by=practitioner, kind=ConsentKind.PHOTOGRAPHS,
            photo_uses=["record", "teaching"],
        )  # fmt: skip
        signed_at = first.started_at - dt.timedelta(hours=1)
        consent_patient_sign(
            consent=consent, signature=demo_signature(patient.full_name),
            signed_name=patient.full_name, actor=practitioner, now=signed_at,
        )  # fmt: skip
        consent_countersign(
            consent=consent, practitioner=practitioner,
            signature=demo_signature(practitioner.full_name), now=signed_at,
        )  # fmt: skip
        created += 1
    shots = [
        (first, "face-front", demo_face_image(progress=0.0), "Baseline"),
        (first, "thighs-front", demo_thighs_image(progress=0.0), "Baseline"),
        (last, "face-front", demo_face_image(progress=0.6), ""),
        (last, "thighs-front", demo_thighs_image(progress=0.6), ""),
    ]
    for session, view, data, note in shots:
        photo_upload(
            clinic=clinic, patient=patient, by=practitioner, data=data, view=view,
            taken_at=session.started_at + dt.timedelta(minutes=5), session_id=session.pk,
            note=note,
        )  # fmt: skip
        created += 1
    return created
