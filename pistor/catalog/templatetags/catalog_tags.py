"""Small template helpers for the catalog pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``mapping[key]``, or None: catalog entries are looked up by code in templates."""
    if mapping is None:
        return None
    return mapping.get(key)
