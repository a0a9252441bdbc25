"""The record page's panels from other apps: gathered by the view, each shown only to the
roles that may see it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.patients.record import _PANELS
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_every_app_panel_is_registered_at_start_up():
    assert {"inventory_notices", "outcome_progress", "treatment_timeline"} <= set(_PANELS)


def test_a_role_sees_only_the_panels_it_may(client, clinic, practitioner, receptionist):
    patient: Any = PatientFactory(clinic=clinic)
    url = reverse("patients:detail", args=[patient.pk])
    clinical = signed_in_client(client, practitioner).get(url).content.decode()
    assert 'id="treatment-timeline"' in clinical and 'id="outcome-progress"' in clinical
    # Panels render with the page's request, so their links follow the person's permissions.
    assert 'id="patient-record-use"' in clinical
    client.logout()
    desk = signed_in_client(client, receptionist).get(url).content.decode()
    assert 'id="treatment-timeline"' not in desk and 'id="outcome-progress"' not in desk


# --- the rendered panels kept between openings --------------------------------------------


def _record(client: Any, patient: Any) -> tuple[str, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _panel_reads(sql: list[str]) -> list[str]:
    """The statements that read what the panels show (not the versions' one statement)."""
    tables = ("treatments_", "outcomes_", "inventory_", "plans_")
    return [s for s in sql if any(t in s for t in tables) and "COUNT(*)" not in s]


def test_each_change_a_panel_is_drawn_from_shows_on_the_next_opening(client, clinic, practitioner):
    """Walks every kind of row the panels read, changed through its service: the record
    opened again with nothing changed reads no panel data, and each change shows at once."""
    from pistor.inventory.models import Batch
    from pistor.inventory.services import batch_recall
    from pistor.outcomes.services import measurement_record
    from pistor.outcomes.tests.factories import CSS
    from pistor.treatments.models import TreatmentSession
    from pistor.treatments.services import (
        PointIn,
        chart_area_add,
        chart_area_remove,
        cocktail_line_add,
        cocktail_line_remove,
        session_sign,
        session_start,
    )
    from pistor.treatments.tests.factories import ready_plan

    plan = ready_plan(clinic=clinic, by=practitioner)
    patient = plan.patient
    signed_in_client(client, practitioner)
    first, first_sql = _record(client, patient)
    again, again_sql = _record(client, patient)
    assert _panel_reads(first_sql) and not _panel_reads(again_sql)
    assert again.count("No treatment sessions yet") == first.count("No treatment sessions yet") == 1

    session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner)
    html, _ = _record(client, patient)
    assert f'id="timeline-session-{session.pk}"' in html and "draft</h3>" in html

    line = cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="1")
    assert "nctf-135ha 1 mL (lot NC1)" in _record(client, patient)[0]
    cocktail_line_remove(line=line, by=practitioner)
    assert "Cocktail: none recorded" in _record(client, patient)[0]
    cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="2")
    assert "nctf-135ha 2 mL (lot NC1)" in _record(client, patient)[0]

    area = chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="3", injections=20, volume="1", points=[PointIn("0.25", "0.15")],
    )  # fmt: skip
    html, _ = _record(client, patient)
    assert "Face (front) (nappage, 3 mm)" in html and html.count('class="chart-point"') == 1
    chart_area_remove(area=area, by=practitioner)
    html, _ = _record(client, patient)
    assert "Areas: none charted" in html and 'class="chart-point"' not in html
    chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="2", injections=20, volume="1", points=[PointIn("0.25", "0.15")],
    )  # fmt: skip

    session_sign(session=TreatmentSession.objects.get(pk=session.pk), signer=practitioner)
    html, _ = _record(client, patient)
    assert "draft</h3>" not in html and "signed by" in html
    assert "<strong>1 of " in html and 'class="volume-bar"' in html

    assert "No outcome scores yet" in html
    measurement_record(
        clinic=clinic, patient=patient, by=practitioner, scale_code="hexsel-css",
        indication_code="cellulite", answers=CSS, timepoint="baseline",
    )  # fmt: skip
    assert "No outcome scores yet" not in _record(client, patient)[0]

    batch = Batch.objects.get(clinic=clinic, lot="NC1")
    assert 'id="recall-banner-' not in _record(client, patient)[0]
    batch_recall(clinic=clinic, actor=None, batch=batch, reason="Particles seen")
    assert f'id="recall-banner-{batch.pk}"' in _record(client, patient)[0]

    html, sql = _record(client, patient)
    assert not _panel_reads(sql) and f'id="recall-banner-{batch.pk}"' in html


