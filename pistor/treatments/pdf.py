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


def aftercare_message(*, session: TreatmentSession) -> tuple[str, str, str]:
    """The aftercare for the patient's email: subject, plain text and HTML, from the same
    ``aftercare_for_session`` as the page and the PDF. ``pistor.messaging`` sends it (with
    the PDF from ``aftercare_pdf`` attached if it wishes); nothing is sent from here."""
    from pistor.treatments.selectors import aftercare_for_session

    aftercare = aftercare_for_session(session=session)
    context = {
        "session": session,
        "patient": session.patient,
        "clinic": session.clinic,
        "aftercare": aftercare,
    }
    subject = f"Aftercare after your treatment on {session.started_at:%d %B %Y}"
    text = render_to_string("treatments/aftercare_email.txt", context)
    html = render_to_string("treatments/aftercare_pdf.html", {**context, "today": None})
    return subject, text, html
