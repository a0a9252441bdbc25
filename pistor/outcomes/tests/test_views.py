"""The outcome pages through the client: the chart, the forms' refusals, the review list,
the report and who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.outcomes.models import Measurement, SideEffect
from pistor.outcomes.services import side_effect_record
from pistor.outcomes.tests.factories import bulk_measurements, signed_session
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def _score(client, patient, **items):
    data = {"pair": "cellulite:hexsel-css", "timepoint": "baseline", "measured_on": "2026-11-01"}
    data.update({f"item-{k}": v for k, v in items.items()})
    return client.post(reverse("outcomes:measurement_add", args=[patient.pk]), data)


def test_the_form_is_built_from_the_scales_definition(client, patient, practitioner):
    signed_in_client(client, practitioner)
    page = client.get(
        reverse("outcomes:patient", args=[patient.pk]), {"pair": "cellulite:hexsel-css"}
    )
    html = page.content.decode()
    for code in "ABCDE":
        assert f'name="item-{code}"' in html
    assert "Depth of depressions (0 to 3)" in html


def test_a_score_is_saved_and_drawn_on_the_chart(client, patient, practitioner):
    signed_in_client(client, practitioner)
    assert _score(client, patient, A=2, B=2, C=2, D=1, E=2).status_code == 302
    page = client.get(reverse("outcomes:patient", args=[patient.pk]))
    html = page.content.decode()
    assert 'id="chart-hexsel-css"' in html and "score-point" in html
    assert Measurement.objects.get().total == 9


def test_an_answer_out_of_range_is_shown_and_nothing_is_saved(client, patient, practitioner):
    signed_in_client(client, practitioner)
    response = _score(client, patient, A=2, B=9, C=2, D=1, E=2)
    assert response.status_code == 422
    assert "Depth of depressions: 9 is outside 0 to 3." in response.content.decode()
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"grade": "7"}, "Grade 7 does not exist"),
        ({"resolved_on": "2026-10-01"}, "cannot resolve"),
        ({"onset": "not a date"}, "YYYY-MM-DD"),
    ],
)
def test_a_bad_side_effect_is_refused_on_the_page(client, patient, practitioner, data, words):
    signed_in_client(client, practitioner)
    post = {"event_code": "bruising", "onset": "2026-11-01", "grade": "2", **data}
    response = client.post(reverse("outcomes:side_effect_add", args=[patient.pk]), post)
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not SideEffect.objects.exists()


def test_a_long_bruise_is_flagged_on_the_record_and_the_review_list(
    client, patient, practitioner, manager
):
    signed_in_client(client, practitioner)
    response = client.post(
        reverse("outcomes:side_effect_add", args=[patient.pk]),
        {
            "event_code": "bruising",
            "onset": "2026-11-01",
            "resolved_on": "2026-11-13",
            "grade": "2",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("outcomes:patient", args=[patient.pk])).content.decode()
    assert "Flagged for review" in html and "Bruising lasted 12 days" in html
    review = client.get(reverse("outcomes:review")).content.decode()
    assert patient.full_name in review
    effect = SideEffect.objects.get()
    client.post(reverse("outcomes:review_record", args=[effect.pk]), {"note": "Seen; settled."})
    assert patient.full_name not in client.get(reverse("outcomes:review")).content.decode()


def test_a_suspected_batch_links_to_its_trace(client, clinic, practitioner):
    plan, session = signed_session(clinic, practitioner)
    effect = side_effect_record(
        clinic=clinic, patient=plan.patient, by=practitioner, event_code="swelling",
        onset=session.started_at.date(), grade=1, session_id=session.pk,
    )  # fmt: skip
    batch = effect.batches.get()
    signed_in_client(client, practitioner)
    html = client.get(reverse("outcomes:patient", args=[plan.patient.pk])).content.decode()
    assert reverse("inventory:trace", args=[batch.pk]) in html


def test_reception_may_not_see_outcomes_and_nurses_may_not_review(
    client, patient, receptionist, nurse
):
    signed_in_client(client, receptionist)
    assert client.get(reverse("outcomes:patient", args=[patient.pk])).status_code == 403
    signed_in_client(client, nurse)
    assert client.get(reverse("outcomes:review")).status_code == 403
    assert client.get(reverse("outcomes:report")).status_code == 403
    assert client.get(reverse("outcomes:patient", args=[patient.pk])).status_code == 200


def test_another_clinics_patient_is_not_found(client, patient, other_clinic_user):
    signed_in_client(client, other_clinic_user)
    assert client.get(reverse("outcomes:patient", args=[patient.pk])).status_code == 404


@pytest.mark.usefixtures("record_panels_drawn")
@pytest.mark.parametrize("page", ["patients:detail", "outcomes:patient"])
def test_the_record_with_200_scores_has_a_bounded_query_count(
    client, clinic, patient, practitioner, page
):
    signed_in_client(client, practitioner)
    assert_query_cap(
        lambda: client.get(reverse(page, args=[patient.pk])),
        grow=lambda n: bulk_measurements(clinic, patient, practitioner, n),
        cap=30,
        sizes=(2, 200),
        check=lambda r: r.status_code == 200 or pytest.fail(str(r.status_code)),
    )
    html = client.get(reverse(page, args=[patient.pk])).content.decode()
    assert html.count('class="score-point"') == 200


def test_the_report_page_and_csv(client, clinic, patient, manager, practitioner):
    bulk_measurements(clinic, patient, practitioner, 3)
    signed_in_client(client, manager)
    page = client.get(reverse("outcomes:report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Too few to draw conclusions." in html
    csv = client.get(reverse("outcomes:report_csv"))
    assert csv["Content-Type"].startswith("text/csv")
    assert "Skin rejuvenation" in csv.content.decode()


def test_the_calls_worklist_records_a_call(client, clinic, practitioner):
    from pistor.outcomes.services import follow_up_calls_schedule

    _plan, session = signed_session(clinic, practitioner)
    session.indication_code = "localised-fat"
    call = follow_up_calls_schedule(session=session, by=practitioner)[0]
    signed_in_client(client, practitioner)
    assert "painful lumps" in client.get(reverse("outcomes:calls")).content.decode()
    client.post(reverse("outcomes:call_record", args=[call.pk]), {"status": "done"})
    call.refresh_from_db()
    assert call.status == "done"


def test_a_batch_the_patient_received_can_be_named_as_suspect(client, clinic, practitioner):
    plan, session = signed_session(clinic, practitioner)
    from pistor.treatments.models import CocktailLine

    batch_id = CocktailLine.objects.get(session=session).batch_id
    signed_in_client(client, practitioner)
    page = client.get(reverse("outcomes:patient", args=[plan.patient.pk])).content.decode()
    assert f'<option value="{batch_id}">' in page
    client.post(
        reverse("outcomes:side_effect_add", args=[plan.patient.pk]),
        {"event_code": "hypersensitivity", "onset": session.started_at.date().isoformat(),
         "grade": "3", "batch_ids": [str(batch_id)]},
    )  # fmt: skip
    effect = SideEffect.objects.get()
    assert [b.pk for b in effect.batches.all()] == [batch_id]
    review = client.get(reverse("outcomes:review")).content.decode()
    assert reverse("inventory:trace", args=[batch_id]) in review


def test_the_report_page_has_a_bounded_query_count(client, clinic, manager, practitioner):
    from pistor.outcomes.services import side_effect_record

    signed_in_client(client, manager)
    _plan, session = signed_session(clinic, practitioner)

    def grow(n):
        for _ in range(n):
            someone: Any = PatientFactory(clinic=clinic)
            bulk_measurements(clinic, someone, practitioner, 3)
            side_effect_record(
                clinic=clinic, patient=someone, by=practitioner, event_code="erythema",
                onset=session.started_at.date(), grade=1,
            )  # fmt: skip

    assert_query_cap(
        lambda: client.get(reverse("outcomes:report")),
        grow=grow,
        cap=25,
        sizes=(1, 30),
        check=lambda r: r.status_code == 200 or pytest.fail(str(r.status_code)),
    )