def test_kept_panels_follow_the_role_that_opens_the_record(
    client, clinic, practitioner, manager, monkeypatch
):
    from pistor.clinics.models import Role
    from pistor.clinics.permissions import MATRIX, Action

    # Every role that sees the stock panel today may also record product given; take that
    # from the manager so the two roles' panels differ.
    monkeypatch.setitem(MATRIX, Role.MANAGER, MATRIX[Role.MANAGER] - {Action.INVENTORY_USE})
    patient: Any = PatientFactory(clinic=clinic)
    signed_in_client(client, practitioner)
    _record(client, patient)
    assert 'id="patient-record-use"' in _record(client, patient)[0]
    client.logout()
    signed_in_client(client, manager)
    _record(client, patient)
    # The manager may see stock but not record product given: the practitioner's kept
    # panel, with its link, is not the one she is shown.
    assert 'id="patient-record-use"' not in _record(client, patient)[0]


def test_every_table_a_panel_reads_is_in_its_versions(clinic, practitioner):
    """A panel whose context reads a table its versions do not cover would be kept after
    that table changed: for every registered panel, the tables its queries name must be
    among those in its versions. Staff names aside: no page, API or command renames a
    member of staff (only a database shell could), and the key holds the day, so such a
    rename would show from the next day or the patient's next change."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pistor.inventory.models import Administration
    from pistor.inventory.services import batch_recall
    from pistor.outcomes.services import measurement_record
    from pistor.outcomes.tests.factories import CSS
    from pistor.treatments.models import TreatmentSession
    from pistor.treatments.services import (
        PointIn,
        chart_area_add,
        cocktail_line_add,
        session_sign,
        session_start,
    )
    from pistor.treatments.tests.factories import ready_plan

    plan = ready_plan(clinic=clinic, by=practitioner)
    patient = plan.patient
    session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner)
    cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="1")
    chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="3", injections=20, volume="1", points=[PointIn("0.25", "0.15")],
    )  # fmt: skip
    session_sign(session=TreatmentSession.objects.get(pk=session.pk), signer=practitioner)
    measurement_record(
        clinic=clinic, patient=patient, by=practitioner, scale_code="hexsel-css",
        indication_code="cellulite", answers=CSS, timepoint="baseline",
    )  # fmt: skip
    given = Administration.objects.filter(patient=patient).select_related("batch").first()
    assert given is not None
    batch_recall(clinic=clinic, actor=None, batch=given.batch, reason="Particles seen")

    named = re.compile(r'(?:FROM|JOIN)\s+"?([a-z_0-9]+)"?')
    for panel in _PANELS.values():
        assert panel.versions, f"{panel.name} declares no versions, so it is never kept"
        with CaptureQueriesContext(connection) as queries:
            panel.context(patient)
        read = {t for q in queries.captured_queries for t in named.findall(q["sql"])}
        versioned = {t for sql in panel.versions for t in named.findall(sql)}
        assert read, panel.name
        assert read - versioned <= {"accounts_user"}, (panel.name, read - versioned)


# --- the whole page kept ----------------------------------------------------------------

_TOKEN = r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]+'


def _opened(client: Any, patient: Any) -> tuple[str, bool]:
    """The record page's HTML with its CSRF tokens blanked, and whether it was drawn."""
    import re

    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return re.sub(_TOKEN, r"\1", html), bool(response.templates)


