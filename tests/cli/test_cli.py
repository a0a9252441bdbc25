"""The ``pistor`` command, called as ``main([...])`` the way the console script calls it."""

from __future__ import annotations

import io
import os
import stat
import sys

import pytest
from django.db import connection

from pistor.accounts.models import User
from pistor.api.models import ApiToken
from pistor.api.tokens import token_hash
from pistor.audit.models import AuditEvent
from pistor.cli import main
from pistor.clinics.models import Clinic, Membership
from pistor.patients.models import Patient
from pistor.testing.factories import MembershipFactory

STRONG_PASSWORD = "lagoon-Orchid-73-pebble"  # noqa: S105


@pytest.fixture
def no_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


# --- wrong arguments: status 2 and a message saying what is wrong ----------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["demo", "--port", "eighty"], "'eighty' is not a port number"),
        (["demo", "--port", "70000"], "70000 is not between 1 and 65535"),
        (["serve", "--bind", "localhost"], "not HOST:PORT"),
        (["serve", "--workers", "0"], "choose between 1 and 64"),
        (["token"], "required: ACTION"),
        (["token", "create"], "the following arguments are required: --user"),
        (["token", "revoke"], "the following arguments are required: PREFIX"),
        (["audit", "rewrite"], "invalid choice: 'rewrite'"),
        (["createstaff", "--role", "surgeon"], "invalid choice: 'surgeon'"),
        (["check", "--fail-level", "LOUD"], "invalid choice: 'LOUD'"),
        (["createclinic", "--name", "Harbour"], "the following arguments are required: --slug"),
    ],
)
def test_wrong_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["demo", "--help"],
        ["serve", "--help"],
        ["migrate", "--help"],
        ["createstaff", "--help"],
        ["createclinic", "--help"],
        ["check", "--help"],
        ["token", "create", "--help"],
        ["token", "revoke", "--help"],
        ["audit", "verify", "--help"],
    ],
)
def test_every_command_explains_itself(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert "usage: pistor" in capsys.readouterr().out


# --- check -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_passes_on_a_sound_installation(capsys):
    assert main(["check"]) == 0
    assert "no issues" in capsys.readouterr().out


# --- createclinic ------------------------------------------------------------------------


@pytest.mark.django_db
def test_createclinic_opens_an_audited_clinic(capsys):
    argv = ["createclinic", "--name", "Quayside Clinic", "--slug", "quayside"]
    argv += ["--time-zone", "Europe/Dublin", "--currency", "eur", "--registration", "CRO 123"]
    assert main(argv) == 0
    assert "pistor createstaff --clinic quayside --role manager" in capsys.readouterr().out
    clinic = Clinic.objects.get(slug="quayside")
    assert (clinic.name, clinic.time_zone, clinic.currency) == (
        "Quayside Clinic",
        "Europe/Dublin",
        "EUR",
    )
    assert clinic.registration_numbers == "CRO 123"
    assert AuditEvent.objects.filter(clinic=clinic, event_type="clinic.created").exists()


@pytest.mark.django_db
def test_createclinic_refuses_bad_details_and_creates_nothing(clinic, capsys):
    argv = ["createclinic", "--name", "Elsewhere", "--slug", "elsewhere"]
    assert main([*argv, "--time-zone", "Mars/Olympus"]) == 1
    assert "not a time zone name" in capsys.readouterr().err
    assert main([*argv, "--currency", "pounds"]) == 1
    assert "three-letter" in capsys.readouterr().err
    assert main(["createclinic", "--name", "Again", "--slug", clinic.slug]) == 1
    assert "slug" in capsys.readouterr().err
    assert main([*argv, "--allergy-read-hours", "12"]) == 1
    assert "at least 24 hours" in capsys.readouterr().err
    assert not Clinic.objects.filter(slug="elsewhere").exists()


# --- createstaff -------------------------------------------------------------------------


@pytest.mark.django_db
def test_createstaff_without_a_terminal_names_what_is_missing(clinic, no_terminal, capsys):
    assert main(["createstaff", "--email", "ada@example.org"]) == 2
    err = capsys.readouterr().err
    assert "--name" in err and "--clinic" in err and "--role" in err
    assert not User.objects.filter(email="ada@example.org").exists()


@pytest.mark.django_db
def test_createstaff_with_password_from_environment(clinic, no_terminal, monkeypatch, capsys):
    monkeypatch.setenv("PISTOR_STAFF_PASSWORD", STRONG_PASSWORD)
    argv = ["createstaff", "--email", "Ada@Example.org", "--name", "Ada Lovelace"]
    argv += ["--clinic", clinic.slug, "--role", "nurse"]
    assert main(argv) == 0
    assert f"ada@example.org is now nurse at {clinic.name}" in capsys.readouterr().out
    user = User.objects.get(email="ada@example.org")
    assert user.check_password(STRONG_PASSWORD)
    assert Membership.objects.get(user=user, clinic=clinic).role == "nurse"
    assert AuditEvent.objects.filter(clinic=clinic, event_type="staff.created").exists()


@pytest.mark.django_db
def test_createstaff_reads_the_password_file(clinic, no_terminal, tmp_path, monkeypatch):
    monkeypatch.delenv("PISTOR_STAFF_PASSWORD", raising=False)
    secret = tmp_path / "password"
    secret.write_text(STRONG_PASSWORD + "\n")
    argv = ["createstaff", "--email", "bo@example.org", "--name", "Bo Lee"]
    argv += ["--clinic", clinic.slug, "--role", "reception", "--password-file", str(secret)]
    assert main(argv) == 0
    assert User.objects.get(email="bo@example.org").check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_createstaff_without_a_password_and_no_terminal_is_refused(
    clinic, no_terminal, monkeypatch, capsys
):
    monkeypatch.delenv("PISTOR_STAFF_PASSWORD", raising=False)
    argv = ["createstaff", "--email", "cy@example.org", "--name", "Cy Young"]
    argv += ["--clinic", clinic.slug, "--role", "nurse"]
    assert main(argv) == 2
    assert "--password-file" in capsys.readouterr().err
    assert not User.objects.filter(email="cy@example.org").exists()


@pytest.mark.django_db
def test_createstaff_weak_password_says_why_and_creates_nothing(
    clinic, no_terminal, monkeypatch, capsys
):
    monkeypatch.setenv("PISTOR_STAFF_PASSWORD", "12345")
    argv = ["createstaff", "--email", "di@example.org", "--name", "Di Prince"]
    argv += ["--clinic", clinic.slug, "--role", "nurse"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "password:" in err and "too short" in err
    assert not User.objects.filter(email="di@example.org").exists()


@pytest.mark.django_db
def test_createstaff_unknown_clinic_lists_the_clinics(clinic, no_terminal, monkeypatch, capsys):
    monkeypatch.setenv("PISTOR_STAFF_PASSWORD", STRONG_PASSWORD)
    argv = ["createstaff", "--email", "ed@example.org", "--name", "Ed Nygma"]
    argv += ["--clinic", "nowhere", "--role", "nurse"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "No clinic with slug 'nowhere'" in err and clinic.slug in err


@pytest.mark.django_db
def test_createstaff_asks_in_a_terminal(clinic, monkeypatch, capsys):
    answers = iter(["fi@example.org", "Fi Glover", clinic.slug, "manager"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: STRONG_PASSWORD)
    monkeypatch.delenv("PISTOR_STAFF_PASSWORD", raising=False)
    assert main(["createstaff"]) == 0
    user = User.objects.get(email="fi@example.org")
    assert Membership.objects.get(user=user).role == "manager"


# --- token -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_create_prints_a_working_token_and_revoke_stops_it(practitioner, clinic, capsys):
    assert main(["token", "create", "--user", practitioner.email, "--name", "Booking site"]) == 0
    out, err = capsys.readouterr()
    raw = out.strip()
    token = ApiToken.objects.get(secret_hash=token_hash(raw))
    assert token.user == practitioner and token.clinic == clinic
    assert token.name == "Booking site" and token.revoked_at is None
    assert "shown only once" in err

    assert main(["token", "revoke", token.prefix]) == 0
    assert "revoked" in capsys.readouterr().out
    token.refresh_from_db()
    assert token.revoked_at is not None

    assert main(["token", "revoke", token.prefix]) == 1
    assert "already revoked" in capsys.readouterr().err


@pytest.mark.django_db
def test_token_for_someone_at_two_clinics_needs_the_clinic(
    practitioner, clinic, other_clinic, capsys
):
    MembershipFactory(user=practitioner, clinic=other_clinic, role="nurse")
    assert main(["token", "create", "--user", practitioner.email]) == 2
    err = capsys.readouterr().err
    assert "--clinic" in err and clinic.slug in err and other_clinic.slug in err
    assert not ApiToken.objects.exists()

    argv = ["token", "create", "--user", practitioner.email, "--clinic", other_clinic.slug]
    assert main(argv) == 0
    assert ApiToken.objects.get().clinic == other_clinic


@pytest.mark.django_db
def test_token_refuses_unknown_people_and_prefixes(practitioner, other_clinic, capsys):
    assert main(["token", "create", "--user", "nobody@example.org"]) == 1
    assert "No staff account with email nobody@example.org" in capsys.readouterr().err
    argv = ["token", "create", "--user", practitioner.email, "--clinic", other_clinic.slug]
    assert main(argv) == 1
    assert "does not work at" in capsys.readouterr().err
    assert main(["token", "revoke", "zzzzzzzz"]) == 1
    assert "No API token starts with 'zzzzzzzz'" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


# --- audit verify ------------------------------------------------------------------------


@pytest.fixture
def checkpoints(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_FILE


@pytest.mark.django_db
def test_audit_verify_ok_then_names_the_event_someone_rewrote(
    practitioner, clinic, no_terminal, monkeypatch, capsys, checkpoints
):
    from pistor.audit.tests.conftest import intruder

    monkeypatch.setenv("PISTOR_STAFF_PASSWORD", STRONG_PASSWORD)
    argv = ["createstaff", "--email", "gil@example.org", "--name", "Gil Scott"]
    argv += ["--clinic", clinic.slug, "--role", "reception"]
    assert main(argv) == 0
    capsys.readouterr()

    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("OK")
    assert "not sealed yet" in out

    assert main(["audit", "seal"]) == 0
    assert capsys.readouterr().out.startswith("Sealed ")
    assert checkpoints.exists()
    assert main(["audit", "verify"]) == 0
    assert "0 not sealed yet" in capsys.readouterr().out

    event = AuditEvent.objects.get(event_type="staff.created")
    with intruder(), connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        cursor.execute(
            f"UPDATE {table} SET subject_id = %s WHERE id = %s",  # noqa: S608
            ["999999", event.pk],
        )

    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"event id {event.pk}" in out
    assert "altered after it was sealed [staff.created]" in out
    assert "FAILED" in out


@pytest.mark.django_db
def test_worker_once_seals(clinic, capsys, checkpoints):
    from pistor.audit.services import audit_record, audit_verify_report

    audit_record(clinic=clinic, actor=None, event_type="system.started")
    assert main(["worker", "--once"]) == 0
    assert "sealing the audit trail" in capsys.readouterr().out
    assert audit_verify_report().unsealed == 0


# --- demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_without_serving_sets_up_and_prints_how_to_sign_in(
    tmp_path, monkeypatch, settings, capsys
):
    from pistor.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    data_dir = tmp_path / "var"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISTOR_DATA_DIR", str(data_dir))
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "PISTOR_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PISTOR_AUDIT_KEY", "")  # restored (unset) afterwards
    settings.STATIC_ROOT = data_dir / "static"
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        _analyze_patients()  # of no patients: the planner's figure is 0

    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and DEMO_TOTP_SECRET in out
    assert "practitioner@harbour.example" in out and "reception@harbour.example" in out
    assert "http://127.0.0.1:8000/" in out
    key_file = data_dir / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    audit_key = (data_dir / "audit_key").read_text().strip()
    assert len(audit_key) >= 50 and audit_key != key
    assert os.environ["PISTOR_AUDIT_KEY"] == audit_key
    assert stat.S_IMODE((data_dir / "audit_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert os.environ["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert os.environ["PISTOR_HTTPS"] == "0"
    assert (data_dir / "static" / "pistor" / "pistor.css").exists()
    if postgresql:
        # The demo is planned with its statistics, not as the empty tables it was loaded into.
        assert _planner_patients() == Patient.objects.count() > 0

    # Again: the same key, nothing added.
    monkeypatch.delenv("SECRET_KEY")
    events = AuditEvent.objects.count()
    assert main(["demo", "--no-serve"]) == 0
    assert "nothing was changed" in capsys.readouterr().out
    assert key_file.read_text().strip() == key
    assert AuditEvent.objects.count() == events


def _analyze_patients() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")
    assert _planner_patients() == 0


def _planner_patients() -> int:
    """How many patients PostgreSQL's planner believes there are (its last ANALYZE's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'patients_patient'")
        return int(cursor.fetchone()[0])


# --- serve and demo hand over to gunicorn ------------------------------------------------


class Exec(Exception):
    """Stands in for os.execv, which would replace the test process with gunicorn."""


@pytest.fixture
def captured_exec(monkeypatch):
    calls = []

    def fake_execv(path, argv):
        calls.append(argv)
        raise Exec

    monkeypatch.setattr(os, "execv", fake_execv)
    return calls


@pytest.mark.django_db
def test_serve_hands_over_to_gunicorn_without_an_access_log(
    captured_exec, tmp_path, settings, capsys
):
    settings.STATIC_ROOT = tmp_path / "static"
    with pytest.raises(Exec):
        main(["serve", "--bind", "0.0.0.0:9000", "--workers", "4"])
    (argv,) = captured_exec
    assert argv[1:4] == ["-m", "gunicorn", "pistor.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "4"
    assert "--access-logfile" not in argv
    assert (tmp_path / "static" / "pistor" / "pistor.css").exists()
    assert "Serving Pistor on 0.0.0.0:9000" in capsys.readouterr().out


@pytest.mark.django_db
def test_serve_refuses_while_migrations_are_pending(captured_exec, monkeypatch, capsys):
    monkeypatch.setattr("pistor.cli._unapplied_migrations", lambda: 3)
    assert main(["serve"]) == 1
    assert "needs 3 migration(s) first: run 'pistor migrate'" in capsys.readouterr().err
    assert captured_exec == []


@pytest.mark.django_db
def test_demo_serves_on_the_loopback_by_default(captured_exec, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("PISTOR_DATA_DIR", str(tmp_path / "var"))
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "PISTOR_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PISTOR_AUDIT_KEY", "")
    workers = []
    monkeypatch.setattr("subprocess.Popen", lambda argv, **kw: workers.append(argv))
    settings.STATIC_ROOT = tmp_path / "var" / "static"
    with pytest.raises(Exec):
        main(["demo", "--port", "8123"])
    (argv,) = captured_exec
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    # The worker that seals the audit trail runs beside gunicorn, and ends with it.
    (worker,) = workers
    assert worker[1:] == ["-m", "pistor.cli", "worker", "--with-parent"]


@pytest.mark.django_db
def test_manage_runs_django_commands(capsys):
    assert main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out
