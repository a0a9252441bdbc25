"""``pistor seed``: made-up clinics and patients, deterministic, safe, searchable."""

from __future__ import annotations

import pytest
from django.db import transaction

from pistor.audit.models import AuditEvent
from pistor.cli import main
from pistor.clinics.models import Clinic
from pistor.demo import seed as seed_module
from pistor.demo.seed import REFERENCE_DAY, SeedContext, seed_database, seed_generator
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.search import split_query
from pistor.patients.selectors import patient_list
from pistor.patients.services import refresh_search_text

pytestmark = pytest.mark.django_db(transaction=False)


class _Undo(Exception):
    pass


def _people(clinic: Clinic) -> list[tuple]:
    return list(
        Patient.objects.for_clinic(clinic)
        .order_by("record_number")
        .values_list(
            "record_number", "given_name", "family_name", "date_of_birth", "phone", "email"
        )
    )


def test_seed_makes_clinics_and_patients_and_says_how_fast(capsys):
    assert main(["seed", "--clinics", "2", "--patients", "60", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "Seeded 2 clinic(s) (seed-3-1, seed-3-2): 120 patients" in out
    assert "patients/s" in out
    clinics = list(Clinic.objects.filter(slug__startswith="seed-3-").order_by("slug"))
    assert [c.slug for c in clinics] == ["seed-3-1", "seed-3-2"]
    for clinic in clinics:
        assert Patient.objects.for_clinic(clinic).count() == 60
        assert PatientNumberSequence.objects.get(clinic=clinic).last_number == 60
        assert AuditEvent.objects.filter(clinic=clinic, event_type="clinic.seeded").exists()


def test_seeded_patients_read_like_a_real_registry():
    (clinic,) = seed_database(patients=600, seed=4).clinics
    rows = list(Patient.objects.for_clinic(clinic))
    names = [f"{p.given_name} {p.family_name}" for p in rows]
    assert any("'" in n for n in names), "apostrophes"
    assert any("-" in p.family_name for p in rows), "double-barrelled names"
    assert any(not n.isascii() for n in names), "accents"
    ages = {p.age_on(REFERENCE_DAY) for p in rows}
    assert min(ages) >= 18 and max(ages) <= 86
    assert {p.sex for p in rows} >= {"female", "male"}
    assert 0 < sum(p.is_archived for p in rows) < 60
    assert {p.fitzpatrick_type for p in rows} == {1, 2, 3, 4, 5, 6}
    assert [p.record_number for p in sorted(rows, key=lambda p: p.pk)][:2] == [
        "P-000001",
        "P-000002",
    ]


def test_seeded_search_text_is_what_the_services_write_and_the_index_finds_it():
    (clinic,) = seed_database(patients=200, seed=5).clinics
    for patient in Patient.objects.for_clinic(clinic):
        stored = (patient.search_text, patient.sort_name)
        refresh_search_text(patient)
        assert stored == (patient.search_text, patient.sort_name)
    someone = Patient.objects.for_clinic(clinic).filter(archived_at__isnull=True).last()
    assert someone is not None
    rows, total = patient_list(
        clinic=clinic, query=f"{someone.family_name} {someone.record_number}"
    )
    assert [p.pk for p in rows] == [someone.pk]
    terms, _ = split_query(someone.family_name)
    rows, total = patient_list(clinic=clinic, query=someone.family_name, limit=200)
    assert someone in rows
    assert all(all(t in p.search_text for t in terms) for p in rows)


def test_the_same_seed_gives_the_same_people():
    def run() -> None:
        with pytest.raises(_Undo), transaction.atomic():
            (clinic,) = seed_database(patients=150, seed=6).clinics
            people.append(_people(clinic))
            raise _Undo

    people: list[list[tuple]] = []
    run()
    run()
    assert people[0] == people[1]
    other = seed_database(patients=150, seed=7).clinics[0]
    assert _people(other) != people[0]


def test_seed_refuses_a_database_with_other_clinics_unless_forced(clinic, capsys):
    assert main(["seed", "--patients", "5", "--seed", "8"]) == 1
    err = capsys.readouterr().err
    assert "not made by 'pistor seed'" in err and clinic.slug in err
    assert not Clinic.objects.filter(slug__startswith="seed-").exists()
    assert main(["seed", "--patients", "5", "--seed", "8", "--force"]) == 0
    assert Patient.objects.for_clinic(Clinic.objects.get(slug="seed-8-1")).count() == 5
    assert not Patient.objects.for_clinic(clinic).exists()


def test_seed_refuses_to_reuse_a_seed(capsys):
    assert main(["seed", "--patients", "5", "--seed", "9"]) == 0
    assert main(["seed", "--patients", "5", "--seed", "9"]) == 1
    assert "already holds clinics seeded with --seed 9" in capsys.readouterr().err
    assert Patient.objects.count() == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["seed", "--clinics", "0"], "choose at least 1"),
        (["seed", "--patients", "many"], "'many' is not a whole number"),
        (["seed", "--seed", "-1"], "-1 is negative"),
        (["seed", "--only", ","], "name at least one"),
    ],
)
def test_seed_wrong_arguments_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_apps_add_history_through_registered_generators():
    seen: dict[int, list[int]] = {}

    @seed_generator("test-history", after=("patients",))
    def history(ctx: SeedContext) -> int:
        for clinic in ctx.clinics:
            seen[clinic.pk] = ctx.patient_ids[clinic.pk]
        return sum(len(ids) for ids in seen.values())

    try:
        report = seed_database(clinics=2, patients=7, seed=10)
    finally:
        del seed_module._GENERATORS["test-history"]
    # Other apps' generators (outcomes, ...) run too; these two are the ones this test knows.
    assert (report.rows["patients"], report.rows["test-history"]) == (14, 14)
    for clinic in report.clinics:
        assert seen[clinic.pk] == list(
            Patient.objects.for_clinic(clinic).order_by("pk").values_list("pk", flat=True)
        )


def test_a_generator_depending_on_an_unknown_one_is_refused():
    seed_generator("test-orphan", after=("nothing",))(lambda ctx: 0)
    try:
        with pytest.raises(ValueError, match="unknown 'nothing'"):
            seed_database(patients=1, seed=11)
    finally:
        del seed_module._GENERATORS["test-orphan"]
    assert not Clinic.objects.exists()


def test_only_the_histories_named_are_seeded_with_what_they_need(capsys):
    from pistor.scheduling.models import Appointment
    from pistor.treatments.models import TreatmentSession

    assert main(["seed", "--patients", "30", "--seed", "12", "--only", "patients"]) == 0
    assert "30 patients in" in capsys.readouterr().out
    assert Patient.objects.count() == 30
    assert not TreatmentSession.objects.exists() and not Appointment.objects.exists()
    # "scheduling" runs after "patients", so asking for it alone seeds both.
    report = seed_database(patients=20, seed=13, only=["scheduling"])
    assert set(report.rows) == {"patients", "scheduling"} and report.rows["scheduling"] > 0
    assert not TreatmentSession.objects.exists()


def test_an_unknown_history_is_refused_by_name_and_nothing_is_written(capsys):
    assert main(["seed", "--patients", "5", "--seed", "14", "--only", "patients,invoices"]) == 1
    err = capsys.readouterr().err
    assert "No history called invoices" in err and "outcomes" in err
    assert not Clinic.objects.exists()