def _as_drawn_afresh(client: Any, patient: Any) -> str:
    from django.core.cache import caches

    caches["record_panels"].clear()
    html, drawn = _opened(client, patient)
    assert drawn
    return html


def test_a_kept_record_page_is_the_page_drawn_afresh(client, clinic, practitioner):
    """Walks every kind of change to what the page shows outside its panels: the patient's
    details, archiving and restoring, the clinic's name, a second clinic, a message waiting
    after a save. After each, the next opening is the page a cold cache draws."""
    from pistor.patients.services import patient_archive, patient_restore, patient_update
    from pistor.testing.factories import ClinicFactory, MembershipFactory

    patient: Any = PatientFactory(clinic=clinic, phone="01234 567890")
    signed_in_client(client, practitioner)

    def check(shows: str) -> None:
        html, _ = _opened(client, patient)
        assert shows in html
        assert html == _as_drawn_afresh(client, patient)
        again, drawn = _opened(client, patient)
        assert again == html and not drawn, "opened again with nothing changed: kept whole"

    check("01234 567890")
    patient_update(patient=patient, actor=practitioner, phone="07700 900123")
    check("07700 900123")
    patient_archive(patient=patient, actor=practitioner, reason="Moved abroad")
    check("Reason: Moved abroad")
    patient_restore(patient=patient, actor=practitioner)
    check('id="archive-section"')
    clinic.name = "Quayside Skin Clinic"
    clinic.save()
    check("Quayside Skin Clinic")
    MembershipFactory(user=practitioner, clinic=ClinicFactory(), role="practitioner")
    client.post(reverse("clinics:choose"), {"clinic_id": clinic.pk})
    check('id="switch-clinic"')

    response = client.post(
        reverse("patients:edit", args=[patient.pk]),
        {**_form_fields(patient), "phone": "07700 900456"},
    )
    assert response.status_code == 302
    html, drawn = _opened(client, patient)
    assert drawn and "Patient details saved." in html
    # The message is shown once; the page after it is kept again.
    assert "Patient details saved." not in _opened(client, patient)[0]
    assert not _opened(client, patient)[1]


def _form_fields(patient: Any) -> dict[str, Any]:
    from pistor.patients.forms import PatientForm

    form = PatientForm(instance=patient)
    fields = {name: form[name].value() for name in form.fields}
    return {name: ("" if value is None else value) for name, value in fields.items()}


def test_a_kept_record_page_shows_each_person_their_own_name(client, clinic, practitioner):
    from conftest import _staff

    patient: Any = PatientFactory(clinic=clinic)
    colleague = _staff(clinic, "practitioner")
    signed_in_client(client, practitioner)
    _opened(client, patient)
    client.logout()
    signed_in_client(client, colleague)
    html, drawn = _opened(client, patient)
    assert drawn and str(colleague) in html and str(practitioner) not in html


def test_a_kept_record_page_carries_this_sessions_token(clinic, practitioner):
    """The kept page's forms post: each response has a fresh masking of the session's
    token, never the stand-in nor another response's."""
    import re

    from django.test import Client

    from pistor.patients.record import CSRF_STAND_IN

    patient: Any = PatientFactory(clinic=clinic)
    client = signed_in_client(Client(enforce_csrf_checks=True), practitioner)
    url = reverse("patients:detail", args=[patient.pk])
    client.get(url)
    kept = client.get(url)
    assert not kept.templates
    html = kept.content.decode()
    assert CSRF_STAND_IN not in html
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', html))
    assert len(tokens) == 1
    assert tokens.isdisjoint(
        re.findall(
            r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', client.get(url).content.decode()
        )
    )
    refused = client.post(reverse("patients:archive", args=[patient.pk]), {"reason": "Moved"})
    assert refused.status_code == 403
    archived = client.post(
        reverse("patients:archive", args=[patient.pk]),
        {"reason": "Moved", "csrfmiddlewaretoken": tokens.pop()},
    )
    assert archived.status_code == 302
