"""Consents and signature images for tests."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from pistor.consents.constants import ConsentKind
from pistor.consents.models import Consent
from pistor.consents.services import consent_countersign, consent_create, consent_patient_sign


def signature_png(width: int = 300, height: int = 100) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 70), (280, 30)], fill="black", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def signature_data_url(**kwargs: int) -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png(**kwargs)).decode()


def draft_consent(*, clinic, patient, by, indication="skin-rejuvenation", products=("nctf-135ha",)):
    return consent_create(
        clinic=clinic,
        patient=patient,
        by=by,
        kind=ConsentKind.TREATMENT,
        indication_code=indication,
        product_codes=products,
    )


def signed_consent(*, clinic, patient, by, **kwargs) -> Consent:
    consent = draft_consent(clinic=clinic, patient=patient, by=by, **kwargs)
    consent_patient_sign(
        consent=consent, signature=signature_data_url(), signed_name=patient.full_name, actor=by
    )
    return consent_countersign(consent=consent, practitioner=by, signature=signature_data_url())
