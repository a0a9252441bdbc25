"""Requests per second through ``pistor serve``: the patient record page against a one-query page.

The measured record is the demo's mid-course patient with ``--sessions`` (40) signed
treatment sessions of history, so the page draws its whole treatment timeline.

    .venv/bin/python benchmarks/server.py                    # SQLite, then the PostgreSQL below
    .venv/bin/python benchmarks/server.py --db sqlite --rounds 3 --seconds 2
    BENCH_PG_URL=postgres://pistor@127.0.0.1:55432/postgres .venv/bin/python benchmarks/server.py

For each database it loads the demo clinic into a throw-away database (a temporary SQLite
file, or a new PostgreSQL database it drops afterwards), signs the demo practitioner in by
writing a session row, and starts two ``pistor serve`` processes on free loopback ports with
the benchmark's URLconf (``benchmarks/bench_urls.py``: the product's URLs plus a one-query
page that the product does not have). One server records the "record opened" audit event as
the product does; the other has it turned off. The record page's clients send the cookies
a signed-in browser has: the session and the CSRF cookie its first page set. Then it
measures, in interleaved rounds with the same number of concurrent clients:

- the one-query page (anonymous: the framework's floor plus one round trip);
- the patient record page, signed in (audited);
- the same page on the unaudited server.

and prints the median requests per second of each, record ÷ one-query and audited ÷
unaudited. Loopback only; every process it starts is stopped when it ends.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://pistor@127.0.0.1:55432/postgres"
BENCH_DB = "pistor_bench_server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(base: dict[str, str], data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "PYTHONPATH": str(ROOT),
            "PISTOR_DATA_DIR": str(data_dir),
            "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "PISTOR_HTTPS": "0",
            "PISTOR_DEBUG": "0",
            "PISTOR_TESTING": "0",
            "PISTOR_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


# --- set-up, run in a child process with the benchmark's environment -------------------------


def _setup_child() -> None:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pistor.accounts.middleware import LAST_SEEN_KEY, SIGNED_IN_AT_KEY
    from pistor.accounts.models import User
    from pistor.accounts.sessions import SessionStore
    from pistor.clinics.middleware import CURRENT_CLINIC_SESSION_KEY
    from pistor.core.planner import planner_statistics_refresh
    from pistor.demo import demo_load
    from pistor.patients.models import Patient

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    demo_load()
    user = User.objects.get(email="practitioner@harbour.example")
    membership = user.memberships.select_related("clinic").get()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None
    session = SessionStore()
    now = int(time.time())
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "pistor.accounts.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[CURRENT_CLINIC_SESSION_KEY] = membership.clinic_id
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now
    session.create()
    patient = Patient.objects.filter(clinic=membership.clinic).order_by("pk").first()
    wanted = int(os.environ.get("PISTOR_BENCH_SESSIONS", "0"))
    if wanted:
        patient = _treatment_history(membership.clinic, user, wanted)
    assert patient is not None
    # The statistics autovacuum keeps in a database in use (what `pistor demo` does too).
    planner_statistics_refresh()
    print(json.dumps({"session": session.session_key, "patient": patient.pk}))


def _treatment_history(clinic: object, user: object, wanted: int) -> object:
    """The demo's mid-course patient (Hannah Whitaker: three signed sessions) given more
    signed sessions through the real services until she has ``wanted``, four hours apart
    after the demo's, each with a cocktail line and a charted area with points."""
    import datetime as dt

    from django.utils import timezone

    from pistor.inventory.models import Batch
    from pistor.patients.models import Patient
    from pistor.plans.models import Plan
    from pistor.treatments.demo import FAMILY, GIVEN
    from pistor.treatments.models import TreatmentSession
    from pistor.treatments.services import (
        PointIn,
        chart_area_add,
        cocktail_line_add,
        session_sign,
        session_start,
    )

    patient = Patient.objects.get(clinic=clinic, given_name=GIVEN, family_name=FAMILY)
    plan = Plan.objects.get(clinic=clinic, patient=patient)
    plan.patient = patient
    Batch.objects.filter(clinic=clinic).update(quantity_on_hand=10000, quantity_received=10000)
    have = TreatmentSession.objects.filter(patient=patient).count()
    last = TreatmentSession.objects.filter(patient=patient).order_by("started_at").last()
    base = last.started_at if last is not None else timezone.now() - dt.timedelta(days=8)
    for i in range(wanted - have):
        at = base + dt.timedelta(hours=4 * (i + 1))
        s = session_start(clinic=clinic, patient=patient, plan=plan, by=user, now=at)  # type: ignore[arg-type]
        cocktail_line_add(session=s, by=user, code="nctf-135ha", volume="1", now=at)  # type: ignore[arg-type]
        chart_area_add(
            session=s, by=user, region="face-front", technique_code="nappage", depth="3",  # type: ignore[arg-type]
            injections=20, volume="1", points=[PointIn("0.25", "0.15"), PointIn("0.26", "0.16")],
        )  # fmt: skip
        s = TreatmentSession.objects.get(pk=s.pk)
        session_sign(session=s, signer=user, now=at + dt.timedelta(minutes=30))  # type: ignore[arg-type]
    return patient


