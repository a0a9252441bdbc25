"""The stock room's pages: thin — parse, call one service or selector, render.

Pages that show patients (trace, a patient's batches) are sent with ``no-store``.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pistor.accounts.access import staff_required
from pistor.catalog.selectors import catalog_for_clinic
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.units import Quantity
from pistor.clinics.models import Clinic
from pistor.clinics.permissions import Action, can
from pistor.core.errors import ApplicationError, Forbidden, ValidationFailed
from pistor.core.pagination import page_of
from pistor.inventory import selectors, services
from pistor.inventory.forms import (
    CountForm,
    FridgeForm,
    MovementForm,
    ProductForm,
    ReadingForm,
    RecallForm,
    ReceiveForm,
    UseForm,
)
from pistor.patients.access import patient_get_for_user


def _clinic(request: HttpRequest) -> Clinic:
    return cast("Clinic", request.clinic)  # type: ignore[attr-defined]  # set by middleware


def _attach(form: forms.Form, exc: ApplicationError) -> int:
    """Put a service's refusal on the form: beside its field, or at the top."""
    for name, problems in (exc.extra.get("fields") or {}).items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
    form.add_error(None, exc.message)
    return exc.status


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - the form declares it so
    field.choices = choices


def _quantity(value: Decimal, unit: str, field: str = "quantity") -> Quantity:
    try:
        return Quantity.of(value, unit, field=field)
    except ClinicalDataError as exc:
        raise ValidationFailed(exc.message, fields={field: [exc.message]}) from None


def _product_choices(clinic: Clinic) -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in selectors.product_list(clinic=clinic)]


@staff_required(Action.INVENTORY_VIEW)
def stock_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    return render(
        request,
        "inventory/stock.html",
        {
            "products": selectors.product_list(clinic=clinic),
            "alerts": selectors.alerts_get(clinic=clinic),
        },
    )


BATCHES_PER_PAGE = 100


@staff_required(Action.INVENTORY_VIEW)
def batch_list_view(request: HttpRequest) -> HttpResponse:
    include_empty = request.GET.get("all") == "1"
    page = page_of(
        selectors.batch_list(clinic=_clinic(request), include_empty=include_empty),
        number=request.GET.get("page"),
        per_page=BATCHES_PER_PAGE,
    )
    return render(
        request,
        "inventory/batch_list.html",
        {
            "page": page,
            "batches": page.items,
            "include_empty": include_empty,
            "pager_query": "all=1&" if include_empty else "",
            "today": timezone.localdate(),
        },
    )


@staff_required(Action.INVENTORY_RECEIVE)
@require_http_methods(["GET", "POST"])
def receive_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = ReceiveForm(request.POST or None)
    _set_choices(form, "product", _product_choices(clinic))
    fridges = selectors.fridge_list(clinic=clinic)
    _set_choices(form, "fridge", [("", "—")] + [(str(f.pk), f.name) for f in fridges])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            fridge = next((f for f in fridges if str(f.pk) == data["fridge"]), None)
            try:
                batch = services.batch_receive(
                    clinic=clinic,
                    actor=request.user,
                    product_code=data["product"],
                    lot=data["lot"],
                    expires_on=data["expires_on"],
                    quantity=_quantity(data["quantity"], data["unit"]),
                    supplier=data["supplier"],
                    delivery_note=data["delivery_note"],
                    fridge=fridge,
                )
            except ApplicationError as exc:
                status = _attach(form, exc)
            else:
                messages.success(request, f"Received lot {batch.lot} of {batch.product.name}.")
                return redirect("inventory:batch", pk=batch.pk)
        else:
            status = 422
    return render(request, "inventory/batch_receive.html", {"form": form}, status=status)


