"""Template helpers for the layout shared by every page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def severity_class(severity: Any) -> str:
    """The badge class for a finding or caution severity (block, warn, info)."""
    value = str(getattr(severity, "value", severity) or "info").lower()
    return f"badge-{value}" if value in {"block", "warn", "info"} else "badge-muted"