# --- load -----------------------------------------------------------------------------------


def _browser_cookies(port: int, path: str, session: str) -> str:
    """The Cookie header of a signed-in browser: the session, and the CSRF cookie that the
    first page it opened gave it (without it, every request would make a new CSRF secret
    and set it as a cookie, which no browser asks for twice)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        response.read()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    finally:
        conn.close()
    if response.status != 200 or "csrftoken" not in jar:
        raise SystemExit(f"{path} gave {response.status} and no CSRF cookie")
    return f"sessionid={session}; csrftoken={jar['csrftoken'].value}"


def _load(port: int, path: str, cookie: str | None, *, clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` threads, each one request after another."""
    headers = {"Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    errors: list[str] = []

    def worker(index: int) -> None:
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{path}: {response.status}")
                    return
                counts[index] += 1
            finally:
                conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    return sum(counts) / elapsed


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pistor serve on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/_bench/one-query/", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"pistor serve on port {port} did not answer within {timeout:.0f} s")


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pistor.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def bench_database(name: str, database_url: str | None, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="pistor-bench-server-") as tmp:
        data_dir = Path(tmp)
        env = _env(dict(os.environ), data_dir, database_url)
        env["PISTOR_BENCH_SESSIONS"] = str(args.sessions)
        setup = subprocess.run(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), "_setup"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if setup.returncode != 0:
            raise SystemExit(f"set-up failed on {name}:\n{setup.stderr[-3000:]}")
        facts = json.loads(setup.stdout.strip().splitlines()[-1])
        audited_port, unaudited_port = _free_port(), _free_port()
        servers = [_serve(env, audited_port, args.workers)]
        try:
            # One after the other: each runs collectstatic into the same directory first.
            _wait_ready(audited_port, servers[0])
            servers.append(
                _serve({**env, "PISTOR_BENCH_READ_AUDIT": "0"}, unaudited_port, args.workers)
            )
            _wait_ready(unaudited_port, servers[1])
            record = f"/patients/{facts['patient']}/"
            cookies = _browser_cookies(audited_port, record, facts["session"])
            targets = {
                "one-query": (audited_port, "/_bench/one-query/", None),
                "record": (audited_port, record, cookies),
                "record-unaudited": (unaudited_port, record, cookies),
            }
            for port, path, cookie in targets.values():  # warm every worker
                _load(port, path, cookie, clients=args.clients, seconds=1.0)
            samples: dict[str, list[float]] = {key: [] for key in targets}
            order = list(targets)
            rng = random.Random(7)  # noqa: S311
            for _ in range(args.rounds):
                rng.shuffle(order)
                for key in order:
                    port, path, cookie = targets[key]
                    samples[key].append(
                        _load(port, path, cookie, clients=args.clients, seconds=args.seconds)
                    )
        finally:
            for server in servers:
                _stop(server)
    medians = {key: statistics.median(values) for key, values in samples.items()}
    result = {
        "database": name,
        "rps": medians,
        "record_over_one_query": medians["record"] / medians["one-query"],
        "audited_over_unaudited": medians["record"] / medians["record-unaudited"],
        # The machine's speed drifts over minutes; within one round the pages are measured
        # seconds apart, so a round's own ratio is less exposed to the drift.
        "record_over_one_query_by_round": _median_ratio(samples["record"], samples["one-query"]),
        "audited_over_unaudited_by_round": _median_ratio(
            samples["record"], samples["record-unaudited"]
        ),
    }
    print(
        f"{name:<10} one-query {medians['one-query']:7.1f}/s  record {medians['record']:6.1f}/s  "
        f"unaudited {medians['record-unaudited']:6.1f}/s  "
        f"record/one-query {result['record_over_one_query']:.2f} "
        f"(by round {result['record_over_one_query_by_round']:.2f})  "
        f"audited/unaudited {result['audited_over_unaudited']:.2f} "
        f"(by round {result['audited_over_unaudited_by_round']:.2f})",
        flush=True,
    )
    return result


def _median_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median over rounds of each round's ratio."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def _pg_database(admin_url: str, *, create: bool) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return admin_url.rsplit("/", 1)[0] + "/" + BENCH_DB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--workers", type=int, default=2, help="pistor serve workers (2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument(
        "--sessions",
        type=int,
        default=40,
        help="signed treatment sessions in the measured patient's record (40; 0: the first "
        "demo patient, no history)",
    )
    args = parser.parse_args(argv)
    print(
        f"pistor serve, {args.workers} workers, {args.clients} clients, {args.rounds} rounds "
        f"of {args.seconds:g} s, {args.sessions} sessions of history, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.db in ("sqlite", "both"):
        bench_database("SQLite", None, args)
    if args.db in ("postgres", "both"):
        admin = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
        url = _pg_database(admin, create=True)
        try:
            bench_database("PostgreSQL", url, args)
        finally:
            _pg_database(admin, create=False)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["_setup"]:
        sys.path.insert(0, str(ROOT))
        _setup_child()
        sys.exit(0)
    sys.exit(main())
