"""Outcome pages: a patient's scores with the progress chart and their side effects, the
review list of flagged side effects, the safety-net call worklist and the clinic report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical import adverse
from pistor.clinics.permissions import Action, can
from pistor.core import clock
from pistor.core.errors import ApplicationError, ValidationFailed
from pistor.outcomes import selectors, services
from pistor.outcomes.constants import ActionTaken, CallStatus, Outcome, Timepoint
from pistor.outcomes.report import outcomes_report, report_csv
from pistor.patients.access import patient_get_for_user

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    return getattr(membership, "role", None)


def _patient(request: HttpRequest, pk: int, action: Action) -> Patient:
    return patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=pk, action=action
    )


def _date(raw: str | None, field: str, *, required: bool) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise ValidationFailed("Give the date.", fields={field: ["Give the date."]})
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        message = "Give the date as YYYY-MM-DD."
        raise ValidationFailed(message, fields={field: [message]}) from None


def _int(raw: str | None, field: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        message = "Give a whole number."
        raise ValidationFailed(message, fields={field: [message]}) from None


def _posted(request: HttpRequest) -> dict[str, str]:
    """The form's fields (last value of each), to refill the form after a refusal."""
    return {k: str(request.POST.get(k, "")) for k in request.POST if k != "csrfmiddlewaretoken"}


def _pairs(catalog: Any) -> list[tuple[str, str]]:
    """Every indication and the scales the catalog lists for it, as "indication:scale"."""
    return [
        (f"{code}:{scale}", f"{ind.name}: {catalog.scales[scale].name}")
        for code, ind in sorted(catalog.indications.items(), key=lambda kv: kv[1].name)
        for scale in ind.outcome_scales
        if scale in catalog.scales
    ]


