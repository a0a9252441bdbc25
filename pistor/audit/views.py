"""The clinic's audit trail, for managers: who did what to which record, and what changed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pistor.accounts.access import staff_required
from pistor.audit.forms import AuditFilterForm
from pistor.audit.selectors import (
    audit_actor_choices,
    audit_changes,
    audit_event_get,
    audit_event_list,
    audit_event_type_list,
    audit_subject_type_list,
)
from pistor.clinics.permissions import Action

PAGE_SIZE = 50
FILTER_FIELDS = ("event_type", "actor", "subject_type", "subject_id", "date_from", "date_to")


@staff_required(Action.AUDIT_VIEW)
def audit_list_view(request: HttpRequest) -> HttpResponse:
    clinic = request.clinic  # type: ignore[attr-defined]
    form = AuditFilterForm(
        request.GET or None,
        event_types=audit_event_type_list(clinic=clinic),
        actors=audit_actor_choices(clinic=clinic),
        subject_types=audit_subject_type_list(clinic=clinic),
    )
    filters: dict = {}
    page = 1
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
        page = data.get("page") or 1
    events, total = audit_event_list(
        clinic=clinic, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters
    )
    kept = {k: request.GET.get(k, "") for k in FILTER_FIELDS if request.GET.get(k)}
    shown_to = (page - 1) * PAGE_SIZE + len(events)
    context = {
        "form": form,
        "events": events,
        "total": total,
        "shown_from": (page - 1) * PAGE_SIZE + 1 if events else 0,
        "shown_to": shown_to,
        "previous_url": "?" + urlencode({**kept, "page": page - 1}) if page > 1 else None,
        "next_url": "?" + urlencode({**kept, "page": page + 1}) if shown_to < total else None,
        "is_filtered": bool(kept),
    }
    return render(request, "audit/event_list.html", context)


@staff_required(Action.AUDIT_VIEW)
def audit_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = audit_event_get(clinic=request.clinic, pk=pk)  # type: ignore[attr-defined]
    return render(
        request, "audit/event_detail.html", {"event": event, "changes": audit_changes(event)}
    )
