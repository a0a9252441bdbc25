"""The clinic's audit trail, for managers: who did what to which record, and what changed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pistor.accounts.access import staff_required
from pistor.audit.forms import AuditFilterForm
from pistor.audit.selectors import (
    AuditPage,
    audit_actor_choices,
    audit_changes,
    audit_event_get,
    audit_event_label,
    audit_event_list,
    audit_has_changes,
    audit_is_view,
    audit_patient_id_for_record_number,
    audit_subject_names,
    audit_view_details,
)
from pistor.clinics.permissions import Action, can

PAGE_SIZE = 50
FILTER_FIELDS = (
    "event_type",
    "actor",
    "record",
    "subject_type",
    "subject_id",
    "date_from",
    "date_to",
)


def _may_see_patient_names(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and can(membership.role, Action.PATIENT_VIEW)


@staff_required(Action.AUDIT_VIEW)
def audit_list_view(request: HttpRequest) -> HttpResponse:
    clinic = request.clinic  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None, actors=audit_actor_choices(clinic=clinic))
    filters: dict = {}
    older_than = None
    page = AuditPage([], None)
    searchable = True
    if form.is_bound:
        form.is_valid()
        # Apply the filters that parsed; the ones that did not are shown with their error.
        data = form.cleaned_data
        filters = {
            "event_type": data.get("event_type") or "",
            "actor_id": data.get("actor"),
            "subject_type": data.get("subject_type") or "",
            "subject_id": (data.get("subject_id") or "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
        older_than = data.get("older_than")
        record = (data.get("record") or "").strip()
        if record:
            patient_id = audit_patient_id_for_record_number(clinic=clinic, record_number=record)
            if patient_id is None:
                searchable = False
                form.add_error("record", "No patient of this clinic has this record number.")
            else:
                filters["subject_type"], filters["subject_id"] = "patient", patient_id
    if searchable:
        page = audit_event_list(clinic=clinic, limit=PAGE_SIZE, older_than=older_than, **filters)
    names = audit_subject_names(
        clinic=clinic, events=page.events, show_patient_names=_may_see_patient_names(request)
    )
    rows = [
        {
            "event": e,
            "label": audit_event_label(e),
            "subject": names.get((e.subject_type, e.subject_id), ""),
            "has_changes": audit_has_changes(e),
        }
        for e in page.events
    ]
    kept = {k: request.GET.get(k, "") for k in FILTER_FIELDS if request.GET.get(k)}
    context = {
        "form": form,
        "rows": rows,
        "events": page.events,
        "first_url": "?" + urlencode(kept) if older_than else None,
        "next_url": (
            "?" + urlencode({**kept, "older_than": page.older_than}) if page.older_than else None
        ),
        "is_filtered": bool(kept),
    }
    response = render(request, "audit/event_list.html", context)
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Action.AUDIT_VIEW)
def audit_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = request.clinic  # type: ignore[attr-defined]
    event = audit_event_get(clinic=clinic, pk=pk)
    show_patient_names = _may_see_patient_names(request)
    names = audit_subject_names(
        clinic=clinic, events=[event], show_patient_names=show_patient_names
    )
    response = render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "label": audit_event_label(event),
            "subject": names.get((event.subject_type, event.subject_id), ""),
            # A view records who looked, not a change: its details are not "what changed".
            "changes": audit_changes(event) if audit_has_changes(event) else [],
            # A search's words may be a patient's name: shown to those who may see names.
            "details": audit_view_details(event) if show_patient_names else [],
            "is_view": audit_is_view(event),
        },
    )
    response["Cache-Control"] = "no-store"
    return response
