"""The patient record page's panels from other apps, gathered by the view.

The record page shows what later apps know about the patient (a recalled batch's banner,
the treatment timeline, outcome charts) without the registry importing those apps: each
registers a panel here when Django starts (in its ``AppConfig.ready``), and the page's view
asks every panel the person's role may see for its context, then renders it. All database
work happens in the view, none in template tags, so the page's queries are counted and
capped in one place.

Rendered panels are kept in this process's memory (the ``record_panels`` cache) under a
key made of everything they are drawn from: each panel names the rows it reads as SQL
(``row_changes``: how many rows, and the latest ``updated_at`` among them, which together
move on every insert, update and delete made through the ORM), and one statement reads
every panel's versions. A record opened again with nothing changed costs that one
statement instead of the panels' queries and templates (issue 7: the page with 40
sessions of history went from about 35 ms to about 10 ms). The key also holds the
clinic's day and time zone (the course's windows are dated), the role (panels show
links by permission), the patient row's own ``updated_at`` and the catalog's version.
So a panel must show the same to everyone of a role: nothing about the person viewing.

The page around the panels is kept too (``record_page_render``), under their key plus
what the page shows of the viewer, whenever no message waits to be shown: then the
page's template costs nothing either. CSRF tokens are the one per-request part of a kept
panel or page; they are drawn as a stand-in and replaced on the way out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from pistor.clinical.catalog import load_catalog
from pistor.clinics.permissions import Action, can
from pistor.core.rows import PREPARED

CACHE_ALIAS = "record_panels"

#: Stands in a kept panel or page for the request's CSRF token, which is put in its place
#: on the way out; random per process, so no page or input can contain it by chance.
CSRF_STAND_IN = "pistor-csrf-stand-in-" + secrets.token_hex(16)


@dataclass(frozen=True)
class RecordPanel:
    """``context(patient)`` gives the template's variables; ``template`` draws them.
    ``versions`` are scalar SQL subqueries over every row the panel reads, with the
    parameters ``%(clinic)s`` and ``%(patient)s``; a panel without them is never kept."""

    name: str
    template: str
    action: Action
    context: Callable[[Any], dict[str, Any]]
    versions: tuple[str, ...] = ()


_PANELS: dict[str, RecordPanel] = {}


def row_changes(from_where: str) -> tuple[str]:
    """The version column of the rows ``from_where`` selects (``FROM <table> r …``, the
    rows aliased ``r``): their number (a delete lowers it) and their latest ``updated_at``
    (every ORM save sets it to now), as one text value. One subquery per table, not two:
    PostgreSQL plans the versions' statement afresh on every opening, and planning it
    cost more than running it."""
    return (
        "(SELECT CAST(COUNT(*) AS TEXT) || ' ' || COALESCE(CAST(MAX(r.updated_at) AS TEXT), '') "
        f"{from_where})",
    )


def patient_row_changes(model: Any) -> tuple[str]:
    """``row_changes`` of the patient's own rows of ``model`` (one with ``clinic`` and
    ``patient`` foreign keys)."""
    return row_changes(
        f"FROM {model._meta.db_table} r "
        "WHERE r.clinic_id = %(clinic)s AND r.patient_id = %(patient)s"
    )


def record_panel_register(
    name: str, *, template: str, action: Action, versions: tuple[str, ...] = ()
) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    """Decorate ``context(patient) -> dict`` to show ``template`` on the record as ``name``
    to those whose role may do ``action``. Registering a name again replaces it (Django may
    run ``ready()`` more than once in tests)."""

    def register(context: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        _PANELS[name] = RecordPanel(name, template, action, context, versions)
        return context

    return register


def _version_names(panels: list[RecordPanel]) -> list[tuple[str, str]]:
    return [
        (f"pistor_version_{panel.name}_{index}", sql)
        for panel in panels
        for index, sql in enumerate(panel.versions)
    ]


def record_versions_sql(request: HttpRequest) -> dict[str, str]:
    """The versions of every panel ``request``'s role sees, as annotations for
    ``patient_get``: the record page reads them with the patient's row, in one statement."""
    _role, panels = _visible_panels(request)
    return dict(_version_names(panels))


