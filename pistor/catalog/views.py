"""Catalog reference pages, and managers' pages for the clinic's own protocols and products.

Views stay thin: look up through the selectors, lay out drawings with ``drawing``, write
through the services. An unknown code answers the 404 page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from pistor.accounts.access import staff_required
from pistor.catalog import selectors, services
from pistor.catalog.drawing import next_monday, skin_drawing, timeline_layout
from pistor.catalog.forms import (
    ComponentFormSet,
    PhaseFormSet,
    ProductForm,
    ProtocolForm,
    attach_errors,
    product_data,
    product_initial,
    protocol_data,
    protocol_initial,
)
from pistor.clinical.catalog import load_catalog, resolve_sources
from pistor.clinical.catalog.types import Catalog, Protocol
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.protocols import plan_course
from pistor.clinics.permissions import Action, can
from pistor.core.errors import Conflict, ValidationFailed
from pistor.core.htmx import htmx_partial

_T = TypeVar("_T")


def _lookup(entries: Mapping[str, _T], code: str) -> _T:
    try:
        return entries[code]
    except KeyError:
        raise Http404("No catalog entry has this code.") from None


def _sources(catalog: Catalog, tags: tuple[str, ...]) -> list[Any]:
    try:
        return resolve_sources(catalog, tags)
    except ClinicalDataError:
        return []


def _can_manage(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and can(membership.role, Action.CATALOG_MANAGE)


def _clinic(request: HttpRequest) -> Any:
    return request.clinic  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# Reference pages
# --------------------------------------------------------------------------------------


@staff_required(Action.CATALOG_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    sections = [
        (
            "catalog:indication_list",
            "Indications",
            len(catalog.indications),
            "What mesotherapy is used for, with the evidence behind each use.",
        ),
        (
            "catalog:protocol_list",
            "Protocols",
            len(catalog.protocols),
            "Course templates: how many sessions, how far apart, and maintenance.",
        ),
        (
            "catalog:ingredient_list",
            "Ingredients",
            len(catalog.ingredients),
            "Active substances, their cautions, interactions and label limits.",
        ),
        (
            "catalog:product_list",
            "Products",
            len(catalog.products),
            "Marketed and compounded products and what they contain.",
        ),
        (
            "catalog:technique_list",
            "Techniques",
            len(catalog.techniques),
            "Injection techniques with their depths drawn to scale.",
        ),
        (
            "catalog:scale_list",
            "Outcome scales",
            len(catalog.scales),
            "How results are measured: scores, bands and anchors.",
        ),
        (
            "catalog:side_effect_list",
            "Side effects",
            len(catalog.side_effects),
            "Expected reactions and complications, with warning signs.",
        ),
        (
            "catalog:aftercare_list",
            "Aftercare",
            len(catalog.aftercare),
            "Advice for patients after a session.",
        ),
        (
            "catalog:checklist",
            "Consultation checklist",
            len(catalog.checklist),
            "What to cover before a first treatment.",
        ),
    ]
    return render(
        request,
        "catalog/index.html",
        {"catalog": catalog, "sections": sections, "history": catalog.history},
    )


@staff_required(Action.CATALOG_VIEW)
def indication_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.indications.values(), key=lambda i: i.name.lower())
    return render(request, "catalog/indication_list.html", {"catalog": catalog, "items": items})


@staff_required(Action.CATALOG_VIEW)
def indication_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    indication = _lookup(catalog.indications, code)
    families = [
        {
            "family": family,
            "ingredients": [
                catalog.ingredients[c] for c in family.ingredients if c in catalog.ingredients
            ],
            "products": [catalog.products[c] for c in family.products if c in catalog.products],
        }
        for family in indication.cocktail_families
    ]
    return render(
        request,
        "catalog/indication_detail.html",
        {
            "catalog": catalog,
            "item": indication,
            "families": families,
            "techniques": [
                catalog.techniques[c] for c in indication.techniques if c in catalog.techniques
            ],
            "scales": [catalog.scales[c] for c in indication.outcome_scales if c in catalog.scales],
            "protocols": [
                catalog.protocols[c] for c in indication.protocols if c in catalog.protocols
            ],
            "sources": _sources(catalog, indication.sources),
        },
    )


@staff_required(Action.CATALOG_VIEW)
def protocol_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = selectors.protocol_list(clinic=_clinic(request), catalog=catalog)
    return render(
        request,
        "catalog/protocol_list.html",
        {
            "catalog": catalog,
            "items": items,
            "builtin": catalog.protocols,
            "can_manage": _can_manage(request),
        },
    )


def _sample_start(request: HttpRequest) -> tuple[date, str | None, str]:
    """The sample course's first day: ``?start=YYYY-MM-DD`` or next Monday."""
    default = next_monday(timezone.localdate())
    raw = request.GET.get("start", "").strip()
    if not raw:
        return default, None, default.isoformat()
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        return (
            default,
            (
                f"'{raw[:40]}' is not a date. Enter the first session's date as YYYY-MM-DD, "
                f"e.g. {default.isoformat()}."
            ),
            raw[:40],
        )
    if not 1900 <= start.year <= 2200:
        return default, "Choose a start date between the years 1900 and 2200.", raw[:40]
    return start, None, raw


