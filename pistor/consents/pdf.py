"""The signed consent as a PDF (WeasyPrint), with both signature images."""

from __future__ import annotations

from django.template.loader import render_to_string

from pistor.consents.models import Consent
from pistor.consents.signatures import png_data_url
from pistor.patients.models import Patient
from pistor.records.models import Addendum, Withdrawal


def consent_pdf(
    *,
    consent: Consent,
    patient: Patient,
    addenda: list[Addendum],
    withdrawal: Withdrawal | None,
) -> bytes:
    from weasyprint import HTML  # imported late: loading it takes a moment

    html = render_to_string(
        "consents/consent_pdf.html",
        {
            "consent": consent,
            "patient": patient,
            "clinic": consent.clinic,
            "addenda": addenda,
            "withdrawal": withdrawal,
            "patient_signature": png_data_url(consent.patient_signature),
            "countersignature": png_data_url(consent.countersignature),
        },
    )
    return bytes(HTML(string=html).write_pdf())
