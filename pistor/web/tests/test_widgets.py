"""The chips multi-select: real checkboxes first, the script only adds a filter and a count."""

from __future__ import annotations

import re

from django import forms
from django.template import Context, Template

from pistor.web.widgets import FILTER_FROM, ChipsSelectMultiple

ALLERGENS = [("lidocaine", "Lidocaine"), ("soy", "Soy"), ("eggs", "Eggs")]
MANY = [(f"c{i}", f"Condition {i}") for i in range(FILTER_FROM)]


class FactsForm(forms.Form):
    allergens = forms.MultipleChoiceField(
        label="Allergies",
        choices=ALLERGENS,
        required=False,
        help_text="Tick all that apply.",
        widget=ChipsSelectMultiple(filter_label="Find an allergy"),
    )


def test_every_choice_is_a_labelled_checkbox_and_chosen_ones_are_ticked():
    html = str(FactsForm(data={"allergens": ["soy"]})["allergens"])
    boxes = re.findall(r'<input type="checkbox"[^>]*>', html)
    assert len(boxes) == 3
    assert all('name="allergens"' in box for box in boxes)
    ticked = [box for box in boxes if "checked" in box]
    assert len(ticked) == 1 and 'value="soy"' in ticked[0]
    for index in range(3):
        assert f'<label for="id_allergens_{index}">' in html
    assert "<select" not in html
    assert "<script" not in html and "style=" not in html  # the CSP allows neither inline


def test_the_form_posts_the_same_values_a_select_multiple_did():
    form = FactsForm(data={"allergens": ["soy", "eggs"]})
    assert form.is_valid()
    assert form.cleaned_data["allergens"] == ["soy", "eggs"]
    assert not FactsForm(data={"allergens": ["kryptonite"]}).is_valid()


def test_a_short_list_has_no_filter_box_and_a_long_one_has_one_hidden_until_the_script_runs():
    assert "data-chips-filter" not in str(FactsForm()["allergens"])
    widget = ChipsSelectMultiple(choices=MANY, filter_label="Find a condition")
    html = widget.render("conditions", [], attrs={"id": "id_conditions"})
    tools = re.search(r"<div class=\"chips-tools\"[^>]*>", html)
    assert tools and "hidden" in tools.group(0)
    assert 'aria-label="Find a condition"' in html
    assert 'aria-controls="id_conditions-options"' in html


def test_the_help_text_describes_the_list_not_each_box():
    widget = ChipsSelectMultiple(choices=ALLERGENS)
    html = widget.render(
        "allergens", [], attrs={"id": "id_allergens", "aria-describedby": "id_allergens-help"}
    )
    assert html.count('aria-describedby="id_allergens-help"') == 1
    assert re.search(r'<div class="chips"[^>]*aria-describedby="id_allergens-help"', html)


def test_the_template_tag_marks_errors_and_keeps_choices():
    html = Template(
        "{% load pistor_widgets %}{% chips_select 'allergens' options chosen "
        "described_by='id_allergens-help' error_id='id_allergens-error' invalid=errs %}"
    ).render(Context({"options": ALLERGENS, "chosen": {"eggs"}, "errs": ["Unknown"]}))
    assert 'aria-describedby="id_allergens-help id_allergens-error"' in html
    assert html.count('aria-invalid="true"') == 3
    assert re.search(r'value="eggs"[^>]*checked', html)


def test_the_widget_names_its_static_files():
    media = str(FactsForm().media)
    assert "pistor/chips.js" in media and "pistor/chips.css" in media
