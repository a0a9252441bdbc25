"""Template helpers for the layout shared by every page."""

from __future__ import annotations

from typing import Any

from django import template

from pistor.clinics.selectors import membership_list_for_user

register = template.Library()


@register.simple_tag
def user_has_several_clinics(user: Any) -> bool:
    """Whether to offer "switch clinic": only people who work at more than one clinic."""
    if not getattr(user, "is_authenticated", False):
        return False
    return len(membership_list_for_user(user)) > 1


@register.filter
def severity_class(severity: Any) -> str:
    """The badge class for a finding or caution severity (block, warn, info)."""
    value = str(getattr(severity, "value", severity) or "info").lower()
    return f"badge-{value}" if value in {"block", "warn", "info"} else "badge-muted"
