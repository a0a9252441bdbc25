"""What the patient record page's templates cost, inside one request.

    .venv/bin/python benchmarks/render.py            # 300 requests
    .venv/bin/python benchmarks/render.py --requests 100

Runs in a throw-away SQLite file (production settings: DEBUG off, so Django's cached
template loader). Signs a practitioner in, opens one record page many times with the test
client, and splits each request's time into: template rendering (every ``Template.render``
at the top level, includes counted inside their parent), the SQL the request sent, and the
rest (middleware, view, ORM query building, the test client). Also times the same page's
templates with the cached loader off, to show what the cache saves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(tmp: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pistor.settings",
            "PISTOR_DATA_DIR": str(tmp),
            "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "PISTOR_HTTPS": "0",
            "PISTOR_DEBUG": "0",
            "PISTOR_TESTING": "0",
            "PISTOR_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The manifest (hashed names) as in production, without WhiteNoise's compression of
    # every file, which only slows the set-up: page rendering reads the manifest alone.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pistor-bench-render-") as tmp:
        _setup(Path(tmp))
        measure(args.requests)
    return 0


def measure(requests: int) -> None:
    import datetime as dt

    from django.conf import settings
    from django.db import connection
    from django.template import base as template_base
    from django.template import engines
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pistor.accounts.services import staff_create
    from pistor.clinics.services import clinic_create
    from pistor.patients.services import patient_create

    settings.ALLOWED_HOSTS = ["testserver"]
    clinic = clinic_create(actor=None, name="Render Clinic", slug="render")
    user = staff_create(
        email="p@render.example",
        full_name="Pat Practitioner",
        password="render-password-1952",  # noqa: S106
        clinic=clinic,
        role="practitioner",
    )
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    patient = patient_create(
        clinic=clinic,
        actor=user,
        given_name="Siobhán",
        family_name="O'Brien",
        date_of_birth=dt.date(1985, 3, 2),
        phone="+44 7700 900123",
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = f"/patients/{patient.pk}/"
    assert client.get(url).status_code == 200

    render_time = [0.0]
    depth = [0]
    original = template_base.Template.render

    def timed_render(self, context):  # type: ignore[no-untyped-def]
        depth[0] += 1
        start = time.perf_counter()
        try:
            return original(self, context)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                render_time[0] += time.perf_counter() - start

    template_base.Template.render = timed_render  # type: ignore[method-assign]
    sql_time = [0.0]
    statements = [0]

    def timed_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - start
            statements[0] += 1

    totals, renders, sqls, counts = [], [], [], []
    try:
        with connection.execute_wrapper(timed_sql):
            for _ in range(requests):
                render_time[0] = sql_time[0] = 0.0
                statements[0] = 0
                start = time.perf_counter()
                response = client.get(url)
                totals.append(time.perf_counter() - start)
                assert response.status_code == 200
                renders.append(render_time[0])
                sqls.append(sql_time[0])
                counts.append(statements[0])
    finally:
        template_base.Template.render = original  # type: ignore[method-assign]

    total, render, sql = (statistics.median(x) for x in (totals, renders, sqls))
    print(f"Record page, {requests} requests through the test client (SQLite file, DEBUG off)")
    print("  (one request = the test client, every middleware, the view, the audit write)")
    print(f"  whole request   median {total * 1000:.2f} ms, {counts[-1]} statements")
    print(f"  templates       median {render * 1000:.2f} ms ({render / total:.0%} of the request)")
    print(f"  SQL statements  median {sql * 1000:.2f} ms ({sql / total:.0%})")
    rest = total - render - sql
    print(f"  the rest        median {rest * 1000:.2f} ms ({rest / total:.0%}): middleware, view")

    # The templates alone, compiled once (the cached loader) or read and parsed every time.
    engine = engines["django"].engine
    from django.template.loader import get_template

    from pistor.patients.forms import ArchiveForm

    request = client.get(url).wsgi_request
    context = {"patient": patient, "archive_form": ArchiveForm()}
    template = get_template("patients/patient_detail.html")
    loops = max(50, requests)
    start = time.perf_counter()
    for _ in range(loops):
        template.render(context, request)
    cached = (time.perf_counter() - start) / loops
    uncached_engine = type(engine)(
        dirs=engine.dirs,
        context_processors=engine.context_processors,
        loaders=[
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
        builtins=[],
        libraries=engine.libraries,
    )
    start = time.perf_counter()
    for _ in range(loops):
        uncached_engine.get_template("patients/patient_detail.html")
    parse = (time.perf_counter() - start) / loops
    loaders = [
        getattr(loader, "__class__", type(loader)).__name__ for loader in engine.template_loaders
    ]
    print(f"  loaders in use: {', '.join(loaders)}")
    print(f"  render with the cached loader   {cached * 1000:.2f} ms per page")
    print(f"  finding + parsing without cache {parse * 1000:.2f} ms more per page")


if __name__ == "__main__":
    sys.exit(main())
