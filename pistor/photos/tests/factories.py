"""Photographs for tests: drawn images (never of people), photograph consents, photos."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw

from pistor.consents.constants import ConsentKind
from pistor.consents.models import Consent
from pistor.consents.services import consent_countersign, consent_create, consent_patient_sign
from pistor.consents.tests.factories import signature_data_url


def image_bytes(
    *,
    size: tuple[int, int] = (64, 48),
    image_format: str = "JPEG",
    colour: tuple[int, int, int] = (200, 120, 90),
    **save: Any,
) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(40, 60, 160))
    out = io.BytesIO()
    image.save(out, format=image_format, **save)
    return out.getvalue()


def photo_consent(
    *, clinic: Any, patient: Any, by: Any, uses: Sequence[str] = ("record",)
) -> Consent:
    consent = consent_create(
        clinic=clinic, patient=patient, by=by, kind=ConsentKind.PHOTOGRAPHS, photo_uses=list(uses)
    )
    consent_patient_sign(
        consent=consent, signature=signature_data_url(), signed_name=patient.full_name, actor=by
    )
    return consent_countersign(consent=consent, practitioner=by, signature=signature_data_url())


def photo_of(*, clinic: Any, patient: Any, by: Any, view: str = "thighs-front", **kw: Any) -> Any:
    """A stored photograph; makes a photograph consent first if the patient has none."""
    from pistor.photos.selectors import photo_consent_in_force
    from pistor.photos.services import photo_upload

    if photo_consent_in_force(clinic_id=clinic.pk, patient_id=patient.pk) is None:
        photo_consent(clinic=clinic, patient=patient, by=by)
    data = kw.pop("data", None) or image_bytes()
    return photo_upload(clinic=clinic, patient=patient, by=by, data=data, view=view, **kw)