def _timeline_context(protocol: Protocol, start: date) -> dict[str, Any]:
    sessions = plan_course(protocol, start)
    return {
        "sessions": sessions,
        "timeline": timeline_layout(sessions, [p.name for p in protocol.phases]),
    }


@staff_required(Action.CATALOG_VIEW)
def protocol_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    protocol = selectors.protocol_get(clinic=_clinic(request), code=code, catalog=catalog)
    is_clinic = code not in catalog.protocols
    entry = selectors.clinic_protocol_get(clinic=_clinic(request), code=code) if is_clinic else None
    start, start_error, start_value = _sample_start(request)
    context: dict[str, Any] = {
        "catalog": catalog,
        "item": protocol,
        "is_clinic": is_clinic,
        "entry": entry,
        "can_manage": _can_manage(request),
        "indications": [
            catalog.indications[c] for c in protocol.indications if c in catalog.indications
        ],
        "sources": _sources(catalog, protocol.sources),
        "start": start,
        "start_value": start_value,
        "start_error": start_error,
        **_timeline_context(protocol, start),
    }
    template = htmx_partial(
        request, "catalog/protocol_detail.html", "catalog/partials/sample_course.html"
    )
    return render(request, template, context, status=400 if start_error else 200)


@staff_required(Action.CATALOG_VIEW)
def ingredient_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.ingredients.values(), key=lambda i: i.name.lower())
    return render(request, "catalog/ingredient_list.html", {"catalog": catalog, "items": items})


@staff_required(Action.CATALOG_VIEW)
def ingredient_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    ingredient = _lookup(catalog.ingredients, code)
    products = [
        p for p in catalog.products.values() if any(c.ingredient == code for c in p.composition)
    ]
    return render(
        request,
        "catalog/ingredient_detail.html",
        {
            "catalog": catalog,
            "item": ingredient,
            "allergens": [catalog.facts.get(a) or a for a in ingredient.allergens],
            "cautions": [
                {"caution": c, "fact": catalog.facts.get(c.fact)} for c in ingredient.cautions
            ],
            "products": sorted(products, key=lambda p: p.name.lower()),
            "sources": _sources(catalog, ingredient.sources),
            "limit_sources": _sources(
                catalog, ingredient.label_limits.sources if ingredient.label_limits else ()
            ),
        },
    )


@staff_required(Action.CATALOG_VIEW)
def product_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = selectors.product_list(clinic=_clinic(request), catalog=catalog)
    return render(
        request,
        "catalog/product_list.html",
        {
            "catalog": catalog,
            "items": items,
            "builtin": catalog.products,
            "can_manage": _can_manage(request),
        },
    )


@staff_required(Action.CATALOG_VIEW)
def product_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    product = selectors.product_get(clinic=_clinic(request), code=code, catalog=catalog)
    is_clinic = code not in catalog.products
    entry = selectors.clinic_product_get(clinic=_clinic(request), code=code) if is_clinic else None
    return render(
        request,
        "catalog/product_detail.html",
        {
            "catalog": catalog,
            "item": product,
            "is_clinic": is_clinic,
            "entry": entry,
            "can_manage": _can_manage(request),
            "composition": [
                {"component": c, "ingredient": catalog.ingredients.get(c.ingredient)}
                for c in product.composition
            ],
            "sources": _sources(catalog, product.sources),
        },
    )


