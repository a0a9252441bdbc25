"""The patient record page's panels from other apps, gathered by the view.

The record page shows what later apps know about the patient (a recalled batch's banner,
the treatment timeline, outcome charts) without the registry importing those apps: each
registers a panel here when Django starts (in its ``AppConfig.ready``), and the page's view
asks every panel the person's role may see for its context, then renders it. All database
work happens in the view, none in template tags, so the page's queries are counted and
capped in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from pistor.clinics.permissions import Action, can


@dataclass(frozen=True)
class RecordPanel:
    """``context(patient)`` gives the template's variables; ``template`` draws them."""

    name: str
    template: str
    action: Action
    context: Callable[[Any], dict[str, Any]]


_PANELS: dict[str, RecordPanel] = {}


def record_panel_register(
    name: str, *, template: str, action: Action
) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    """Decorate ``context(patient) -> dict`` to show ``template`` on the record as ``name``
    to those whose role may do ``action``. Registering a name again replaces it (Django may
    run ``ready()`` more than once in tests)."""

    def register(context: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        _PANELS[name] = RecordPanel(name, template, action, context)
        return context

    return register


def record_panels_render(*, request: HttpRequest, patient: Any) -> dict[str, SafeString]:
    """Each registered panel the request's role may see, rendered, by name."""
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    rendered: dict[str, SafeString] = {}
    for panel in _PANELS.values():
        if not can(role, panel.action):
            continue
        context = {"patient": patient, **panel.context(patient)}
        rendered[panel.name] = SafeString(render_to_string(panel.template, context, request))
    return rendered
