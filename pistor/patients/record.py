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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from pistor.clinical.catalog import load_catalog
from pistor.clinics.permissions import Action, can

CACHE_ALIAS = "record_panels"


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


def row_changes(from_where: str) -> tuple[str, str]:
    """The two version columns of the rows ``from_where`` selects (``FROM <table> r …``,
    the rows aliased ``r``): their number (a delete lowers it) and their latest
    ``updated_at`` (every ORM save sets it to now)."""
    return (f"(SELECT COUNT(*) {from_where})", f"(SELECT MAX(r.updated_at) {from_where})")


def patient_row_changes(model: Any) -> tuple[str, str]:
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


def _versions(panels: list[RecordPanel], patient: Any) -> dict[str, tuple[Any, ...]]:
    """Every panel's version columns, read in one statement."""
    columns = [sql for panel in panels for sql in panel.versions]
    if not columns:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(columns),
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


def record_panels_render(*, request: HttpRequest, patient: Any) -> dict[str, SafeString]:
    """Each registered panel the request's role may see, rendered (or taken from the
    cache when nothing it is drawn from has changed), by name."""
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    panels = [panel for panel in _PANELS.values() if can(role, panel.action)]
    versions = _versions([p for p in panels if p.versions], patient)
    cache = caches[CACHE_ALIAS]
    common = (
        patient.clinic_id,
        patient.pk,
        patient.updated_at,
        role,
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        load_catalog().version,
    )
    rendered: dict[str, SafeString] = {}
    for panel in panels:
        key = None
        if panel.name in versions:
            digest = hashlib.sha256(repr((common, versions[panel.name])).encode()).hexdigest()
            key = f"{panel.name}:{digest}"
            html = cache.get(key)
            if html is not None:
                rendered[panel.name] = SafeString(html)
                continue
        context = {"patient": patient, **panel.context(patient)}
        html = render_to_string(panel.template, context, request)
        if key is not None:
            cache.set(key, str(html))
        rendered[panel.name] = SafeString(html)
    return rendered