@never_cache
@staff_required(Action.INVENTORY_USE)
@require_http_methods(["GET", "POST"])
def use_view(request: HttpRequest) -> HttpResponse:
    """Record product given to a patient (the page a session or allergy test links to)."""
    clinic = _clinic(request)
    if not request.GET.get("patient"):
        # Opened without a patient (a bookmark, a bad link): say how to get here rather
        # than a bare "not found", which would read as a missing page.
        return HttpResponse("Open a patient's record first.", status=400, content_type="text/plain")
    patient = patient_get_for_user(
        request_or_user=request, clinic=clinic, pk=request.GET.get("patient") or 0
    )
    form = UseForm(request.POST or None, initial={"product": request.GET.get("product")})
    _set_choices(form, "product", _product_choices(clinic))
    code = request.POST.get("product") or request.GET.get("product") or ""
    products = _product_choices(clinic)
    if not code and products:
        code = products[0][0]
    choices = selectors.batch_choices(clinic=clinic, product_code=code) if code else []
    _set_choices(
        form,
        "batch",
        [("", "First to expire (recommended)")]
        + [
            (
                str(b.pk),
                f"Lot {b.lot} · expires {b.expires_on:%d %b %Y} · {b.quantity_on_hand} left",
            )
            for b in choices
        ],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            batch = next((b for b in choices if str(b.pk) == data["batch"]), None)
            try:
                given = services.stock_use(
                    clinic=clinic,
                    actor=request.user,
                    patient=patient,
                    product_code=data["product"],
                    quantity=_quantity(data["quantity"], data["unit"]),
                    batch=batch,
                    occasion=data["occasion"],
                    occasion_ref=data["occasion_ref"],
                )
            except ApplicationError as exc:
                status = _attach(form, exc)
            else:
                messages.success(
                    request, f"Recorded {given.quantity} {given.unit} from lot {given.batch.lot}."
                )
                return redirect("inventory:patient_batches", pk=patient.pk)
        else:
            status = 422
    return render(
        request,
        "inventory/use.html",
        {"form": form, "patient": patient, "code": code},
        status=status,
    )


@staff_required(Action.INVENTORY_MANAGE)
@require_http_methods(["GET", "POST"])
def product_create_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    stocked = {p.code for p in selectors.product_list(clinic=clinic)}
    catalog = catalog_for_clinic(clinic=clinic)
    form = ProductForm(request.POST or None)
    _set_choices(
        form,
        "code",
        [
            (p.code, f"{p.name} ({p.manufacturer})")
            for p in sorted(catalog.products.values(), key=lambda p: p.name.lower())
            if p.code not in stocked and not p.discontinued
        ],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None}
            try:
                product = services.product_create(
                    clinic=clinic, actor=request.user, code=data.pop("code"), **data
                )
            except ApplicationError as exc:
                status = _attach(form, exc)
            else:
                messages.success(request, f"{product.name} is now on the stock list.")
                return redirect("inventory:stock")
        else:
            status = 422
    return render(request, "inventory/product_form.html", {"form": form}, status=status)


def _batch_page(request: HttpRequest, pk: int, status: int = 200, **forms_: Any) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    context = {
        "batch": batch,
        "movements": selectors.movement_list(clinic=clinic, batch=batch),
        "recall_form": forms_.get("recall_form") or RecallForm(),
        "movement_form": forms_.get("movement_form") or MovementForm(),
        "count_form": forms_.get("count_form") or CountForm(),
        "today": timezone.localdate(),
    }
    return render(request, "inventory/batch_detail.html", context, status=status)


@staff_required(Action.INVENTORY_VIEW)
def batch_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, pk)


@staff_required(Action.INVENTORY_MANAGE)
@require_POST
def recall_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    form = RecallForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, pk, 422, recall_form=form)
    try:
        services.batch_recall(
            clinic=clinic,
            actor=request.user,
            batch=batch,
            reason=form.cleaned_data["reason"],
            reference=form.cleaned_data["reference"],
        )
    except ApplicationError as exc:
        return _batch_page(request, pk, _attach(form, exc), recall_form=form)
    messages.success(request, f"Lot {batch.lot} is recalled. Below: everyone who received it.")
    return redirect("inventory:trace", pk=batch.pk)


@staff_required(Action.INVENTORY_MANAGE)
@require_POST
def movement_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    form = MovementForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, pk, 422, movement_form=form)
    data = form.cleaned_data
    try:
        services.movement_record(
            clinic=clinic,
            actor=request.user,
            batch=batch,
            kind=data["kind"],
            quantity=_quantity(data["quantity"], data["unit"]),
            reason=data["reason"],
        )
    except ApplicationError as exc:
        return _batch_page(request, pk, _attach(form, exc), movement_form=form)
    messages.success(request, "Recorded.")
    return redirect("inventory:batch", pk=pk)


@staff_required(Action.INVENTORY_MANAGE)
@require_POST
def count_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    form = CountForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, pk, 422, count_form=form)
    data = form.cleaned_data
    try:
        services.stock_count(
            clinic=clinic,
            actor=request.user,
            batch=batch,
            counted=_quantity(data["counted"], data["unit"], "counted"),
            reason=data["reason"],
        )
    except ApplicationError as exc:
        return _batch_page(request, pk, _attach(form, exc), count_form=form)
    messages.success(request, "Count recorded.")
    return redirect("inventory:batch", pk=pk)