@staff_required(Action.CATALOG_VIEW)
def technique_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.techniques.values(), key=lambda t: (t.depth_min, t.depth_max))
    return render(request, "catalog/technique_list.html", {"catalog": catalog, "items": items})


@staff_required(Action.CATALOG_VIEW)
def technique_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    technique = _lookup(catalog.techniques, code)
    return render(
        request,
        "catalog/technique_detail.html",
        {
            "catalog": catalog,
            "item": technique,
            "drawing": skin_drawing(technique),
            "indications": sorted(
                (i for i in catalog.indications.values() if code in i.techniques),
                key=lambda i: i.name.lower(),
            ),
            "sources": _sources(catalog, technique.sources),
        },
    )


@staff_required(Action.CATALOG_VIEW)
def scale_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.scales.values(), key=lambda s: s.name.lower())
    return render(request, "catalog/scale_list.html", {"catalog": catalog, "items": items})


@staff_required(Action.CATALOG_VIEW)
def scale_detail(request: HttpRequest, code: str) -> HttpResponse:
    catalog = load_catalog()
    scale = _lookup(catalog.scales, code)
    return render(
        request,
        "catalog/scale_detail.html",
        {"catalog": catalog, "item": scale, "sources": _sources(catalog, scale.sources)},
    )


@staff_required(Action.CATALOG_VIEW)
def side_effect_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.side_effects.values(), key=lambda s: (not s.expected, s.name.lower()))
    return render(request, "catalog/side_effect_list.html", {"catalog": catalog, "items": items})


@staff_required(Action.CATALOG_VIEW)
def aftercare_list(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = list(catalog.aftercare.values())
    return render(
        request,
        "catalog/aftercare_list.html",
        {
            "catalog": catalog,
            "items": items,
            "techniques": catalog.techniques,
            "indications": catalog.indications,
        },
    )


@staff_required(Action.CATALOG_VIEW)
def checklist(request: HttpRequest) -> HttpResponse:
    catalog = load_catalog()
    items = sorted(catalog.checklist, key=lambda i: i.order)
    return render(request, "catalog/checklist.html", {"catalog": catalog, "items": items})


# --------------------------------------------------------------------------------------
# The clinic's own protocols and products (managers)
# --------------------------------------------------------------------------------------

_PROTOCOL_FIELD_MAP = {"maintenance.count": "maintenance_count"}
_PRODUCT_FIELD_MAP = {
    "unit_volume": "unit_volume_ml",
    "composition.concentration": "concentration_value",
}


def _actor(request: HttpRequest) -> Any:
    return request.user


@staff_required(Action.CATALOG_MANAGE)
def protocol_create(request: HttpRequest) -> HttpResponse:
    return _protocol_form(request, entry=None)


@staff_required(Action.CATALOG_MANAGE)
def protocol_edit(request: HttpRequest, code: str) -> HttpResponse:
    entry = selectors.clinic_protocol_get(clinic=_clinic(request), code=code)
    return _protocol_form(request, entry=entry)


def _protocol_form(request: HttpRequest, *, entry: Any) -> HttpResponse:
    catalog = load_catalog()
    editing = entry is not None
    status = 200
    if request.method == "POST":
        form = ProtocolForm(
            request.POST,
            catalog=catalog,
            editing=editing,
            initial={"code": entry.code} if editing else None,
        )
        phases = PhaseFormSet(request.POST, prefix="phases")
        if form.is_valid() and phases.is_valid():
            data = protocol_data(form, phases)
            try:
                if editing:
                    saved = services.clinic_protocol_update(
                        protocol=entry, actor=_actor(request), data=data, catalog=catalog
                    )
                    messages.success(request, f"Protocol “{saved.name}” saved.")
                else:
                    saved = services.clinic_protocol_create(
                        clinic=_clinic(request), actor=_actor(request), data=data, catalog=catalog
                    )
                    messages.success(request, f"Protocol “{saved.name}” added for this clinic.")
                return redirect("catalog:protocol_detail", code=saved.code)
            except ValidationFailed as error:
                attach_errors(
                    error, form, phases, list_name="phases", field_map=_PROTOCOL_FIELD_MAP
                )
            except Conflict as error:
                form.add_error(None, error.message)
        status = 422
    else:
        if editing:
            protocol = selectors.protocol_get(
                clinic=_clinic(request), code=entry.code, catalog=catalog
            )
            initial, phase_initial = protocol_initial(protocol)
        else:
            initial, phase_initial = {}, []
        form = ProtocolForm(initial=initial, catalog=catalog, editing=editing)
        phases = PhaseFormSet(initial=phase_initial, prefix="phases")
    return render(
        request,
        "catalog/protocol_form.html",
        {"form": form, "phases": phases, "entry": entry, "editing": editing},
        status=status,
    )


@require_POST
@staff_required(Action.CATALOG_MANAGE)
def protocol_retire(request: HttpRequest, code: str) -> HttpResponse:
    entry = selectors.clinic_protocol_get(clinic=_clinic(request), code=code)
    return _retire(
        request,
        lambda: services.clinic_protocol_retire(protocol=entry, actor=_actor(request)),
        "catalog:protocol_list",
        entry.name,
    )


@staff_required(Action.CATALOG_MANAGE)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, entry=None)


