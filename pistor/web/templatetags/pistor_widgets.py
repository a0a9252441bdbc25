"""``{% chips_select %}``: the chips widget on a page that has no Django form for it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from pistor.web.widgets import ChipsSelectMultiple

register = template.Library()


@register.simple_tag
def chips_select(
    name: str,
    choices: Iterable[tuple[str, str]],
    chosen: Iterable[str] = (),
    *,
    id: str = "",  # noqa: A002 - the HTML attribute's name
    described_by: str = "",
    error_id: str = "",
    invalid: Any = False,
    filter_label: str = "Filter the list",
) -> SafeString:
    """Render ``ChipsSelectMultiple`` for ``name`` with ``chosen`` ticked.

    ``described_by`` names the help text; when ``invalid``, ``error_id`` (the error list)
    is added to it and the checkboxes are marked invalid.
    """
    attrs: dict[str, Any] = {"id": id or f"id_{name}"}
    described = [described_by] if described_by else []
    if invalid:
        attrs["aria-invalid"] = "true"
        if error_id:
            described.append(error_id)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    widget = ChipsSelectMultiple(choices=list(choices), filter_label=filter_label)
    return widget.render(name, list(chosen), attrs=attrs)
