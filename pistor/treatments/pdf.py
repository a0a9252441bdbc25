"""The aftercare sheet as a PDF (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from pistor.treatments.models import TreatmentSession
from pistor.treatments.selectors import Aftercare


def aftercare_pdf(*, session: TreatmentSession, aftercare: Aftercare) -> bytes:
    from weasyprint import HTML  # imported late: loading it takes a moment

    html = render_to_string(
        "treatments/aftercare_pdf.html",
        {
            "session": session,
            "patient": session.patient,
            "clinic": session.clinic,
            "aftercare": aftercare,
            "today": timezone.localdate(),
        },
    )
    return bytes(HTML(string=html).write_pdf())
