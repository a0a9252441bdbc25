"""Form widgets shared by the apps' pages.

``ChipsSelectMultiple`` replaces ``<select multiple>`` for lists a clinician ticks several
of (conditions, medicines, allergies): every choice is a real checkbox, large enough for a
finger on a tablet, so the list works with no script at all. ``chips.js`` adds a filter box,
a count of what is ticked and a way to untick everything; ``chips.css`` draws the ticked
choices as chips. Neither is inline, as the Content-Security-Policy requires.

In a Django form::

    conditions = forms.MultipleChoiceField(
        choices=..., required=False, widget=ChipsSelectMultiple(filter_label="Find a condition")
    )

Django (5.x) renders such a widget inside ``<fieldset>`` with the field's label as its
``<legend>`` (``use_fieldset``). A page without a form class renders it with the
``{% chips_select %}`` tag from ``pistor_widgets``.
"""

from __future__ import annotations

from typing import Any

from django import forms

# A list shorter than this is quicker to scan than to filter; no filter box is offered.
FILTER_FROM = 8


class ChipsSelectMultiple(forms.CheckboxSelectMultiple):
    """Searchable checkbox chips; plain checkboxes without JavaScript."""

    template_name = "web/widgets/chips_select_multiple.html"
    option_template_name = "web/widgets/chips_option.html"

    class Media:
        css = {"all": ("pistor/chips.css",)}
        js = ("pistor/chips.js",)

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        choices: Any = (),
        *,
        filter_label: str = "Filter the list",
    ) -> None:
        super().__init__(attrs, choices)
        self.filter_label = filter_label

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = dict(attrs or {})
        # The help and error texts describe the whole list, not each checkbox in it.
        described_by = attrs.pop("aria-describedby", None)
        context = super().get_context(name, value, attrs)
        context["widget"]["described_by"] = described_by or ""
        options = [option for _, group, _ in context["widget"]["optgroups"] for option in group]
        context["widget"]["filter_label"] = self.filter_label
        context["widget"]["offer_filter"] = len(options) >= FILTER_FROM
        context["widget"]["chosen_count"] = sum(1 for option in options if option["selected"])
        # The group's own id (Django puts ids only on the checkboxes: id_x_0, id_x_1, …).
        context["widget"]["group_id"] = (attrs or {}).get("id") or self.attrs.get("id") or ""
        return context