def _patient_page(
    request: HttpRequest,
    patient: Patient,
    *,
    error: ApplicationError | None = None,
    form: str = "",
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = _clinic(request)
    catalog = catalog_for_clinic(clinic=clinic)
    today = clock.now().date()
    measurements = selectors.measurement_list(clinic_id=clinic.pk, patient_id=patient.pk)
    sessions = selectors.session_dates(clinic_id=clinic.pk, patient_id=patient.pk)
    effects = selectors.side_effect_list(clinic_id=clinic.pk, patient_id=patient.pk)
    posted = posted or {}
    pair = request.GET.get("pair") or posted.get("pair", "")
    indication_code, _, scale_code = pair.partition(":")
    scale = catalog.scales.get(scale_code)
    patient_sessions = selectors.session_choices(clinic_id=clinic.pk, patient_id=patient.pk)
    batch_choices = selectors.patient_batch_choices(clinic_id=clinic.pk, patient_id=patient.pk)
    context = {
        "patient": patient,
        "charts": selectors.progress_charts(
            measurements=measurements, sessions=sessions, catalog=catalog
        ),
        "measurements": measurements,
        "effects": [
            {
                "effect": e,
                "reasons": selectors.review_reasons(e, catalog, today),
                "name": catalog.side_effects[e.event_code].name
                if e.event_code in catalog.side_effects
                else e.event_code,
            }
            for e in effects
        ],  # fmt: skip
        "pairs": _pairs(catalog),
        "pair": pair,
        "scale": scale,
        "items": [
            {"item": item, "value": posted.get(f"item-{item.code}", "")}
            for item in (scale.items if scale else ())
        ],
        "indication_code": indication_code,
        "timepoints": Timepoint.choices,
        "patient_sessions": patient_sessions,
        "batch_choices": batch_choices,
        "side_effects": sorted((c, s.name) for c, s in catalog.side_effects.items()),
        "ctcae": sorted(adverse.CTCAE_GRADES.items()),
        "local_kinds": [(k, v[0]) for k, v in adverse.LOCAL_REACTIONS.items()],
        "local_grades": range(1, 5),
        "actions": ActionTaken.choices,
        "outcomes": Outcome.choices,
        "follow_ups": list(
            selectors.patient_follow_ups(clinic_id=clinic.pk, patient_id=patient.pk)[:50]
        ),
        "error": error,
        "error_form": form,
        "field_errors": error.extra.get("fields", {}) if error is not None else {},
        "posted": posted,
        "today": today,
        "can_record": can(_role(request), Action.OUTCOME_RECORD),
        "can_trace": can(_role(request), Action.INVENTORY_TRACE),
    }
    response = render(request, "outcomes/patient_outcomes.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Action.OUTCOME_VIEW)
@never_cache
def patient_outcomes_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    return _patient_page(request, _patient(request, patient_pk, Action.OUTCOME_VIEW))


def _status(exc: ApplicationError) -> int:
    return exc.status if exc.status >= 400 else 400


@staff_required(Action.OUTCOME_RECORD)
@never_cache
@require_POST
def measurement_add_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _patient(request, patient_pk, Action.OUTCOME_RECORD)
    posted = _posted(request)
    indication_code, _, scale_code = posted.get("pair", "").partition(":")
    answers = {k[len("item-") :]: v for k, v in posted.items() if k.startswith("item-")}
    try:
        services.measurement_record(
            clinic=_clinic(request),
            patient=patient,
            by=_actor(request),
            scale_code=scale_code,
            indication_code=indication_code,
            answers=answers,
            timepoint=posted.get("timepoint", ""),
            measured_on=_date(posted.get("measured_on"), "measured_on", required=False),
            session_id=_int(posted.get("session_id"), "session_id"),
            session_number=_int(posted.get("session_number"), "session_number"),
        )
    except ApplicationError as exc:
        return _patient_page(
            request, patient, error=exc, form="measurement", posted=posted, status=_status(exc)
        )
    messages.success(request, "Score recorded.")
    return redirect("outcomes:patient", patient_pk=patient.pk)


@staff_required(Action.OUTCOME_RECORD)
@never_cache
@require_POST
def side_effect_add_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _patient(request, patient_pk, Action.OUTCOME_RECORD)
    posted = _posted(request)
    try:
        grade = _int(posted.get("grade"), "grade")
        if grade is None:
            raise ValidationFailed("Give the grade.", fields={"grade": ["Give the grade."]})
        batch_ids = [_int(b, "batch_ids") for b in request.POST.getlist("batch_ids") if b]
        services.side_effect_record(
            clinic=_clinic(request),
            patient=patient,
            by=_actor(request),
            event_code=posted.get("event_code", ""),
            onset=cast("dt.date", _date(posted.get("onset"), "onset", required=True)),
            resolved_on=_date(posted.get("resolved_on"), "resolved_on", required=False),
            grade=grade,
            local_kind=posted.get("local_kind", ""),
            local_grade=_int(posted.get("local_grade"), "local_grade"),
            areas=posted.get("areas", ""),
            description=posted.get("description", ""),
            session_id=_int(posted.get("session_id"), "session_id"),
            batch_ids=[b for b in batch_ids if b is not None],
            action_taken=posted.get("action_taken") or ActionTaken.NONE,
            action_note=posted.get("action_note", ""),
            outcome=posted.get("outcome", ""),
        )
    except ApplicationError as exc:
        return _patient_page(
            request, patient, error=exc, form="side_effect", posted=posted, status=_status(exc)
        )
    messages.success(request, "Side effect recorded.")
    return redirect("outcomes:patient", patient_pk=patient.pk)


@staff_required(Action.OUTCOME_RECORD)
@never_cache
@require_POST
def side_effect_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    effect = selectors.side_effect_get(clinic_id=_clinic(request).pk, pk=pk)
    patient = _patient(request, effect.patient_id, Action.OUTCOME_RECORD)
    try:
        services.side_effect_resolve(
            effect=effect,
            by=_actor(request),
            resolved_on=cast(
                "dt.date", _date(request.POST.get("resolved_on"), "resolved_on", required=True)
            ),
            outcome=request.POST.get("outcome") or Outcome.RESOLVED,
        )
    except ApplicationError as exc:
        return _patient_page(request, patient, error=exc, form="resolve", status=_status(exc))
    messages.success(request, "Side effect resolved.")
    return redirect("outcomes:patient", patient_pk=patient.pk)


@staff_required(Action.SIDE_EFFECT_REVIEW)
@never_cache
def review_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    catalog = catalog_for_clinic(clinic=clinic)
    today = clock.now().date()
    rows = [
        {"effect": e, "reasons": selectors.review_reasons(e, catalog, today),
         "name": catalog.side_effects[e.event_code].name
         if e.event_code in catalog.side_effects else e.event_code}
        for e in selectors.review_list(clinic_id=clinic.pk, today=today)
    ]  # fmt: skip
    return render(
        request,
        "outcomes/review_list.html",
        {"rows": rows, "can_trace": can(_role(request), Action.INVENTORY_TRACE)},
    )


@staff_required(Action.SIDE_EFFECT_REVIEW)
@never_cache
@require_POST
def side_effect_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    effect = selectors.side_effect_get(clinic_id=_clinic(request).pk, pk=pk)
    _patient(request, effect.patient_id, Action.SIDE_EFFECT_REVIEW)
    try:
        services.side_effect_review(
            effect=effect, by=_actor(request), note=request.POST.get("note", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("outcomes:review")
    messages.success(request, "Review recorded.")
    return redirect("outcomes:review")


@staff_required(Action.OUTCOME_VIEW)
@never_cache
def calls_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    today = clock.now().date()
    calls = selectors.follow_up_due_list(clinic_id=clinic.pk, today=today)
    return render(
        request,
        "outcomes/call_list.html",
        {
            "calls": calls,
            "today": today,
            "statuses": [c for c in CallStatus.choices if c[0] != CallStatus.DUE],
            "can_record": can(_role(request), Action.OUTCOME_RECORD),
        },
    )


@staff_required(Action.OUTCOME_RECORD)
@never_cache
@require_POST
def call_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.follow_up_call_get(clinic_id=_clinic(request).pk, pk=pk)
    _patient(request, call.patient_id, Action.OUTCOME_RECORD)
    try:
        services.follow_up_call_record(
            call=call,
            by=_actor(request),
            status=request.POST.get("status", ""),
            notes=request.POST.get("notes", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("outcomes:calls")
    messages.success(request, "Call recorded.")
    return redirect("outcomes:calls")


@staff_required(Action.OUTCOME_REPORT)
@never_cache
def report_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    report = outcomes_report(clinic_id=clinic.pk, catalog=catalog_for_clinic(clinic=clinic))
    return render(request, "outcomes/report.html", {"report": report})


@staff_required(Action.OUTCOME_REPORT)
@never_cache
def report_csv_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    report = outcomes_report(clinic_id=clinic.pk, catalog=catalog_for_clinic(clinic=clinic))
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes-report.csv"'
    return response
