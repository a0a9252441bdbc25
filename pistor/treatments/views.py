"""Treatment-session pages: start (through the gate), the session with its cocktail, body
map and sign-off, addenda, the aftercare sheet (page and PDF), a patient's sessions."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinics.permissions import Action, can
from pistor.core import clock
from pistor.core.errors import ApplicationError, GateBlocked, ValidationFailed
from pistor.inventory.selectors import batch_choices
from pistor.patients.access import patient_get_for_user
from pistor.plans.selectors import plan_get
from pistor.treatments import services
from pistor.treatments.constants import (
    MAP_HEIGHT,
    MAP_WIDTH,
    REGION_CHOICES,
    Device,
    Reaction,
    ReactionSeverity,
)
from pistor.treatments.models import TreatmentSession
from pistor.treatments.pdf import aftercare_pdf
from pistor.treatments.selectors import (
    aftercare_for_session,
    chart_area_get,
    chart_points,
    cocktail_summary,
    course_progress,
    patient_weight,
    region_label,
    session_addenda,
    session_duration,
    session_get,
    session_list,
)

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _session(request: HttpRequest, pk: int, action: Action) -> TreatmentSession:
    session = session_get(clinic_id=_clinic(request).pk, pk=pk)
    session.patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=session.patient_id, action=action
    )
    return session


_FIX_LINKS = {
    "consent": ("consents:list", "Consents"),
    "allergy": ("allergytests:list", "Allergy tests"),
    "screening": ("consultations:list", "Consultation"),
    "override": ("consultations:list", "Consultation"),
    "intake": ("intake:history", "Intake"),
}


def _fix_link(code: str, patient_pk: int) -> tuple[str, str]:
    if code.startswith("batch"):
        return reverse("inventory:receive"), "Goods-in (stock)"
    for prefix, (name, label) in _FIX_LINKS.items():
        if code.startswith(prefix):
            try:
                return reverse(name, args=[patient_pk]), label
            except NoReverseMatch:
                break
    return reverse("patients:detail", args=[patient_pk]), "Patient record"


def _blocked(
    request: HttpRequest, patient: Any, exc: GateBlocked, plan: Any = None
) -> HttpResponse:
    reasons = [
        {**r, "link": _fix_link(r["code"], patient.pk)[0], "link_label": _fix_link(
            r["code"], patient.pk)[1]}
        for r in exc.reasons
    ]  # fmt: skip
    response = render(
        request,
        "treatments/session_blocked.html",
        {"patient": patient, "plan": plan, "reasons": reasons, "message": exc.message},
        status=409,
    )
    return _no_store(response)


@staff_required(Action.TREATMENT_RECORD)
@never_cache
@require_POST
def session_start_view(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = plan_get(clinic_id=_clinic(request).pk, pk=plan_pk)
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=plan.patient_id,
        action=Action.TREATMENT_RECORD,
    )  # fmt: skip
    plan.patient = patient
    try:
        session = services.session_start(
            clinic=_clinic(request), patient=patient, plan=plan, by=_actor(request)
        )
    except GateBlocked as exc:
        return _blocked(request, patient, exc, plan)
    return redirect("treatments:detail", pk=session.pk)


@staff_required(Action.TREATMENT_RECORD)
@never_cache
@require_POST
def session_start_unplanned_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=patient_pk,
        action=Action.TREATMENT_RECORD,
    )  # fmt: skip
    try:
        session = services.session_start(
            clinic=_clinic(request),
            patient=patient,
            by=_actor(request),
            indication_code=request.POST.get("indication_code", ""),
            unplanned_reason=request.POST.get("unplanned_reason", ""),
        )
    except GateBlocked as exc:
        return _blocked(request, patient, exc)
    except ValidationFailed as exc:
        return _list(request, patient, error=exc, status=422)
    return redirect("treatments:detail", pk=session.pk)


def _list(
    request: HttpRequest, patient: Any, *, error: ApplicationError | None = None, status: int = 200
) -> HttpResponse:
    sessions = session_list(clinic_id=_clinic(request).pk, patient_id=patient.pk)
    rows = [
        {"session": s, "points": chart_points(s), "areas": list(s.chart_areas.all())}
        for s in sessions
    ]
    catalog = catalog_for_clinic(clinic=_clinic(request))
    response = render(
        request,
        "treatments/session_list.html",
        {
            "patient": patient,
            "rows": rows,
            "error": error,
            "indications": sorted((c, i.name) for c, i in catalog.indications.items()),
            "small_w": MAP_WIDTH * _SMALL,
            "small_h": MAP_HEIGHT * _SMALL,
        },
        status=status,
    )
    return _no_store(response)


_SMALL = Decimal("0.3")  # the small charts of the session list


@staff_required(Action.TREATMENT_VIEW)
@never_cache
def session_list_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get_for_user(
        request_or_user=request, clinic=_clinic(request), pk=patient_pk,
        action=Action.TREATMENT_VIEW,
    )  # fmt: skip
    return _list(request, patient)


def _detail(
    request: HttpRequest,
    session: TreatmentSession,
    *,
    error: ApplicationError | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    catalog = catalog_for_clinic(clinic=session.clinic)
    weight = patient_weight(patient=session.patient, now=now)
    lines = list(session.cocktail_lines.all())
    areas = list(session.chart_areas.all())
    screening = None
    screen_error = ""
    if lines or areas:
        try:
            screening = services.session_screen(session=session, lines=lines, areas=areas, now=now)
        except ValidationFailed as exc:
            screen_error = exc.message
    products = sorted((c, p.name) for c, p in catalog.products.items())
    batches = {}
    if not session.is_signed:
        for line_code, _name in products:
            choices = batch_choices(clinic=session.clinic, product_code=line_code, on=now.date())
            if choices:
                batches[line_code] = choices
    duration, duration_finding = session_duration(session=session)
    role = getattr(request, "membership", None)
    role = getattr(role, "role", None)
    context = {
        "session": session,
        "patient": session.patient,
        "lines": lines,
        "areas": [
            {"area": a, "label": region_label(a.region), "n": i}
            for i, a in enumerate(areas, start=1)
        ],  # fmt: skip
        "points": chart_points(session),
        "summary": cocktail_summary(session=session, weight_kg=weight),
        "weight": weight,
        "screening": screening,
        "screen_error": screen_error,
        "products": products,
        "ingredients": sorted((c, i.name) for c, i in catalog.ingredients.items()),
        "techniques": sorted(catalog.techniques.values(), key=lambda t: t.depth_min.value),
        "regions": REGION_CHOICES,
        "devices": Device.choices,
        "batches": batches,
        "addenda": session_addenda(session=session),
        "progress": course_progress(plan=session.plan) if session.plan is not None else None,
        "error": error,
        "error_form": form,
        "map_w": MAP_WIDTH,
        "map_h": MAP_HEIGHT,
        "can_sign": can(role, Action.TREATMENT_SIGN),
        "duration": duration,
        "duration_finding": duration_finding,
        "reaction_rows": [
            (value, label, (session.reactions or {}).get(value, ""))
            for value, label in Reaction.choices
        ],
        "severities": ReactionSeverity.choices,
        "times": {
            name: _local_input(getattr(session, name))
            for name in ("anaesthetic_applied_at", "treatment_start", "treatment_end")
        },
    }
    return _no_store(render(request, "treatments/session_detail.html", context, status=status))


@staff_required(Action.TREATMENT_VIEW)
@never_cache
def session_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _session(request, pk, Action.TREATMENT_VIEW))


def _local_input(value: Any) -> str:
    """A stored time as a datetime-local input shows it, in the clinic's time zone."""
    return "" if value is None else f"{timezone.localtime(value):%Y-%m-%dT%H:%M}"


