"""Print the audit trail's figures: the managers' list page at two trail sizes, sealing.

    .venv/bin/python benchmarks/audit.py                       # SQLite, 10,000 vs 1,000,000
    .venv/bin/python benchmarks/audit.py --quick               # 10,000 vs 100,000
    .venv/bin/python benchmarks/audit.py --database-url postgres://pistor@127.0.0.1:55432/x

With ``--database-url`` (PostgreSQL) the named database is dropped and created afresh:
give it a name of its own. Otherwise a throw-away SQLite file in a temporary directory
(WAL, IMMEDIATE transactions, as a clinic runs it). Figures only, no pass/fail.

Events are bulk-inserted (90 % in the measured clinic, 10 % in another), spread over two
years, with a realistic mix of types, staff and patients. The page is fetched with the
test client as a signed-in manager (middleware, session, template), unfiltered, filtered
by one field each, and one page further back (keyset), median of several runs each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TYPES = (
    ["patient.viewed"] * 70
    + ["patient.updated"] * 15
    + ["patient.created"] * 5
    + ["auth.login"] * 5
    + ["clinical.screen_run"] * 4
    + ["patient.archived"]
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _django(workdir: Path, database_url: str | None) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pistor.settings",
            "PISTOR_TESTING": "1",
            "PISTOR_DEBUG": "0",
            "PISTOR_DATA_DIR": str(workdir),
            "PISTOR_SQLITE_PATH": str(workdir / "bench.sqlite3"),
            "PISTOR_AUDIT_CHECKPOINT_FILE": str(workdir / "audit-checkpoints.jsonl"),
            "PISTOR_LOG_LEVEL": "WARNING",
            # As a clinic runs: a seal asked for after a commit at most once a second.
            "PISTOR_AUDIT_SEAL_COALESCE_SECONDS": "1",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = database_url
    (workdir / "static").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _median(func: Callable[[], object], repeats: int) -> float:
    func()  # warm-up
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 vs 100,000 events")
    parser.add_argument("--database-url", help="a PostgreSQL database to create and use")
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000]

    with tempfile.TemporaryDirectory(prefix="pistor-audit-bench-") as tmp:
        _django(Path(tmp), args.database_url)
        from django.db import connection
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from pistor.accounts.models import User
        from pistor.audit.models import AuditEvent
        from pistor.audit.services import audit_record, audit_seal, audit_verify_report
        from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
        from pistor.clinics.models import Clinic, Membership
        from pistor.patients.models import Patient

        print(
            f"Audit trail benchmark, {time.strftime('%Y-%m-%d %H:%M')} — "
            f"{connection.vendor}, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        rng = random.Random(7)  # noqa: S311
        clinic = Clinic.objects.create(name="Bench Clinic", slug="bench")
        other = Clinic.objects.create(name="Other Clinic", slug="other")
        staff = []
        for i in range(12):
            user = User.objects.create_user(
                f"s{i}@bench.example", "bench-pass-1", full_name=f"S{i}"
            )
            Membership.objects.create(
                user=user, clinic=clinic, role="manager" if i == 0 else "nurse"
            )
            staff.append(user)
        manager = staff[0]
        patient = Patient.objects.create(
            clinic=clinic,
            record_number="P-000042",
            given_name="Zoë",
            family_name="O'Brien",
            date_of_birth=dt.date(1980, 1, 1),
        )
        client = Client()
        client.force_login(manager)
        device = TOTPDevice.objects.create(user=manager, name="bench", confirmed=True)
        session = client.session
        session[CURRENT_CLINIC_SESSION_KEY] = clinic.pk
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        # Sealing throughput and append latency, on the first 10,000 events.
        t = time.perf_counter()
        for n in range(2_000):
            audit_record(
                clinic=clinic,
                actor=staff[n % 12],
                event_type="patient.viewed",
                subject_type="patient",
                subject_id=patient.pk,
                after={"action": "patient.view"},
            )
        per_append = (time.perf_counter() - t) / 2_000
        print(
            f"  audit_record (each its own commit, seals asked for at most 1/s): "
            f"{per_append * 1e6:.0f} µs per event"
        )

        start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        span = dt.timedelta(days=730)
        have = AuditEvent.objects.count()

        def grow(total: int) -> None:
            nonlocal have
            batch = 5_000
            while have < total:
                n = min(batch, total - have)
                rows = []
                for i in range(n):
                    k = have + i
                    kind = rng.choice(TYPES)
                    rows.append(
                        AuditEvent(
                            clinic=clinic if rng.random() < 0.9 else other,
                            actor_id=staff[rng.randrange(12)].pk,
                            actor_label="x@bench.example",
                            event_type=kind,
                            subject_type="patient",
                            subject_id=str(rng.randrange(1, 20_000)),
                            request_id=f"bench-{k}",
                            occurred_at=start + span * (k / sizes[-1]),
                            after={"phone": f"+44 7700 9{k % 100000:05d}"},
                        )
                    )
                AuditEvent.objects.bulk_create(rows, batch_size=1_000)
                have += n

        grow(sizes[0])
        t = time.perf_counter()
        sealed = audit_seal(full=True).sealed
        took = time.perf_counter() - t
        print(
            f"  audit_seal: {sealed:,} events in {took:.2f} s = {sealed / took:,.0f} events/s "
            "(with the signed checkpoint)"
        )
        t = time.perf_counter()
        report = audit_verify_report()
        took = time.perf_counter() - t
        assert report.ok, report.problems
        print(f"  audit_verify: {report.sealed:,} sealed events in {took:.2f} s")

        # Keep the rare record's events findable at both sizes.
        for _ in range(30):
            audit_record(
                clinic=clinic,
                actor=manager,
                event_type="patient.updated",
                subject_type="patient",
                subject_id=patient.pk,
                before={"phone": "1"},
                after={"phone": "2"},
            )
        repeats = 15
        cases: dict[str, dict[str, str]] = {
            "unfiltered, newest page": {},
            "event type (common)": {"event_type": "patient.viewed"},
            "event type (rare)": {"event_type": "patient.archived"},
            "who": {"actor": str(staff[5].pk)},
            "record number": {"record": "P-000042"},
            "dates (one month)": {"date_from": "2025-06-01", "date_to": "2025-06-30"},
        }
        results: dict[str, list[float]] = {}
        for size in sizes:
            grow(size)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            first = client.get("/audit/")
            assert first.status_code == 200, first.status_code
            older = re.search(r"older_than=(\d+)", first.content.decode()).group(1)  # type: ignore[union-attr]
            cases_now = {**cases, "second page (keyset)": {"older_than": str(older)}}
            print(f"  {size:>9,} events (median of {repeats}):")
            for label, params in cases_now.items():

                def fetch(params: dict[str, str] = params) -> None:
                    response = client.get("/audit/", params)
                    assert response.status_code == 200, response.status_code

                took = _median(fetch, repeats)
                results.setdefault(label, []).append(took)
                print(f"      {label:<26} {_ms(took):>10}")
        print(f"  ratio {sizes[1]:,} ÷ {sizes[0]:,}:")
        for label, (small, large) in results.items():
            print(f"      {label:<26} {large / small:>6.2f}×")

        # Sealing on top of the big trail, in the steady state: everything older was sealed
        # long ago (the scan floor has moved up), the worker seals what came since.
        from django.conf import settings

        from pistor.audit.models import AuditSealerState

        settings.AUDIT_SEAL_COALESCE_SECONDS = 1e9  # only the explicit seal below
        newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        AuditSealerState.objects.update(scan_from_id=newest, pending_floor_id=newest)
        for _ in range(5_000):
            audit_record(clinic=clinic, actor=manager, event_type="patient.viewed")
        t = time.perf_counter()
        sealed = audit_seal().sealed
        took = time.perf_counter() - t
        print(
            f"  audit_seal of {sealed:,} new events on a {sizes[1]:,}-event trail: {took:.2f} s "
            f"= {sealed / took:,.0f} events/s"
        )
        if args.database_url:
            connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