def _versions(panels: list[RecordPanel], patient: Any) -> dict[str, tuple[Any, ...]]:
    """Every panel's version columns: read with the patient (``record_versions_sql``), or
    else in one statement of their own."""
    named = _version_names(panels)
    if not named:
        return {}
    if all(hasattr(patient, name) for name, _sql in named):
        row: Any = [getattr(patient, name) for name, _sql in named]
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(sql for _name, sql in named) + PREPARED,
                {"clinic": patient.clinic_id, "patient": patient.pk},
            )
            row = cursor.fetchone()
    versions: dict[str, tuple[Any, ...]] = {}
    start = 0
    for panel in panels:
        end = start + len(panel.versions)
        versions[panel.name] = tuple(row[start:end])
        start = end
    return versions


def _visible_panels(request: HttpRequest) -> tuple[str | None, list[RecordPanel]]:
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    return role, [panel for panel in _PANELS.values() if can(role, panel.action)]


def _drawn_from(patient: Any, role: str | None) -> tuple[Any, ...]:
    """What every kept panel and page depends on besides its versions."""
    return (
        patient.clinic_id,
        patient.pk,
        patient.updated_at,
        role,
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        load_catalog().version,
    )


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _render_panels(
    request: HttpRequest,
    patient: Any,
    panels: list[RecordPanel],
    versions: dict[str, tuple[Any, ...]],
    drawn_from: tuple[Any, ...],
) -> dict[str, SafeString]:
    cache = caches[CACHE_ALIAS]
    rendered: dict[str, SafeString] = {}
    for panel in panels:
        key = None
        if panel.name in versions:
            key = f"{panel.name}:{_digest(drawn_from, versions[panel.name])}"
            html = cache.get(key)
            if html is not None:
                rendered[panel.name] = SafeString(html)
                continue
        # A kept panel is shown to others of the role: a form in it holds the stand-in,
        # which the page replaces with each request's own token.
        context = {"patient": patient, "csrf_token": CSRF_STAND_IN, **panel.context(patient)}
        html = render_to_string(panel.template, context, request)
        if key is not None:
            cache.set(key, str(html))
        rendered[panel.name] = SafeString(html)
    return rendered


def _with_token(request: HttpRequest, html: str, status: int) -> HttpResponse:
    # Django masks the token afresh for every response (against BREACH), so a kept page
    # holds a stand-in and each response gets a new masking of this session's secret.
    return HttpResponse(html.replace(CSRF_STAND_IN, get_token(request)), status=status)


def record_page_render(
    *,
    request: HttpRequest,
    patient: Any,
    template: str,
    context: dict[str, Any],
    keep: bool,
    status: int = 200,
) -> HttpResponse:
    """The record page with its panels. With ``keep`` (a plain opening, no form to show
    back) and no message waiting, the whole page is kept like its panels, under a key that
    adds to theirs every other thing the page shows: who is looking (their name, the
    clinic's row, how many clinics they have) and the address. Opened again with nothing
    changed it costs the versions' statement and no template (issue 7)."""
    role, panels = _visible_panels(request)
    versions = _versions([p for p in panels if p.versions], patient)
    drawn_from = _drawn_from(patient, role)
    page_key = None
    if keep and len(versions) == len(panels) and not len(get_messages(request)):
        clinic = getattr(request, "clinic", None)
        staff_context = getattr(request, "staff_context", None)
        viewer = (
            request.user.pk,
            str(request.user),
            getattr(clinic, "pk", None),
            getattr(clinic, "name", None),
            getattr(clinic, "updated_at", None),
            getattr(staff_context, "clinic_count", None),
            str(getattr(patient, "archived_by", None) or ""),
            request.get_full_path(),
        )
        page_key = f"page:{_digest(drawn_from, sorted(versions.items()), viewer)}"
        html = caches[CACHE_ALIAS].get(page_key)
        if html is not None:
            return _with_token(request, html, status)
    page_context = {
        **context,
        "csrf_token": CSRF_STAND_IN,
        "panels": _render_panels(request, patient, panels, versions, drawn_from),
    }
    html = render_to_string(template, page_context, request)
    if page_key is not None:
        caches[CACHE_ALIAS].set(page_key, html)
    return _with_token(request, html, status)