def _status(exc: ApplicationError) -> int:
    return 422 if isinstance(exc, ValidationFailed) else 409


def _write(request: HttpRequest, pk: int, form: str, action: Action, do: Any) -> HttpResponse:
    session = _session(request, pk, action)
    try:
        do(session)
    except ApplicationError as exc:
        # Re-read: nothing of the refused write is shown as if it had been saved.
        fresh = _session(request, pk, action)
        return _detail(request, fresh, error=exc, form=form, status=_status(exc))
    return redirect(reverse("treatments:detail", args=[pk]) + f"#{form}")


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def line_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        services.cocktail_line_add(
            session=session, by=_actor(request), **_line_fields(request.POST)
        )

    return _write(request, pk, "cocktail", Action.TREATMENT_RECORD, do)


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def line_remove_view(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        line = next((x for x in session.cocktail_lines.all() if x.pk == line_pk), None)
        if line is None:
            from pistor.core.errors import NotFound

            raise NotFound("No such line.")
        line.session = session
        services.cocktail_line_remove(line=line, by=_actor(request))

    return _write(request, pk, "cocktail", Action.TREATMENT_RECORD, do)


def parse_points(text: str) -> list[services.PointIn]:
    """ "x,y;x,y" as posted by the body map's script (fractions of the drawing)."""
    points = []
    for i, chunk in enumerate(c for c in (text or "").split(";") if c.strip()):
        parts = chunk.split(",")
        if len(parts) != 2:
            raise ValidationFailed(
                "A chart point must lie on the drawing.", fields={f"points[{i}]": ["x,y"]}
            )
        points.append(services.PointIn(parts[0].strip(), parts[1].strip()))
    return points


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _area_fields(post: Any) -> dict[str, Any]:
    injections = _int(post.get("injections"))
    return {
        "region": post.get("region", ""),
        "technique_code": post.get("technique_code", ""),
        "depth": post.get("depth", ""),
        "needle_gauge": _int(post.get("needle_gauge")),
        "needle_length": post.get("needle_length") or None,
        "device": post.get("device", Device.MANUAL),
        "injections": injections if injections is not None else -1,
        "volume": post.get("volume") or "0",
        "volume_unit": post.get("volume_unit", "mL"),
        "points": parse_points(post.get("points", "")),
    }


def _line_fields(post: Any) -> dict[str, Any]:
    batch = post.get("batch_id") or None
    return {
        "code": post.get("code", ""),
        "volume": post.get("volume", ""),
        "volume_unit": post.get("volume_unit", "mL"),
        "concentration": post.get("concentration") or None,
        "concentration_unit": post.get("concentration_unit", "mg/mL"),
        "batch_id": int(batch) if batch and batch.isdigit() else None,
    }


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def area_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        services.chart_area_add(session=session, by=_actor(request), **_area_fields(request.POST))

    return _write(request, pk, "chart", Action.TREATMENT_RECORD, do)


@staff_required(Action.TREATMENT_RECORD)
@never_cache
@require_POST
def preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings as the cocktail or area form is typed (HTMX, ``hx-trigger`` on input):
    the form's values re-screened with the safety engine, nothing saved. A half-typed form
    (no volume, no depth yet) previews what is already saved."""
    session = _session(request, pk, Action.TREATMENT_RECORD)
    post = request.POST
    form = post.get("form", "")
    try:
        line = _line_fields(post) if form == "line" and post.get("volume", "").strip() else None
        area = _area_fields(post) if form == "area" and post.get("depth", "").strip() else None
        preview = services.session_preview(session=session, line=line, area=area)
    except ApplicationError as exc:
        return _no_store(
            render(request, "treatments/partials/screen.html", {"refused": exc}, status=200)
        )
    weight = patient_weight(patient=session.patient, now=clock.now())
    context = {
        "screening": preview.screening,
        "refused": preview.refused,
        "preview": True,
        "summary": cocktail_summary(session=session, weight_kg=weight, lines=preview.lines),
        "weight": weight,
    }
    return _no_store(render(request, "treatments/partials/screen.html", context))


def _reactions(post: Any) -> list[services.ReactionIn]:
    return [
        services.ReactionIn(kind, post.get(f"reaction_{kind}", ""))
        for kind in Reaction.values
        if post.get(f"reaction_{kind}", "")
    ]


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def details_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def do(session: TreatmentSession) -> None:
        services.session_details_set(
            session=session,
            by=_actor(request),
            anaesthetic_product=post.get("anaesthetic_product", ""),
            anaesthetic_applied_at=post.get("anaesthetic_applied_at", ""),
            treatment_start=post.get("treatment_start", ""),
            treatment_end=post.get("treatment_end", ""),
            reactions=_reactions(post),
            notes=post.get("notes", ""),
        )

    return _write(request, pk, "details", Action.TREATMENT_RECORD, do)


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def area_remove_view(request: HttpRequest, pk: int, area_pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        services.chart_area_remove(area=chart_area_get(session=session, pk=area_pk),
                                   by=_actor(request))  # fmt: skip

    return _write(request, pk, "chart", Action.TREATMENT_RECORD, do)


@staff_required(Action.TREATMENT_SIGN)
@require_POST
def sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        services.session_sign(session=session, signer=_actor(request),
                              notes=request.POST.get("notes", ""))  # fmt: skip

    return _write(request, pk, "sign", Action.TREATMENT_SIGN, do)


@staff_required(Action.TREATMENT_RECORD)
@require_POST
def addendum_view(request: HttpRequest, pk: int) -> HttpResponse:
    def do(session: TreatmentSession) -> None:
        services.session_add_addendum(
            session=session, author=_actor(request), text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
        )  # fmt: skip

    return _write(request, pk, "addenda", Action.TREATMENT_RECORD, do)


@staff_required(Action.TREATMENT_VIEW)
@never_cache
def aftercare_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk, Action.TREATMENT_VIEW)
    context = {"session": session, "patient": session.patient,
               "aftercare": aftercare_for_session(session=session)}  # fmt: skip
    return _no_store(render(request, "treatments/aftercare.html", context))


@staff_required(Action.TREATMENT_VIEW)
@never_cache
def aftercare_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk, Action.TREATMENT_VIEW)
    pdf = aftercare_pdf(session=session, aftercare=aftercare_for_session(session=session))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="aftercare-{session.pk}.pdf"'
    return _no_store(response)
