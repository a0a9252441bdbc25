"""Starting a session through the gate, the cocktail, the chart, sign-off and addenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from pistor.core.errors import Conflict, GateBlocked, ValidationFailed
from pistor.inventory.models import Batch
from pistor.records.models import Addendum
from pistor.testing.pathway import make_test
from pistor.treatments.models import ChartArea, ChartPoint, CocktailLine, TreatmentSession
from pistor.treatments.services import (
    PointIn,
    chart_area_add,
    chart_point_add,
    cocktail_line_add,
    session_add_addendum,
    session_sign,
    session_start,
)
from pistor.treatments.tests.factories import ready_plan, stock

pytestmark = pytest.mark.django_db


def _start(clinic, practitioner, **kw):
    plan = ready_plan(clinic=clinic, by=practitioner, **kw)
    return plan, session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)


def _codes(exc):
    return [r["code"] for r in exc.value.reasons]


def test_a_complete_gate_starts_a_draft_session(clinic, practitioner):
    plan, session = _start(clinic, practitioner)
    assert session.status == "draft" and session.plan_id == plan.pk
    assert session.indication_code == "skin-rejuvenation"


def test_without_consent_nothing_starts_and_the_reason_says_so(clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, consent=False)
    with pytest.raises(GateBlocked) as exc:
        session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert "consent-missing" in _codes(exc)
    assert TreatmentSession.objects.count() == 0


def test_an_allergy_test_read_too_early_blocks_the_start(clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, test=False)
    make_test(
        plan.patient, practitioner, products=("nctf-135ha",), result="negative",
        read_after=dt.timedelta(hours=3),
    )  # fmt: skip
    with pytest.raises(GateBlocked) as exc:
        session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert any(c.startswith("allergy") for c in _codes(exc)), _codes(exc)
    assert TreatmentSession.objects.count() == 0


def test_an_expired_batch_blocks_the_start(clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, with_stock=False)
    b = stock(clinic, days=10)
    Batch.objects.filter(pk=b.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=2))
    with pytest.raises(GateBlocked) as exc:
        session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert _codes(exc) == ["batch-expired"]
    assert TreatmentSession.objects.count() == 0


def test_an_unplanned_session_needs_a_reason(clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner)
    with pytest.raises(ValidationFailed):
        session_start(
            clinic=clinic, patient=plan.patient, by=practitioner,
            indication_code="skin-rejuvenation",
        )  # fmt: skip
    session = session_start(
        clinic=clinic, patient=plan.patient, by=practitioner,
        indication_code="skin-rejuvenation", unplanned_reason="Touch-up before a wedding.",
    )  # fmt: skip
    assert session.plan_id is None


def test_a_product_line_is_drawn_from_the_batch_that_expires_first(clinic, practitioner):
    plan, session = _start(clinic, practitioner)
    sooner = stock(clinic, lot="SOON", days=30)
    line = cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="3")
    assert line.batch_id == sooner.pk and line.lot == "SOON"


def test_a_volume_in_the_wrong_unit_is_refused_and_nothing_is_written(clinic, practitioner):
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(ValidationFailed) as exc:
        cocktail_line_add(
            session=session, by=practitioner, code="nctf-135ha", volume="3", volume_unit="mg"
        )
    assert "volume" in exc.value.fields
    assert CocktailLine.objects.count() == 0


def test_a_product_not_in_stock_is_refused(clinic, practitioner):
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(ValidationFailed) as exc:
        cocktail_line_add(session=session, by=practitioner, code="redensity-1", volume="1")
    assert "not in stock" in exc.value.message
    assert CocktailLine.objects.count() == 0


def test_lidocaine_over_the_patients_maximum_is_blocked(clinic, practitioner):
    # 68 kg × 4.5 mg/kg = 306 → capped at 300 mg; 40 mL of 1 % is 400 mg.
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(GateBlocked) as exc:
        cocktail_line_add(
            session=session, by=practitioner, code="lidocaine", volume="40", concentration="10"
        )
    assert "lidocaine-over-maximum" in _codes(exc)
    assert CocktailLine.objects.count() == 0
    line = cocktail_line_add(
        session=session, by=practitioner, code="lidocaine", volume="2", concentration="10"
    )
    assert line.pk


@pytest.mark.parametrize("depth", ["-1", "40", "abc"])
def test_an_impossible_depth_is_refused(clinic, practitioner, depth):
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(ValidationFailed) as exc:
        chart_area_add(
            session=session, by=practitioner, region="face-front", technique_code="nappage",
            depth=depth, injections=10, volume="1",
        )  # fmt: skip
    assert "depth" in exc.value.fields
    assert ChartArea.objects.count() == 0


def test_a_depth_outside_the_technique_is_refused_in_the_cores_words(clinic, practitioner):
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(ValidationFailed) as exc:
        chart_area_add(
            session=session, by=practitioner, region="face-front", technique_code="papule",
            depth="6", injections=10, volume="1",
        )  # fmt: skip
    assert "outside the 1 mm to 2 mm range" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        chart_area_add(
            session=session, by=practitioner, region="face-front", technique_code="papule",
            depth="2", needle_gauge=30, needle_length="13", injections=10, volume="1",
        )  # fmt: skip
    assert "needle_length" in exc.value.fields
    assert ChartArea.objects.count() == 0


def test_a_point_outside_the_drawing_is_refused(clinic, practitioner):
    _plan, session = _start(clinic, practitioner)
    with pytest.raises(ValidationFailed):
        chart_area_add(
            session=session, by=practitioner, region="face-front", technique_code="nappage",
            depth="3", injections=10, volume="1", points=[PointIn("0.5", "1.2")],
        )  # fmt: skip
    assert ChartArea.objects.count() == 0
    area = chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="3", injections=10, volume="1", points=[PointIn("0.25", "0.15")],
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        chart_point_add(area=area, by=practitioner, x="-0.1", y="0.5")
    assert ChartPoint.objects.count() == 1


def _full_session(clinic, practitioner):
    plan, session = _start(clinic, practitioner)
    cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="3")
    chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="3", needle_gauge=30, needle_length="4", injections=40, volume="3",
        points=[PointIn("0.25", "0.15"), PointIn("0.26", "0.16")],
    )  # fmt: skip
    return plan, TreatmentSession.objects.get(pk=session.pk)


def test_signing_moves_stock_locks_and_refuses_a_second_signature(clinic, practitioner):
    _plan, session = _full_session(clinic, practitioner)
    line = session.cocktail_lines.get()
    before = Batch.objects.get(pk=line.batch_id).quantity_on_hand
    session_sign(session=session, signer=practitioner, notes="Mild erythema.")
    session.refresh_from_db()
    assert session.is_signed and session.content["chart"][0]["points"][0] == ["0.2500", "0.1500"]
    assert Batch.objects.get(pk=line.batch_id).quantity_on_hand == before - Decimal("3")
    with pytest.raises(Conflict):
        session_sign(session=session, signer=practitioner)
    with pytest.raises(Conflict):
        cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="1")
    with pytest.raises(Conflict):
        chart_area_add(
            session=session, by=practitioner, region="scalp", technique_code="nappage",
            depth="3", injections=1, volume="1",
        )  # fmt: skip
    assert Batch.objects.get(pk=line.batch_id).quantity_on_hand == before - Decimal("3")


def test_a_stock_failure_at_sign_off_rolls_everything_back(clinic, practitioner):
    _plan, session = _full_session(clinic, practitioner)
    line = session.cocktail_lines.get()
    Batch.objects.filter(pk=line.batch_id).update(quantity_on_hand=Decimal("1"))
    with pytest.raises(Conflict, match="Not enough"):
        session_sign(session=session, signer=practitioner)
    session.refresh_from_db()
    assert not session.is_signed
    assert Batch.objects.get(pk=line.batch_id).quantity_on_hand == Decimal("1")


def test_addenda_only_on_a_signed_session(clinic, practitioner):
    _plan, session = _full_session(clinic, practitioner)
    with pytest.raises(Conflict):
        session_add_addendum(session=session, author=practitioner, text="x", reason="y")
    session_sign(session=session, signer=practitioner)
    session_add_addendum(
        session=session, author=practitioner, text="Bruise on the left cheek.", reason="Seen later."
    )
    assert Addendum.objects.filter(record_id=session.pk).count() == 1


def test_the_database_refuses_to_change_a_signed_session(clinic, practitioner):
    _plan, session = _full_session(clinic, practitioner)
    session_sign(session=session, signer=practitioner)
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute(
            "UPDATE treatments_treatmentsession SET notes = 'x' WHERE id = %s", [session.pk]
        )
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute("DELETE FROM treatments_treatmentsession WHERE id = %s", [session.pk])
    assert TreatmentSession.objects.filter(pk=session.pk, notes="").exists()


def _dca_session(clinic, practitioner, plan, *, on):
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner,
                            now=on)  # fmt: skip
    cocktail_line_add(
        session=session, by=practitioner, code="deoxycholic-acid", volume="1",
        concentration="10", now=on,
    )  # fmt: skip
    return session


def test_a_second_session_within_the_labels_interval_is_blocked_by_the_first(clinic, practitioner):
    # Deoxycholic acid: at least 30 days between sessions (seed 001). The first session,
    # signed, becomes an EarlierSession of the second one's screen.
    plan = ready_plan(clinic=clinic, by=practitioner)
    first_day = timezone.now()
    first = _dca_session(clinic, practitioner, plan, on=first_day)
    chart_area_add(
        session=first, by=practitioner, region="abdomen", technique_code="nappage",
        depth="3", injections=10, volume="1",
    )  # fmt: skip
    session_sign(session=TreatmentSession.objects.get(pk=first.pk), signer=practitioner,
                 now=first_day)  # fmt: skip
    later = first_day + dt.timedelta(days=7)
    second = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner,
                           now=later)  # fmt: skip
    with pytest.raises(GateBlocked) as exc:
        cocktail_line_add(
            session=second, by=practitioner, code="deoxycholic-acid", volume="1",
            concentration="10", now=later,
        )  # fmt: skip
    assert "label-interval:deoxycholic-acid" in _codes(exc), _codes(exc)
    assert not second.cocktail_lines.exists()
    # A month on, the same line is allowed.
    month = first_day + dt.timedelta(days=31)
    third = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner,
                          now=month)  # fmt: skip
    assert cocktail_line_add(
        session=third, by=practitioner, code="deoxycholic-acid", volume="1",
        concentration="10", now=month,
    ).pk  # fmt: skip


def test_the_session_details_are_recorded_and_a_long_session_is_a_caution(clinic, practitioner):
    from pistor.treatments.selectors import session_duration
    from pistor.treatments.services import ReactionIn, session_details_set

    _plan, session = _start(clinic, practitioner)
    t0 = session.started_at
    session_details_set(
        session=session, by=practitioner, anaesthetic_product="Lidocaine 5 % cream",
        anaesthetic_applied_at=t0 - dt.timedelta(minutes=30), treatment_start=t0,
        treatment_end=t0 + dt.timedelta(minutes=70),
        reactions=[ReactionIn("bruising", "mild"), ReactionIn("burning", "moderate")],
        notes="Tolerated well.", now=t0 + dt.timedelta(minutes=75),
    )  # fmt: skip
    session.refresh_from_db()
    assert session.reactions == {"bruising": "mild", "burning": "moderate"}
    minutes, finding = session_duration(session=session)
    assert minutes == 70 and finding is not None
    assert finding.code == "session-duration:long"
    assert "10 to 50 minutes" in finding.message


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"treatment_start": "+10", "treatment_end": "+0"}, "treatment_end"),
        ({"treatment_start": "+600"}, "treatment_start"),
        (
            {
                "anaesthetic_applied_at": "+5",
                "treatment_start": "+0",
                "anaesthetic_product": "EMLA",
            },
            "anaesthetic_applied_at",
        ),  # fmt: skip
        ({"anaesthetic_applied_at": "-20"}, "anaesthetic_product"),
        ({"treatment_start": "yesterday"}, "treatment_start"),
        ({"reactions": [("fainting", "mild")]}, "reactions[0].kind"),
        ({"reactions": [("bruising", "awful")]}, "reactions[0].severity"),
    ],
)
def test_impossible_session_details_are_refused_and_nothing_is_written(
    clinic, practitioner, fields, bad
):
    from pistor.treatments.services import ReactionIn, session_details_set

    _plan, session = _start(clinic, practitioner)
    t0 = session.started_at
    kwargs: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "reactions":
            kwargs[name] = [ReactionIn(*r) for r in value]
        elif isinstance(value, str) and value[:1] in "+-" and value[1:].isdigit():
            kwargs[name] = t0 + dt.timedelta(minutes=int(value))
        else:
            kwargs[name] = value
    with pytest.raises(ValidationFailed) as exc:
        session_details_set(session=session, by=practitioner, now=t0 + dt.timedelta(minutes=60),
                            **kwargs)  # fmt: skip
    assert bad in exc.value.fields, exc.value.fields
    session.refresh_from_db()
    assert session.treatment_start is None and session.reactions == {}


def test_signed_details_are_locked_and_part_of_the_signed_content(clinic, practitioner):
    from pistor.treatments.services import ReactionIn, session_details_set

    _plan, session = _full_session(clinic, practitioner)
    t0 = session.started_at
    session_details_set(session=session, by=practitioner, treatment_start=t0,
                        treatment_end=t0 + dt.timedelta(minutes=20),
                        reactions=[ReactionIn("papules", "mild")],
                        now=t0 + dt.timedelta(minutes=30))  # fmt: skip
    session_sign(session=session, signer=practitioner)
    session.refresh_from_db()
    assert session.content["reactions"] == {"papules": "mild"}
    assert session.content["treatment_end"]
    with pytest.raises(Conflict):
        session_details_set(session=session, by=practitioner, notes="changed")


def test_without_any_batch_the_start_names_the_missing_batch(clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, with_stock=False)
    with pytest.raises(GateBlocked) as exc:
        session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert _codes(exc) == ["batch-missing"]


def test_without_a_complete_intake_the_start_is_refused(clinic, practitioner):
    from pistor.intake.models import IntakeForm

    plan = ready_plan(clinic=clinic, by=practitioner)
    IntakeForm.objects.filter(patient=plan.patient).delete()
    with pytest.raises(GateBlocked) as exc:
        session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert "intake-missing" in _codes(exc)
    assert TreatmentSession.objects.count() == 0