@staff_required(Action.CATALOG_MANAGE)
def product_edit(request: HttpRequest, code: str) -> HttpResponse:
    entry = selectors.clinic_product_get(clinic=_clinic(request), code=code)
    return _product_form(request, entry=entry)


def _product_form(request: HttpRequest, *, entry: Any) -> HttpResponse:
    catalog = load_catalog()
    editing = entry is not None
    status = 200
    kwargs: dict[str, Any] = {"prefix": "composition", "form_kwargs": {"catalog": catalog}}
    if request.method == "POST":
        form = ProductForm(
            request.POST, editing=editing, initial={"code": entry.code} if editing else None
        )
        lines = ComponentFormSet(request.POST, **kwargs)
        if form.is_valid() and lines.is_valid():
            data = product_data(form, lines)
            try:
                if editing:
                    saved = services.clinic_product_update(
                        product=entry, actor=_actor(request), data=data, catalog=catalog
                    )
                    messages.success(request, f"Product “{saved.name}” saved.")
                else:
                    saved = services.clinic_product_create(
                        clinic=_clinic(request), actor=_actor(request), data=data, catalog=catalog
                    )
                    messages.success(request, f"Product “{saved.name}” added for this clinic.")
                return redirect("catalog:product_detail", code=saved.code)
            except ValidationFailed as error:
                attach_errors(
                    error, form, lines, list_name="composition", field_map=_PRODUCT_FIELD_MAP
                )
            except Conflict as error:
                form.add_error(None, error.message)
        status = 422
    else:
        if editing:
            product = selectors.product_get(
                clinic=_clinic(request), code=entry.code, catalog=catalog
            )
            initial, line_initial = product_initial(product)
        else:
            initial, line_initial = {}, []
        form = ProductForm(initial=initial, editing=editing)
        lines = ComponentFormSet(initial=line_initial, **kwargs)
    return render(
        request,
        "catalog/product_form.html",
        {"form": form, "lines": lines, "entry": entry, "editing": editing},
        status=status,
    )


@require_POST
@staff_required(Action.CATALOG_MANAGE)
def product_retire(request: HttpRequest, code: str) -> HttpResponse:
    entry = selectors.clinic_product_get(clinic=_clinic(request), code=code)
    return _retire(
        request,
        lambda: services.clinic_product_retire(product=entry, actor=_actor(request)),
        "catalog:product_list",
        entry.name,
    )


def _retire(request: HttpRequest, action: Callable[[], Any], back: str, name: str) -> HttpResponse:
    try:
        action()
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"“{name}” is retired: it no longer appears in lists, and "
            "records made with it still read it.",
        )
    return redirect(back)
