"""Trace of one batch over PostgreSQL with 1,000,000 administrations across 50,000 patients.

    DATABASE_URL=postgres://pistor@127.0.0.1:55432/pistor_trace_bench \\
        PYTHONPATH=. .venv/bin/python benchmarks/trace.py [--quick]

Prints figures; asserts nothing about time. It (re)creates the database named in
DATABASE_URL (refusing any name that does not end in ``_bench``), migrates it, bulk-inserts
patients and administrations (``pistor seed`` does not exist yet; the rows go in with
``INSERT ... SELECT generate_series``), then times ``selectors.trace_batch`` for one batch
at 100,000 and again at 1,000,000 administrations and prints the ``EXPLAIN ANALYZE`` plan.
The traced batch has the same 200 administrations at both sizes, so the comparison is of
the lookup, not of a longer answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from urllib.parse import urlparse

TRACED_ROWS = 200
BATCHES = 5_000


def _recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if not name.endswith("_bench"):
        sys.exit(f"Refusing to recreate '{name}': use a database name ending in _bench.")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k instead")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    _recreate_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pistor.settings")
    os.environ.setdefault("PISTOR_DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from pistor.clinics.models import Clinic
    from pistor.inventory import selectors
    from pistor.inventory.models import Batch, StockProduct

    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    patients = 5_000 if args.quick else 50_000
    started = time.perf_counter()
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench")
    product = StockProduct.objects.create(clinic=clinic, code="bench", name="Bench", form="vial")
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO patients_patient (created_at, updated_at, clinic_id, record_number,
                given_name, family_name, date_of_birth, sex, phone, email, address,
                preferred_language, emergency_contact_name, emergency_contact_phone, gp_name,
                gp_contact, notes, archive_reason, search_text, sort_name)
            SELECT now(), now(), %s, 'B-' || lpad(g::text, 7, '0'), 'Given' || g,
                'Family' || g, date '1980-01-01' + (g %% 9000), 'female', '07700 900' || g,
                'p' || g || '@example.org', '', '', '', '', '', '', '', '', '', 'family' || g
            FROM generate_series(1, %s) g
            """,
            [clinic.pk, patients],
        )
        cur.execute(
            """
            INSERT INTO inventory_batch (created_at, updated_at, clinic_id, product_id, lot,
                expires_on, quantity_received, quantity_on_hand, supplier, delivery_note,
                received_at, recall_reason, recall_reference, cold_chain_flag)
            SELECT now(), now(), %s, %s, 'LOT-' || g, current_date + 365, 1000, 1000, '', '',
                now(), '', '', ''
            FROM generate_series(1, %s) g
            """,
            [clinic.pk, product.pk, BATCHES],
        )
    first_patient = connection.cursor()
    first_patient.execute("SELECT min(id), max(id) FROM patients_patient")
    low, high = first_patient.fetchone()
    batch_ids = list(Batch.objects.order_by("pk").values_list("pk", flat=True))
    traced, others_low, others_high = batch_ids[0], batch_ids[1], batch_ids[-1]

    def insert(rows: int, *, batch_expr: str) -> None:
        with connection.cursor() as cur:
            cur.execute(
                f"""
                INSERT INTO inventory_administration (created_at, updated_at, clinic_id,
                    patient_id, batch_id, product_code, quantity, unit, occasion,
                    occasion_ref, at)
                SELECT now(), now(), %s, %s + (g::bigint * 7919) %% (%s - %s + 1), {batch_expr},
                    'bench', 0.1, 'mL', 'session', '', now() - (g || ' seconds')::interval
                FROM generate_series(1, %s) g
                """,  # noqa: S608 - batch_expr is one of two constants below
                [clinic.pk, low, high, low, rows],
            )
            cur.execute("ANALYZE inventory_administration")
            cur.execute("ANALYZE patients_patient")
            cur.execute("ANALYZE inventory_batch")

    spread = f"{others_low} + (g %% {others_high - others_low + 1})"
    insert(TRACED_ROWS, batch_expr=str(traced))
    insert(small - TRACED_ROWS, batch_expr=spread)
    print(f"Set up {small:,} administrations, {patients:,} patients in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    batch = Batch.objects.get(pk=traced)

    def timed() -> tuple[float, float]:
        selectors.trace_batch(clinic=clinic, batch=batch)  # warm the cache
        samples = []
        for _ in range(30):
            t0 = time.perf_counter()
            rows = selectors.trace_batch(clinic=clinic, batch=batch)
            samples.append(time.perf_counter() - t0)
            assert len(rows) == TRACED_ROWS  # noqa: S101 - a wrong answer is not a figure
        return statistics.median(samples) * 1000, max(samples) * 1000

    at_small = timed()
    print(f"Trace at {small:>9,}: median {at_small[0]:.2f} ms (worst {at_small[1]:.2f} ms)")
    started = time.perf_counter()
    insert(large - small, batch_expr=spread)
    print(f"Added {large - small:,} administrations in {time.perf_counter() - started:.1f} s")
    at_large = timed()
    print(f"Trace at {large:>9,}: median {at_large[0]:.2f} ms (worst {at_large[1]:.2f} ms)")
    print(f"Growth: {at_large[0] / at_small[0]:.2f}x (the target is below 2x)")
    from pistor.inventory.models import Administration
    from pistor.patients.models import Patient

    print("\nEXPLAIN ANALYZE of the trace's first query (administrations of the batch):")
    qs = selectors._trace(Administration.objects.for_clinic(clinic).filter(batch=batch))
    print(qs.explain(analyze=True))
    ids = list(qs.values_list("patient_id", flat=True))
    print("\nEXPLAIN ANALYZE of its second query (their patients, by primary key):")
    print(Patient.objects.filter(pk__in=ids).explain(analyze=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
