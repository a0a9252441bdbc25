"""Demo data for consent, plans and prices: Harbour's price list, a patient whose consent
is signed and whose plan is ready with the gate open, and the soy-allergic patient whose
phosphatidylcholine plan the gate blocks.

Built on the intake demo's patients (``pistor.intake.demo``) and written through the real
services. A patient who already has a plan is left alone, and prices are only set while
the clinic has none, so loading the demo again changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

from django.utils import timezone
from PIL import Image, ImageDraw

from pistor.accounts.models import User
from pistor.clinics.models import Clinic
from pistor.consents.constants import ConsentKind
from pistor.consents.services import consent_countersign, consent_create, consent_patient_sign
from pistor.patients.models import Patient
from pistor.plans.models import Plan, PriceItem
from pistor.plans.services import plan_create, price_item_set, pricing_settings_set

HARBOUR = "harbour-skin-clinic"

PRICES = [
    ("session", "localised-fat", "", "", "180.00"),
    ("session", "skin-rejuvenation", "", "", "150.00"),
    ("session", "skin-rejuvenation", "neck", "", "90.00"),
    ("session", "cellulite", "", "", "160.00"),
    ("session", "hair-loss", "", "", "170.00"),
    ("product", "", "", "lipostabil", "45.00"),
    ("product", "", "", "nctf-135ha", "40.00"),
]


def demo_signature(name: str) -> str:
    """A drawn-looking squiggle as a PNG data URL, different for each name."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(40 + i * 14, 120 - (ord(ch) * 7 % 70)) for i, ch in enumerate(name[:38])]
    draw.line(points, fill=(20, 20, 60, 255), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _fat_plan(clinic: Clinic, patient: Patient, by: User, start: dt.date) -> Plan:
    return plan_create(
        clinic=clinic,
        patient=patient,
        by=by,
        indication_code="localised-fat",
        protocol_code="lipolysis-pcdc",
        first_session=start,
        areas=["abdomen"],
        technique_code="point-by-point",
        product_codes=["lipostabil"],
    )


def plans_demo_load(*, clinic: Clinic) -> int:
    """Prices, a ready plan with signed consent, and a blocked plan; returns rows made."""
    if clinic.slug != HARBOUR:
        return 0
    practitioner = User.objects.filter(email__iexact="practitioner@harbour.example").first()
    manager = User.objects.filter(email__iexact="manager@harbour.example").first() or practitioner
    if practitioner is None or manager is None:
        return 0
    created = 0
    if not PriceItem.objects.for_clinic(clinic).exists():
        for kind, indication, area, product, amount in PRICES:
            price_item_set(
                clinic=clinic,
                by=manager,
                kind=kind,
                indication_code=indication,
                area=area,
                product_code=product,
                amount=amount,
            )
            created += 1
        pricing_settings_set(clinic=clinic, by=manager, vat_rate="20")

    start = timezone.localdate() + dt.timedelta(days=7)

    def fresh(given: str, family: str) -> Patient | None:
        patient = (
            Patient.objects.for_clinic(clinic).filter(given_name=given, family_name=family).first()
        )
        if patient is None or Plan.objects.for_clinic(clinic).filter(patient=patient).exists():
            return None
        return patient

    # Allergy test read negative (intake demo): consent signed, plan ready, gate open.
    if patient := fresh("Björn", "Lindqvist"):
        _fat_plan(clinic, patient, practitioner, start)
        consent = consent_create(
            clinic=clinic,
            patient=patient,
            by=practitioner,
            kind=ConsentKind.TREATMENT,
            indication_code="localised-fat",
            product_codes=["lipostabil"],
        )
        consent_patient_sign(
            consent=consent,
            signature=demo_signature(patient.full_name),
            signed_name=patient.full_name,
            actor=practitioner,
        )
        consent_countersign(
            consent=consent,
            practitioner=practitioner,
            signature=demo_signature(practitioner.full_name),
        )
        consent_create(
            clinic=clinic,
            patient=patient,
            by=practitioner,
            kind=ConsentKind.PHOTOGRAPHS,
            photo_uses=["record"],
        )
        created += 3
    # Allergic to soya: the phosphatidylcholine plan is blocked and the panel says why.
    if patient := fresh("Chloé", "Dubois"):
        _fat_plan(clinic, patient, practitioner, start)
        created += 1
    return created
