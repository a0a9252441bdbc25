"""Patient search at 1,000 and 100,000 patients, on SQLite and PostgreSQL, with ``pistor seed``.

    .venv/bin/python benchmarks/search.py                          # both databases
    .venv/bin/python benchmarks/search.py --backends sqlite        # SQLite only
    .venv/bin/python benchmarks/search.py --sizes 1000,20000 --repeats 9
    DATABASE_URL=postgres://pistor@127.0.0.1:55432/postgres .venv/bin/python \\
        benchmarks/search.py --backends postgres                   # which server to use

For each database it seeds one clinic of each size (``seed_database``, the code behind
``pistor seed``) and times ``patient_list`` — the selector behind the list page, the live
search and ``GET /api/v1/patients`` — for the kinds of search staff type, taking the median
of ``--repeats`` runs after a warm-up. It then prints the ratio largest ÷ smallest per
search (issue 7 asks for at most 1.5), the seeding rate (issue 6 asks for at least 5,000
patients per second on SQLite), and on PostgreSQL the ``EXPLAIN ANALYZE`` plan of a name
search, which should show ``patients_patient_search_trgm`` (the pg_trgm GIN index).

SQLite works in a temporary file; PostgreSQL in a throw-away database
(``pistor_search_bench``) created on the server ``DATABASE_URL`` points at (default: the
development server at 127.0.0.1:55432) and dropped afterwards. Figures only, no pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "pistor_search_bench"
DEFAULT_SERVER = "postgres://pistor@127.0.0.1:55432/postgres"


# --- the parent: one child process per database -----------------------------------------


def _postgres_url(server: str, database: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _postgres_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_postgres_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _run_child(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pistor.settings",
        "PISTOR_TESTING": "1",  # no secret needed, fast hashing
        "PISTOR_DEBUG": "0",  # DEBUG would keep every query in memory
        "PISTOR_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    with tempfile.TemporaryDirectory(prefix="pistor-search-") as workdir:
        env["PISTOR_DATA_DIR"] = workdir
        (Path(workdir) / "static").mkdir()
        if backend == "sqlite":
            env.pop("DATABASE_URL", None)
            env["PISTOR_SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
        else:
            _postgres_admin(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
            _postgres_admin(server, f"CREATE DATABASE {BENCH_DATABASE}")
            env["DATABASE_URL"] = _postgres_url(server, BENCH_DATABASE)
        try:
            out = subprocess.run(  # noqa: S603 - this very script
                [
                    sys.executable,
                    __file__,
                    "--child",
                    backend,
                    "--sizes",
                    args.sizes,
                    "--repeats",
                    str(args.repeats),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if backend == "postgres":
                _postgres_admin(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"the {backend} run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print_report(backend: str, result: dict[str, Any]) -> None:
    sizes = [int(s) for s in result["sizes"]]
    for measure, label in (("ms", "wall"), ("cpu_ms", "CPU of this process")):
        print(
            f"\n{backend}: patient_list, median {label} of {result['repeats']} runs (ms), "
            "matches in () — 1,001 means more than 1,000"
        )
        print("  search".ljust(30) + "".join(f"{s:>18,}" for s in sizes) + "   ratio")
        ratios = []
        for kind, by_size in result["searches"].items():
            cells = "".join(
                f"{by_size[str(s)][measure]:>10.2f} ({by_size[str(s)]['total']:>5})" for s in sizes
            )
            ratio = by_size[str(sizes[-1])][measure] / max(by_size[str(sizes[0])][measure], 1e-6)
            ratios.append(ratio)
            print(f"  {kind:<28}{cells}   {ratio:.2f}×")
        print(f"  median ratio over the searches: {statistics.median(ratios):.2f}×")
    again = result.get("smallest_again")
    if again:
        print(
            f"  the {sizes[0]:,}-patient clinic again, with the table at "
            f"{sum(sizes):,} rows: median {statistics.median(again.values()):.2f} ms per search"
        )
    for size, rate in result["seed_rates"].items():
        print(
            f"  seeding {int(size):,} patients: {rate['seconds']:.1f} s, {rate['rate']:,.0f}/s "
            f"(CPU {rate['cpu']:.1f} s: {int(size) / rate['cpu']:,.0f}/s of CPU)"
        )
    if result.get("plan"):
        print(f"  EXPLAIN ANALYZE of the name search (count, page) at {sizes[-1]:,} patients:")
        for line in result["plan"].splitlines():
            print(f"    {line}")


# --- the child: seed, measure, report as JSON -------------------------------------------


def _searches(clinic: Any) -> dict[str, str]:
    """Searches staff type, built from a patient in the middle of the clinic's registry."""
    from pistor.patients.models import Patient

    people = Patient.objects.for_clinic(clinic).filter(archived_at__isnull=True, phone__gt="")
    someone = people.order_by("record_number")[people.count() // 2]
    family_word = someone.family_name.split()[-1]
    return {
        "first and last name": f"{someone.given_name} {someone.family_name}",
        "last name": family_word,
        "4-letter fragment": family_word[1:5].lower(),
        "record number": someone.record_number,
        "phone digits (6)": "".join(c for c in someone.phone if c.isdigit())[-6:],
        "name + date of birth": f"{someone.given_name} {someone.date_of_birth:%d/%m/%Y}",
        "2 letters": someone.given_name[:2],
        "a miss": "zqxv",
        "no query (first page)": "",
    }


def _time(query: str, clinic: Any, repeats: int) -> tuple[float, int, float]:
    """Median wall milliseconds, the total matched, and median CPU milliseconds of this
    process (on SQLite that includes the database's own work; on a machine shared with
    other jobs it is the steadier figure, since waiting for a core is not counted)."""
    from pistor.patients.selectors import patient_list

    _, total = patient_list(clinic=clinic, query=query, limit=25)  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        patient_list(clinic=clinic, query=query, limit=25)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, total, statistics.median(cpus) * 1000


def child(backend: str, sizes: list[int], repeats: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pistor.demo.seed import seed_database

    call_command("migrate", verbosity=0, interactive=False)
    result: dict[str, Any] = {"sizes": sizes, "repeats": repeats, "searches": {}}
    result["seed_rates"] = {}
    clinics = []
    for number, size in enumerate(sizes, start=1):
        # The registry alone: other apps' histories (a course of sessions per patient)
        # would multiply the seeding time without changing what search reads.
        report = seed_database(patients=size, seed=number, only=["patients"])
        result["seed_rates"][str(size)] = {
            "seconds": report.seconds,
            "rate": size / report.seconds,
            "cpu": report.cpu_seconds,
        }
        clinic = report.clinics[0]
        clinics.append(clinic)
        for kind, query in _searches(clinic).items():
            ms, total, cpu_ms = _time(query, clinic, repeats)
            result["searches"].setdefault(kind, {})[str(size)] = {
                "ms": ms,
                "cpu_ms": cpu_ms,
                "total": total,
                "query": query,
            }
    if len(sizes) > 1:
        result["smallest_again"] = {
            kind: _time(query, clinics[0], repeats)[0]
            for kind, query in _searches(clinics[0]).items()
        }
    if connection.vendor == "postgresql":
        from django.test.utils import CaptureQueriesContext

        from pistor.patients.selectors import patient_list

        name = result["searches"]["first and last name"][str(sizes[-1])]["query"]
        with CaptureQueriesContext(connection) as captured:
            patient_list(clinic=clinics[-1], query=name, limit=25)
        plans = []
        with connection.cursor() as cursor:
            # The statements patient_list sent (the count, then the page), as sent.
            for statement in captured.captured_queries:
                cursor.execute("EXPLAIN ANALYZE " + statement["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        result["plan"] = "\n\n".join(plans)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        child(args.child, sizes, args.repeats)
        return
    import platform
    import sqlite3

    print(
        f"Patient search benchmark: Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    for backend in args.backends.split(","):
        started = time.perf_counter()
        result = _run_child(backend, args)
        _print_report(backend, result)
        print(f"  ({time.perf_counter() - started:.0f} s for this database)")


if __name__ == "__main__":
    main()