@staff_required(Action.INVENTORY_RECEIVE)
@require_POST
def open_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    try:
        container = services.container_open(clinic=clinic, actor=request.user, batch=batch)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("inventory:batch", pk=pk)
    messages.success(
        request,
        f"Vial #{container.pk} opened; use it by "
        f"{timezone.localtime(container.expires_at):%d %b %H:%M}.",
    )
    return redirect("inventory:containers")


@never_cache
@staff_required(Action.INVENTORY_TRACE)
def trace_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    rows = selectors.trace_batch(clinic=clinic, batch=batch)
    return render(request, "inventory/trace.html", {"batch": batch, "rows": rows})


@never_cache
@staff_required(Action.INVENTORY_TRACE)
def trace_csv_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    batch = selectors.batch_get(clinic=clinic, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="trace-{batch.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "given_at",
            "record_number",
            "patient",
            "phone",
            "email",
            "product",
            "lot",
            "vial",
            "quantity",
            "unit",
            "occasion",
            "reference",
        ]
    )
    for a in selectors.trace_batch(clinic=clinic, batch=batch):
        writer.writerow(
            [
                _csv_safe(v)
                for v in (
                    a.at.isoformat(),
                    a.patient.record_number,
                    a.patient.full_name,
                    a.patient.phone,
                    a.patient.email,
                    batch.product.name,
                    batch.lot,
                    a.container_id or "",
                    a.quantity,
                    a.unit,
                    a.occasion,
                    a.occasion_ref,
                )
            ]
        )
    return response


def _csv_safe(value: Any) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets (CSV injection).
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text[1:2].isdigit() else text


@staff_required(Action.INVENTORY_VIEW)
def container_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "inventory/container_list.html",
        {"containers": selectors.container_list(clinic=_clinic(request)), "now": timezone.now()},
    )


@never_cache
@staff_required(Action.INVENTORY_TRACE)
def container_trace_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    container = selectors.container_get(clinic=clinic, pk=pk)
    rows = selectors.trace_container(clinic=clinic, container=container)
    return render(
        request,
        "inventory/trace.html",
        {"batch": container.batch, "container": container, "rows": rows},
    )


@never_cache
@staff_required(Action.INVENTORY_VIEW)
def patient_batches_view(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    patient = patient_get_for_user(request_or_user=request, clinic=clinic, pk=pk)
    rows = selectors.patient_administration_list(clinic=clinic, patient_id=patient.pk)
    return render(request, "inventory/patient_batches.html", {"patient": patient, "rows": rows})


@staff_required(Action.INVENTORY_VIEW)
@require_http_methods(["GET", "POST"])
def fridge_view(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    role = request.membership.role  # type: ignore[attr-defined]
    fridges = selectors.fridge_list(clinic=clinic)
    reading_form = ReadingForm(request.POST if "celsius" in request.POST else None)
    _set_choices(reading_form, "fridge", [(str(f.pk), f.name) for f in fridges])
    fridge_form = FridgeForm(request.POST if "name" in request.POST else None)
    status = 200
    if request.method == "POST":
        needed = Action.INVENTORY_RECEIVE if "celsius" in request.POST else Action.INVENTORY_MANAGE
        if not can(role, needed):
            raise Forbidden("Your role at this clinic does not allow this.")
        try:
            if "celsius" in request.POST:
                if reading_form.is_valid():
                    fridge = next(
                        f for f in fridges if str(f.pk) == reading_form.cleaned_data["fridge"]
                    )
                    reading = services.fridge_reading_record(
                        clinic=clinic,
                        actor=request.user,
                        fridge=fridge,
                        celsius=reading_form.cleaned_data["celsius"],
                    )
                    if reading.excursion:
                        messages.warning(
                            request, "Outside the storage range: the batches in it are flagged."
                        )
                    return redirect("inventory:fridges")
                status = 422
            else:
                if fridge_form.is_valid():
                    services.fridge_create(
                        clinic=clinic, actor=request.user, name=fridge_form.cleaned_data["name"]
                    )
                    return redirect("inventory:fridges")
                status = 422
        except ApplicationError as exc:
            status = _attach(fridge_form if "name" in request.POST else reading_form, exc)
    return render(
        request,
        "inventory/fridges.html",
        {
            "fridges": fridges,
            "readings": selectors.reading_list(clinic=clinic),
            "reading_form": reading_form,
            "fridge_form": fridge_form,
            "can_record": can(role, Action.INVENTORY_RECEIVE),
            "can_manage": can(role, Action.INVENTORY_MANAGE),
        },
        status=status,
    )
