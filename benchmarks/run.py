"""Print Pistor's performance figures: catalog load, clinical engine, patient search, audit.

    .venv/bin/python benchmarks/run.py            # everything (about 30 seconds on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # smaller data and fewer repeats
    .venv/bin/python benchmarks/run.py --only search,audit

Figures only, no pass/fail: timing thresholds in tests would fail on a busy machine and
teach people to ignore red. Record what you measure in benchmarks/README.md.

It works in a throw-away SQLite database in a temporary directory (the embedded default,
with the same WAL settings a clinic runs), never in ./var.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return median, p95


def _per_call(func: Callable[[], object], *, min_seconds: float) -> tuple[float, int]:
    """Seconds per call, repeating until ``min_seconds`` have passed (after one warm-up)."""
    func()
    calls = 0
    start = time.perf_counter()
    while True:
        func()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls, calls


# --- catalog --------------------------------------------------------------------------


def bench_catalog(quick: bool) -> None:
    print("Clinical catalog")
    code = (
        "import time; t = time.perf_counter(); "
        "from pistor.clinical.catalog import load_catalog; load_catalog(); "
        "print(time.perf_counter() - t)"
    )
    runs = []
    for _ in range(3 if quick else 7):
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        runs.append(float(out.stdout.strip()))
    median, worst = statistics.median(runs), max(runs)
    print(
        f"  cold load (new process: import, parse, cross-check): median {_ms(median)}, "
        f"worst {_ms(worst)} over {len(runs)} runs"
    )

    from pistor.clinical.catalog import load_catalog_from

    per, calls = _per_call(load_catalog_from, min_seconds=0.5 if quick else 2.0)
    print(f"  parse + check again in a warm process: {_ms(per)} per load ({calls} loads)")
    catalog = load_catalog_from()
    print(
        f"  size: {len(catalog.indications)} indications, {len(catalog.protocols)} protocols, "
        f"{len(catalog.ingredients)} ingredients, {len(catalog.products)} products"
    )


# --- clinical engine ------------------------------------------------------------------


def bench_clinical(quick: bool) -> None:
    import datetime as dt
    from decimal import Decimal

    from pistor.clinical.catalog import load_catalog
    from pistor.clinical.catalog.types import Needle
    from pistor.clinical.dosing import CocktailLine
    from pistor.clinical.protocols import plan_course
    from pistor.clinical.safety import AreaPlan, PatientFacts, TreatmentProposal, screen
    from pistor.clinical.units import Quantity

    print("Clinical engine (pure Python, per call)")
    catalog = load_catalog()
    seconds = 0.5 if quick else 2.0
    start = dt.date(2027, 3, 1)
    protocols = list(catalog.protocols.values())

    def plan_all() -> None:
        for protocol in protocols:
            plan_course(protocol, start)

    per, calls = _per_call(plan_all, min_seconds=seconds)
    print(
        f"  plan_course: {per / len(protocols) * 1e6:.1f} µs per plan "
        f"(each of the {len(protocols)} catalog protocols, {calls * len(protocols)} plans)"
    )

    thighs = AreaPlan(
        "Thighs",
        "papule",
        Quantity.of("1.5", "mm"),
        Needle(30, Quantity.of(4, "mm")),
        injections=40,
        volume_per_injection=Quantity.of("0.05", "mL"),
    )
    clean_patient = PatientFacts(
        birth_date=dt.date(1985, 3, 2), weight_kg=Decimal(68), fitzpatrick=3
    )
    clean = TreatmentProposal(
        "cellulite",
        (thighs,),
        (
            CocktailLine(
                "l-carnitine", volume=Quantity.of(2, "mL"), concentration=Quantity.of(200, "mg/mL")
            ),
            CocktailLine(
                "lidocaine", volume=Quantity.of(1, "mL"), concentration=Quantity.of(10, "mg/mL")
            ),
        ),
        start,
        protocol="seed-body-short",
    )
    flagged_patient = PatientFacts(
        birth_date=dt.date(1985, 3, 2),
        weight_kg=Decimal(68),
        fitzpatrick=5,
        allergens=frozenset({"soy"}),
    )
    flagged = TreatmentProposal(
        "cellulite",
        (thighs,),
        (
            CocktailLine("dermaheal-ll", volume=Quantity.of(2, "mL")),
            CocktailLine(
                "lidocaine", volume=Quantity.of(1, "mL"), concentration=Quantity.of(10, "mg/mL")
            ),
        ),
        start,
        protocol="seed-body-short",
    )
    for label, patient, proposal in (
        ("no findings", clean_patient, clean),
        ("with findings", flagged_patient, flagged),
    ):
        found = len(screen(patient, proposal, today=start, catalog=catalog).findings)

        def run(patient: PatientFacts = patient, proposal: TreatmentProposal = proposal) -> None:
            screen(patient, proposal, today=start, catalog=catalog)

        per, calls = _per_call(run, min_seconds=seconds)
        print(
            f"  screen, 2-line cocktail, {label} ({found}): {per * 1e6:.1f} µs per call "
            f"({calls} calls)"
        )


# --- Django set-up for the database benchmarks ----------------------------------------


def _django(workdir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pistor.settings",
            "PISTOR_TESTING": "1",  # testserver host, fast password hashing, no secret needed
            "PISTOR_DEBUG": "0",  # DEBUG would keep every query in memory
            "PISTOR_DATA_DIR": str(workdir),
            "PISTOR_SQLITE_PATH": str(workdir / "bench.sqlite3"),
            "PISTOR_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    (workdir / "static").mkdir(exist_ok=True)  # WhiteNoise warns about a missing STATIC_ROOT
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


GIVEN = [
    "José", "Zoë", "Siobhán", "Chloé", "Björn", "Łucja", "Ngozi", "Mohammed", "Hannah", "Mei",
    "Kwame", "Aoife", "François", "Priya", "Oliver", "Fatima", "Amelia", "Jack", "Olivia",
    "Harry", "Isla", "Noah", "Emily", "Leo", "María", "Ömer", "Søren", "Anaïs", "Tomás", "Eilidh",
]  # fmt: skip
FAMILY = [
    "Álvarez", "Clarke", "O'Brien", "Dubois", "Lindqvist", "Kowalczyk", "Adeyemi", "Al-Rashid",
    "Whitaker", "Chen", "Mensah", "Ní Bhriain", "Lefèvre", "Raman", "Smith", "Jones", "Taylor",
    "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright", "García", "Müller",
    "Novák", "Yılmaz", "Nguyen", "MacLeod", "Okafor", "Evans", "Thomas", "Roberts", "Walker",
]  # fmt: skip


def _make_patients(clinic: object, count: int, rng: random.Random) -> None:
    """Bulk-insert ``count`` patients, with the search column the services would compute."""
    import datetime as dt

    from django.db import transaction

    from pistor.patients.models import Patient, PatientNumberSequence
    from pistor.patients.services import refresh_search_text

    start = Patient.objects.for_clinic(clinic).count()  # type: ignore[arg-type]
    rows = []
    for n in range(start + 1, start + count + 1):
        patient = Patient(
            clinic=clinic,
            record_number=f"P-{n:06d}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 60 * 365)),
            phone=f"+44 7700 {rng.randrange(900000, 999999)}",
            email=f"patient{n}@mail.example",
            fitzpatrick_type=rng.randint(1, 6),
        )
        refresh_search_text(patient)
        rows.append(patient)
    with transaction.atomic():
        Patient.objects.bulk_create(rows, batch_size=500)
        PatientNumberSequence.objects.update_or_create(
            clinic=clinic, defaults={"last_number": start + count}
        )


def bench_search(quick: bool) -> None:
    from django.db import connection
    from django.test import Client

    from pistor.accounts.models import User
    from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
    from pistor.clinics.models import Clinic, Membership
    from pistor.patients.selectors import patient_list
    from pistor.patients.services import patient_create

    print("Patient search on SQLite (WAL, file database)")
    rng = random.Random(1952)  # noqa: S311
    clinic = Clinic.objects.create(name="Benchmark Clinic", slug="benchmark")
    Clinic.objects.create(name="Other Clinic", slug="other")
    user = User.objects.create_user("reception@bench.example", "bench-password-1", full_name="R")
    Membership.objects.create(user=user, clinic=clinic, role="reception")

    # Registering through the service (validation, record number, audit) for scale.
    import datetime as dt

    samples = []
    for i in range(50 if quick else 200):
        t = time.perf_counter()
        patient_create(
            clinic=clinic,
            actor=user,
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            phone="+44 7700 900123",
        )
        samples.append(time.perf_counter() - t)
    median, p95 = _quantiles(samples)
    print(f"  patient_create (audited): median {_ms(median)}, p95 {_ms(p95)} per patient")

    client = Client()
    client.force_login(user)
    session = client.session
    session[CURRENT_CLINIC_SESSION_KEY] = clinic.pk
    session.save()

    queries = [
        "siobhan",  # accent-insensitive first name
        "KOWAL",  # family-name fragment, wrong case
        "maria garcia",  # two words, both must match
        "P-000123",  # record number
        "900123",  # phone digits
        "02/03/1985",  # UK date of birth
        "o'brien",
        "zzzz",  # nothing matches: the whole clinic is scanned
    ]
    repeats = 3 if quick else 10
    sizes = [1_000, 10_000] if not quick else [1_000, 3_000]
    have = len(samples)
    for size in sizes:
        _make_patients(clinic, size - have, rng)
        have = size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        selector, page, partial = [], [], []
        slowest = ("", 0.0)
        for _ in range(repeats):
            for query in queries:
                t = time.perf_counter()
                patient_list(clinic=clinic, query=query)
                took = time.perf_counter() - t
                selector.append(took)
                if took > slowest[1]:
                    slowest = (query, took)
                t = time.perf_counter()
                response = client.get("/patients/", {"q": query})
                page.append(time.perf_counter() - t)
                assert response.status_code == 200, response.status_code
                t = time.perf_counter()
                response = client.get("/patients/", {"q": query}, HTTP_HX_REQUEST="true")
                partial.append(time.perf_counter() - t)
                assert response.status_code == 200, response.status_code
        print(f"  {size:>6,} patients ({len(queries)} queries x {repeats}):")
        for label, values in (
            ("selector patient_list", selector),
            ("page GET /patients/?q=", page),
            ("HTMX partial (search box)", partial),
        ):
            median, p95 = _quantiles(values)
            print(f"      {label:<27} median {_ms(median):>10}   p95 {_ms(p95):>10}")
        print(f"      slowest selector query: {slowest[0]!r} {_ms(slowest[1])}")


def bench_audit(quick: bool) -> None:
    from django.db import transaction

    from pistor.audit.models import AuditEvent
    from pistor.audit.services import audit_record, audit_seal, audit_verify
    from pistor.clinics.models import Clinic

    print("Audit trail")
    clinic, _ = Clinic.objects.get_or_create(slug="audit-bench", defaults={"name": "Audit"})
    target = 2_000 if quick else 10_000
    existing = AuditEvent.objects.count()
    to_add = max(0, target - existing)
    t = time.perf_counter()
    for start in range(0, to_add, 1000):
        with transaction.atomic():
            for n in range(start, min(to_add, start + 1000)):
                audit_record(
                    clinic=clinic,
                    actor=None,
                    event_type="patient.updated",
                    subject_type="patient",
                    subject_id=n,
                    before={"phone": "+44 7700 900000"},
                    after={"phone": f"+44 7700 9{n:05d}"},
                )
    if to_add:
        per = (time.perf_counter() - t) / to_add
        print(f"  audit_record: {per * 1e6:.0f} µs per event ({to_add} events, 1000 per commit)")
    t = time.perf_counter()
    sealed = audit_seal(full=True).sealed
    if sealed:
        print(f"  audit_seal: {sealed:,} events in {time.perf_counter() - t:.2f} s")
    total = AuditEvent.objects.count()
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        problems = audit_verify()
        runs.append(time.perf_counter() - t)
        assert problems == [], problems
    print(
        f"  audit_verify over {total:,} events: median {_ms(statistics.median(runs))} "
        f"({statistics.median(runs) / total * 1e6:.1f} µs per event)"
    )


SECTIONS = {
    "catalog": bench_catalog,
    "clinical": bench_clinical,
    "search": bench_search,
    "audit": bench_audit,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run ({', '.join(SECTIONS)})",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    print(
        f"Pistor benchmarks, {time.strftime('%Y-%m-%d %H:%M')} — Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
        f"{' (quick)' if args.quick else ''}"
    )
    with tempfile.TemporaryDirectory(prefix="pistor-bench-") as tmp:
        if {"search", "audit"} & set(chosen):
            _django(Path(tmp))
        for name in chosen:
            t = time.perf_counter()
            SECTIONS[name](args.quick)
            print(f"  ({name}: {time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
