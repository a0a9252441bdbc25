"""The plan's quote as a PDF (WeasyPrint), with the clinic's details."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from pistor.patients.models import Patient
from pistor.plans.models import Plan
from pistor.plans.selectors import Quote


def quote_pdf(*, plan: Plan, patient: Patient, quote: Quote) -> bytes:
    from weasyprint import HTML  # imported late: loading it takes a moment

    html = render_to_string(
        "plans/quote_pdf.html",
        {
            "plan": plan,
            "patient": patient,
            "clinic": plan.clinic,
            "quote": quote,
            "sessions": list(plan.planned_sessions.all()),
            "today": timezone.localdate(),
        },
    )
    return bytes(HTML(string=html).write_pdf())
