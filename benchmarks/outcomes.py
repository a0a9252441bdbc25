"""The clinic outcomes report over PostgreSQL with 50,000 patients' courses.

    DATABASE_URL=postgres://pistor:pistor@127.0.0.1:55432/pistor_outcomes_bench \\
        PYTHONPATH=. .venv/bin/python benchmarks/outcomes.py [--patients 50000]

Prints figures; asserts nothing about time. It (re)creates the database named in
DATABASE_URL (refusing any name that does not end in ``_bench``), migrates it, builds one
clinic's patients and their courses with ``pistor seed`` (the "outcomes" generator: signed
sessions with their batches, three scale scores per patient, side effects at realistic
rates), then times ``outcomes_report`` (page data), the report page with the test client,
and the CSV, and counts their queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from benchmarks.trace import _recreate_database  # the same "_bench"-only guard


def _time(action, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    times, cpu = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    print(f"    (this process's CPU: median {statistics.median(cpu) * 1000:.0f} ms)")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="time the report on the database seeded last time"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    if not args.reuse:
        _recreate_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pistor.settings")
    os.environ.setdefault("PISTOR_DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)

    from pistor.catalog.selectors import catalog_for_clinic
    from pistor.clinics.models import Clinic
    from pistor.demo.seed import seed_database
    from pistor.outcomes.models import Measurement, SideEffect
    from pistor.outcomes.report import outcomes_report, report_csv
    from pistor.treatments.models import TreatmentSession

    if args.reuse:
        clinic = Clinic.objects.get(slug="seed-12-1")
    else:
        started = time.perf_counter()
        seeded = seed_database(clinics=1, patients=args.patients, seed=12)
        seed_seconds = time.perf_counter() - started
        clinic = seeded.clinics[0]
        print(f"seeded {args.patients:,} patients in {seed_seconds:.1f} s "
              f"(cpu {seeded.cpu_seconds:.1f} s): rows {seeded.rows}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"sessions {TreatmentSession.objects.filter(clinic=clinic).count():,}, "
        f"scores {Measurement.objects.filter(clinic=clinic).count():,}, "
        f"side effects {SideEffect.objects.filter(clinic=clinic).count():,}"
    )
    catalog = catalog_for_clinic(clinic=clinic)
    with CaptureQueriesContext(connection) as captured:
        report = outcomes_report(clinic_id=clinic.pk, catalog=catalog)
    print(f"report queries: {len(captured.captured_queries)}; "
          f"patients with a change: {report.patients_measured:,}")  # fmt: skip
    # The database's own execution time of each query (steadier than wall clock on a
    # shared machine): EXPLAIN ANALYZE of the statement the report ran.
    total = 0.0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith("DECLARE"):
                sql = sql[sql.index(" FOR ") + len(" FOR ") :]
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            ms = cursor.fetchone()[0][0]["Execution Time"]
            total += ms
            print(f"    {ms:8.1f} ms  {sql[:90]}")
    print(f"database execution, all report queries: {total:.0f} ms")
    times = _time(lambda: outcomes_report(clinic_id=clinic.pk, catalog=catalog), args.repeats)
    print(f"outcomes_report: median {statistics.median(times) * 1000:.0f} ms, "
          f"worst {max(times) * 1000:.0f} ms ({args.repeats} runs)")  # fmt: skip
    times = _time(lambda: report_csv(outcomes_report(clinic_id=clinic.pk, catalog=catalog)), 3)
    print(f"report + CSV: median {statistics.median(times) * 1000:.0f} ms (3 runs)")
    for row in report.by_indication:
        print(f"  {row.group:20} {row.scale_code:14} n={row.n:6,} median {row.median} "
              f"IQR {row.q1} to {row.q3}")  # fmt: skip
    for rate in report.rates:
        print(f"  {rate.event_code:18} {rate.events:6,} / {rate.sessions:,} = {rate.per_100}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
