"""The ``pistor`` command: run the demo, serve a clinic, and look after an installation.

Each subcommand has ``--help``. Wrong arguments exit with status 2 and say what is wrong;
a check that fails (``check``, ``audit verify``) exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

SETTINGS_MODULE = "pistor.settings"


class CommandError(Exception):
    """A problem the person running the command can fix; printed without a traceback."""

    def __init__(self, message: str, *, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- Django set-up --------------------------------------------------------------------


def _django_setup() -> None:
    """Load the settings (which read the environment) and the apps, once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready:
        return
    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        # The settings module says exactly which variable to set.
        raise CommandError(str(exc), status=2) from None


def _static_fingerprint() -> str:
    """What the collected static files are built from: every source file's path, size and
    modification time, as the finders see them, plus the storage backend."""
    import hashlib

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(repr(settings.STORAGES.get("staticfiles")).encode())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _collect_static() -> None:
    """Collect (and compress) the static files, unless nothing changed since the last time:
    compressing every file takes seconds, and every start of the server would pay them."""
    from django.conf import settings

    marker = Path(settings.STATIC_ROOT) / ".pistor-collected"
    fingerprint = _static_fingerprint()
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == fingerprint:
        return
    _call_command("collectstatic", interactive=False, verbosity=0)
    marker.write_text(fingerprint + "\n", encoding="utf-8")


def _call_command(name: str, *args: Any, **options: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError as DjangoCommandError
    from django.core.management.base import SystemCheckError

    try:
        call_command(name, *args, **options)
    except SystemCheckError as exc:
        raise CommandError(str(exc).strip()) from None
    except DjangoCommandError as exc:
        raise CommandError(str(exc)) from None


def _application_error(exc: Exception) -> CommandError:
    """Turn a service's ApplicationError into one readable message, field by field."""
    message = getattr(exc, "message", str(exc))
    fields = getattr(exc, "extra", {}).get("fields") or {}
    lines = [message]
    for name, problems in fields.items():
        label = "" if name == "__all__" else f"{name.replace('_', ' ')}: "
        lines.extend(f"  {label}{problem}" for problem in problems)
    return CommandError("\n".join(lines))


# --- pistor demo ----------------------------------------------------------------------


def _demo_secret_key(data_dir: Path, name: str = "secret_key") -> str:
    """The demo's secret key: made on the first run, then read back so sessions survive.

    The same for the audit key (``name="audit_key"``): the trail sealed with it must
    verify after a restart.
    """
    path = data_dir / name
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 50:
            return key
    key = secrets.token_urlsafe(64)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Written readable by its owner only: whoever has it can forge sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _demo_environment(args: argparse.Namespace) -> Path:
    data_dir = Path(os.environ.get("PISTOR_DATA_DIR") or "var").resolve()
    os.environ["PISTOR_DATA_DIR"] = str(data_dir)
    # The database inside holds patients' records: only its owner may enter.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = _demo_secret_key(data_dir)
    if not os.environ.get("PISTOR_AUDIT_KEY"):
        os.environ["PISTOR_AUDIT_KEY"] = _demo_secret_key(data_dir, name="audit_key")
    hosts = ["127.0.0.1", "localhost"]
    if args.host not in hosts and args.host not in ("0.0.0.0", "::"):  # noqa: S104
        hosts.append(args.host)
    os.environ.setdefault("ALLOWED_HOSTS", ",".join(hosts))
    # Plain HTTP on the loopback: secure-only cookies would never come back.
    os.environ.setdefault("PISTOR_HTTPS", "0")
    return data_dir


def _print_demo_details(details: Any, url: str) -> None:
    print()
    print("Pistor demo: Harbour Skin Clinic (and Hillside Aesthetics, to show tenancy)")
    print(f"  Open {url} and sign in with one of these accounts.")
    print(f"  Password for every demo account: {details.password}")
    print()
    for account in details.accounts:
        print(f"  {account.email:<34} {account.role:<13} {account.clinic}")
    print()
    print("  Practitioners and managers use a second factor (an authenticator code).")
    print("  Add this secret to an authenticator app (Google Authenticator, Aegis, ...):")
    print(f"      {details.totp_secret}")
    print("  No authenticator app? Print the current code with:")
    print("      ./scripts/demo --code        (or: pistor demo --code)")
    print(f"  It is {demo_current_code()} now; codes change every 30 seconds.")
    print("  (the same secret serves every demo account that needs a code)")
    print()
    print("  For the API, print a token for the demo receptionist with:")
    print("      ./scripts/demo --token       (or: pistor demo --token)")
    print()


def demo_current_code(now: float | None = None) -> str:
    """The six-digit code the demo's authenticator secret shows now (RFC 6238, 30 s).

    It reads no database: the demo's secret is fixed (and public), so this answers at once.
    """
    from django_otp.oath import TOTP

    from pistor.demo.data import DEMO_TOTP_KEY

    generator = TOTP(DEMO_TOTP_KEY, step=30, t0=0, digits=6)
    generator.time = int(time.time() if now is None else now)
    return f"{generator.token():06d}"


def _demo_token(data_dir: Path) -> int:
    """Print a new API token for the demo's receptionist (made quietly, shown once)."""
    from pistor.accounts.models import User
    from pistor.api.services import api_token_create
    from pistor.clinics.models import Clinic
    from pistor.demo import demo_load

    _call_command("migrate", interactive=False, verbosity=0)
    demo_load()
    user = User.objects.get(email__iexact="reception@harbour.example")
    clinic = Clinic.objects.get(memberships__user=user, memberships__is_active=True)
    token, raw = api_token_create(user=user, clinic=clinic, name="demo --token", actor=None)
    print(raw)
    print(
        f"API token {token.prefix}… for {user.email} at {clinic.name} (data in {data_dir}). "
        "Send it as 'Authorization: Bearer <token>'.",
        file=sys.stderr,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = _demo_environment(args)
    _django_setup()
    if args.code:
        print(demo_current_code())
        return 0
    if args.token:
        return _demo_token(data_dir)
    from pistor.core.planner import planner_statistics_refresh
    from pistor.demo import demo_load

    print(f"Demo data directory: {data_dir}")
    _call_command("migrate", interactive=False, verbosity=0)
    details = demo_load()
    if details.created:
        planner_statistics_refresh()
        print(f"Loaded the demo clinics ({details.created} records added).")
    else:
        print("The demo clinics are already in place; nothing was changed.")
    _collect_static()
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    url = f"http://{shown_host}:{args.port}/"
    _print_demo_details(details, url)
    if args.no_serve:
        print("Set up; not serving (--no-serve). Start it with: pistor demo")
        return 0
    print(f"Serving at {url}  (press Ctrl+C to stop)")
    sys.stdout.flush()
    _start_worker()
    return _exec_gunicorn(bind=f"{args.host}:{args.port}", workers=2)


def _start_worker() -> None:
    """Start ``pistor worker`` beside the server; it exits when the server (its parent) does.

    gunicorn replaces this process (exec), so the worker's parent stays the server.
    """
    import subprocess

    subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "pistor.cli", "worker", "--with-parent"],
        stdout=subprocess.DEVNULL,
        start_new_session=False,
    )


# --- pistor serve ---------------------------------------------------------------------


def _exec_gunicorn(*, bind: str, workers: int) -> NoReturn:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "pistor.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--timeout",
        "60",
        # Two instances on one machine would fight over gunicorn's shared control socket.
        "--no-control-socket",
        # No access log: request lines carry search terms, and search terms carry names.
    ]
    os.execv(sys.executable, argv)  # noqa: S606


def _unapplied_migrations() -> int:
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def cmd_serve(args: argparse.Namespace) -> int:
    _django_setup()
    from django.conf import settings

    if settings.DEBUG:
        print("warning: PISTOR_DEBUG is on; do not serve patients' data like this.")
    pending = _unapplied_migrations()
    if pending:
        raise CommandError(
            f"The database needs {pending} migration(s) first: run 'pistor migrate', then serve."
        )
    _collect_static()
    print(f"Serving Pistor on {args.bind} with {args.workers} worker(s)")
    sys.stdout.flush()
    return _exec_gunicorn(bind=args.bind, workers=args.workers)


# --- pistor migrate / check -----------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    _django_setup()
    _call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _django_setup()
    _call_command("check", deploy=args.deploy, fail_level=args.fail_level)
    return 0


# --- pistor seed ---------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.demo.seed import seed_database

    pending = _unapplied_migrations()
    if pending:
        raise CommandError(
            f"The database needs {pending} migration(s) first: run 'pistor migrate', then seed."
        )
    report = seed_database(
        clinics=args.clinics,
        patients=args.patients,
        seed=args.seed,
        force=args.force,
        only=args.only,
    )
    rate = report.patients / report.seconds if report.seconds else 0.0
    made = ", ".join(f"{count:,} {name}" for name, count in report.rows.items())
    print(
        f"Seeded {len(report.clinics)} clinic(s) ({', '.join(c.slug for c in report.clinics)}): "
        f"{made} in {report.seconds:.1f} s ({rate:,.0f} patients/s; "
        f"{report.cpu_seconds:.1f} s of CPU)."
    )
    return 0


# --- pistor createclinic --------------------------------------------------------------


def cmd_createclinic(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.clinics.services import clinic_create
    from pistor.core.errors import ApplicationError

    try:
        clinic = clinic_create(
            name=args.name,
            slug=args.slug,
            address=args.address,
            time_zone=args.time_zone,
            currency=args.currency,
            registration_numbers="\n".join(args.registration),
            allergy_test_min_read_hours=args.allergy_read_hours,
            actor=None,
        )
    except ApplicationError as exc:
        raise _application_error(exc) from None
    print(
        f"Created {clinic.name} (slug {clinic.slug}). Add its first manager with: "
        f"pistor createstaff --clinic {clinic.slug} --role manager"
    )
    return 0


# --- pistor createstaff ---------------------------------------------------------------


def _read_password(args: argparse.Namespace, interactive: bool) -> str:
    if args.password_file:
        try:
            return Path(args.password_file).read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise CommandError(f"Cannot read the password file: {exc.strerror}.") from None
    from_env = os.environ.get("PISTOR_STAFF_PASSWORD")
    if from_env:
        return from_env
    if not interactive:
        raise CommandError(
            "No password given: use --password-file FILE or set PISTOR_STAFF_PASSWORD "
            "(or run in a terminal to be asked).",
            status=2,
        )
    while True:
        first = getpass.getpass("Password: ")
        if first and first == getpass.getpass("Password (again): "):
            return first
        print("The passwords were empty or did not match; try again.", file=sys.stderr)


def cmd_createstaff(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    values = {"email": args.email, "name": args.name, "clinic": args.clinic, "role": args.role}
    missing = [key for key, value in values.items() if not value]
    if missing and not interactive:
        raise CommandError(
            "Missing " + ", ".join(f"--{key}" for key in missing) + " (no terminal to ask).",
            status=2,
        )
    _django_setup()
    from pistor.accounts.services import staff_create
    from pistor.clinics.models import Clinic, Role
    from pistor.core.errors import ApplicationError

    prompts = {
        "email": "Email: ",
        "name": "Full name: ",
        "clinic": "Clinic (slug): ",
        "role": f"Role ({', '.join(r.value for r in Role)}): ",
    }
    for key in missing:
        while not values[key]:
            values[key] = input(prompts[key]).strip()

    clinic = Clinic.objects.filter(slug=values["clinic"]).first()
    if clinic is None:
        known = ", ".join(Clinic.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"No clinic with slug '{values['clinic']}' (clinics: {known}).")
    password = _read_password(args, interactive)
    try:
        user = staff_create(
            email=values["email"],
            full_name=values["name"],
            password=password,
            clinic=clinic,
            role=values["role"],
            actor=None,
        )
    except ApplicationError as exc:
        raise _application_error(exc) from None
    print(f"{user.email} is now {values['role']} at {clinic.name}.")
    return 0


# --- pistor token ---------------------------------------------------------------------


def cmd_token_create(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.accounts.models import User
    from pistor.api.services import api_token_create
    from pistor.clinics.models import Clinic, Membership
    from pistor.core.errors import ApplicationError

    user = User.objects.filter(email__iexact=args.user.strip()).first()
    if user is None:
        raise CommandError(f"No staff account with email {args.user}.")
    if args.clinic:
        clinic = Clinic.objects.filter(slug=args.clinic).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug '{args.clinic}'.")
    else:
        slugs = list(
            Membership.objects.filter(user=user, is_active=True)
            .order_by("clinic__slug")
            .values_list("clinic__slug", flat=True)
        )
        if len(slugs) != 1:
            choices = ", ".join(slugs) or "none"
            raise CommandError(
                f"{user.email} works at {len(slugs)} clinics ({choices}): say which with --clinic.",
                status=2,
            )
        clinic = Clinic.objects.get(slug=slugs[0])
    try:
        token, raw = api_token_create(user=user, clinic=clinic, name=args.name, actor=None)
    except ApplicationError as exc:
        raise _application_error(exc) from None
    print(raw)
    print(
        f"Token {token.prefix}… for {user.email} at {clinic.name}. It is shown only once; "
        f"send it as 'Authorization: Bearer <token>'. Revoke it with: "
        f"pistor token revoke {token.prefix}",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.api.models import ApiToken
    from pistor.api.services import api_token_revoke
    from pistor.core.errors import ApplicationError

    prefix = args.prefix.strip().rstrip(".…")
    token = ApiToken.objects.filter(prefix=prefix).first() if prefix else None
    if token is None:
        raise CommandError(f"No API token starts with '{args.prefix}'.")
    try:
        api_token_revoke(token=token, actor=None)
    except ApplicationError as exc:
        raise _application_error(exc) from None
    print(f"Token {token.prefix}… ({token.name}) is revoked.")
    return 0


# --- pistor audit verify / seal, pistor worker -----------------------------------------


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.audit.services import audit_verify_report

    report = audit_verify_report()
    for notice in report.notices:
        print(f"NOTE: {notice}")
    anchor = (
        f"checkpoint line {report.checkpoint_line}"
        if report.checkpoint_line
        else "no checkpoint yet"
    )
    if report.ok:
        print(
            f"OK: the audit trail is intact ({report.sealed} sealed events checked against "
            f"{anchor}; {report.unsealed} not sealed yet)."
        )
        return 0
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    print(
        f"FAILED: {len(report.problems)} problem(s) in {report.sealed} sealed events. "
        "The trail was altered."
    )
    return 1


def cmd_audit_seal(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.audit.services import audit_seal

    result = audit_seal(full=args.full)
    print(f"Sealed {result.sealed} event(s) into {len(result.chains)} chain(s).")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Every few seconds until stopped (or the parent demo exits): enqueue the reminders
    and daily jobs that are due (the photograph file sweep among them), run the queued
    tasks, and seal the audit trail."""
    _django_setup()
    import time

    from django.conf import settings
    from django.db import close_old_connections

    from pistor.audit.services import audit_seal
    from pistor.messaging.worker import WorkerState, worker_round

    interval = args.interval or settings.AUDIT_SEAL_INTERVAL_SECONDS
    parent = os.getppid()
    state = WorkerState()
    print(
        "Pistor worker: running reminders, queued tasks and the daily photograph file sweep, "
        f"sealing the audit trail every {interval:g} s (Ctrl+C to stop)"
    )
    sys.stdout.flush()
    while True:
        try:
            worker_round(state)
        except Exception as exc:  # as below: the next round tries again
            print(f"worker: messages failed ({type(exc).__name__}); retrying", file=sys.stderr)
        try:
            audit_seal()
        except Exception as exc:  # a database hiccup must not stop the worker
            print(f"worker: sealing failed ({type(exc).__name__}); retrying", file=sys.stderr)
        if args.once:
            return 0
        # Between rounds, like between requests: drop a connection the database closed.
        close_old_connections()
        if args.with_parent and os.getppid() != parent:
            return 0  # the demo that started us has gone
        time.sleep(interval)


# --- pistor inventory alerts ----------------------------------------------------------


def cmd_inventory_alerts(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.inventory.tasks import inventory_alerts_daily

    result = inventory_alerts_daily.enqueue()
    if not result.is_finished:
        print("Stock alerts queued for the task worker.")
        return 0
    if result.status != "SUCCESSFUL":
        print("FAILED: the stock alerts could not be sent; see the server log.")
        return 1
    print(f"Stock alerts sent: {result.return_value} email(s).")
    return 0


# --- pistor photos sweep --------------------------------------------------------------


def cmd_photos_sweep(args: argparse.Namespace) -> int:
    _django_setup()
    from pistor.photos.services import SWEEP_GRACE, photo_files_sweep

    result = photo_files_sweep(dry_run=args.dry_run)
    hours = SWEEP_GRACE.total_seconds() / 3600
    if args.dry_run:
        print(
            f"{result.unnamed} photograph file(s) older than {hours:g} h are named by no "
            "photograph in use; nothing removed (--dry-run)."
        )
    else:
        print(
            f"Removed {result.removed} photograph file(s) older than {hours:g} h that no "
            "photograph in use names."
        )
    return 0


# --- pistor manage --------------------------------------------------------------------


def cmd_manage(args: argparse.Namespace) -> int:
    _django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pistor manage", *args.arguments])
    return 0


# --- argument parsing -----------------------------------------------------------------


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 1 and 65535")
    return port


def _workers(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of workers") from None
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"{count} workers: choose between 1 and 64")
    return count


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def _positive_count(value: str) -> int:
    number = _count(value)
    if number == 0:
        raise argparse.ArgumentTypeError("choose at least 1")
    return number


def _names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one, e.g. 'patients'")
    return names


def _bind(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"'{value}' is not HOST:PORT, e.g. 127.0.0.1:8000")
    _port(port)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pistor",
        description="Pistor, a clinical system for mesotherapy clinics.",
        epilog="Configuration comes from environment variables; see the README.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="set up the demo clinic (SQLite in ./var) and serve it",
        description="Create or update the demo clinic in PISTOR_DATA_DIR (default ./var) and "
        "serve it on the loopback address. Running it again keeps everything.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    demo.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    demo.add_argument(
        "--no-serve", action="store_true", help="set up and print the sign-in details only"
    )
    demo.add_argument(
        "--code",
        action="store_true",
        help="print the demo authenticator's current six-digit code, and do nothing else",
    )
    demo.add_argument(
        "--token",
        action="store_true",
        help="print a new API token for the demo receptionist (sets the demo up if needed)",
    )
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser(
        "serve",
        help="serve Pistor with gunicorn (production)",
        description="Serve Pistor with gunicorn and WhiteNoise. Needs SECRET_KEY and "
        "ALLOWED_HOSTS (and usually DATABASE_URL) in the environment; put a TLS proxy in front.",
    )
    serve.add_argument("--bind", type=_bind, default="127.0.0.1:8000", help="HOST:PORT")
    serve.add_argument("--workers", type=_workers, default=3, help="worker processes (3)")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(handler=cmd_migrate)

    check = commands.add_parser("check", help="run Django's system checks")
    check.add_argument(
        "--deploy", action="store_true", help="include the production security checks"
    )
    check.add_argument(
        "--fail-level",
        choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
        default="ERROR",
        help="the level of message that fails the check (ERROR)",
    )
    check.set_defaults(handler=cmd_check)

    new_clinic = commands.add_parser(
        "createclinic",
        help="open a new clinic",
        description="Create a clinic: the unit that owns patients, records and staff roles.",
    )
    new_clinic.add_argument("--name", required=True, help="e.g. 'Harbour Skin Clinic'")
    new_clinic.add_argument(
        "--slug", required=True, help="short unique name used in commands, e.g. harbour"
    )
    new_clinic.add_argument("--address", default="", help="postal address")
    new_clinic.add_argument(
        "--time-zone", default="Europe/London", help="IANA time zone (Europe/London)"
    )
    new_clinic.add_argument("--currency", default="GBP", help="ISO 4217 code (GBP)")
    new_clinic.add_argument(
        "--registration",
        action="append",
        default=[],
        metavar="TEXT",
        help="a regulator or company registration shown on documents (repeatable)",
    )
    new_clinic.add_argument(
        "--allergy-read-hours",
        type=int,
        default=24,
        metavar="HOURS",
        help="hours before test injections may be read (24 or more; default 24)",
    )
    new_clinic.set_defaults(handler=cmd_createclinic)

    staff = commands.add_parser(
        "createstaff",
        help="create a staff account with a role at a clinic",
        description="Give a person a role at a clinic, creating their account if needed. "
        "Missing details are asked for in a terminal; without one, pass them all and give "
        "the password with --password-file or PISTOR_STAFF_PASSWORD.",
    )
    staff.add_argument("--email")
    staff.add_argument("--name", help="full name")
    staff.add_argument("--clinic", metavar="SLUG", help="the clinic's slug")
    staff.add_argument(
        "--role", choices=["practitioner", "nurse", "reception", "manager"], help="role there"
    )
    staff.add_argument("--password-file", metavar="FILE", help="read the password from FILE")
    staff.set_defaults(handler=cmd_createstaff)

    token = commands.add_parser("token", help="create or revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_create = token_commands.add_parser(
        "create",
        help="issue a token acting as a member of staff",
        description="Print a new API token (shown once) acting as USER at a clinic.",
    )
    token_create.add_argument("--user", required=True, metavar="EMAIL")
    token_create.add_argument(
        "--clinic", metavar="SLUG", help="needed when the person works at several clinics"
    )
    token_create.add_argument("--name", default="Command-line token", help="what the token is for")
    token_create.set_defaults(handler=cmd_token_create)
    token_revoke = token_commands.add_parser("revoke", help="revoke a token by its prefix")
    token_revoke.add_argument("prefix", metavar="PREFIX", help="the token's first characters")
    token_revoke.set_defaults(handler=cmd_token_revoke)

    inventory = commands.add_parser("inventory", help="the stock room")
    inventory_commands = inventory.add_subparsers(
        dest="inventory_command", metavar="ACTION", required=True
    )
    inventory_alerts = inventory_commands.add_parser(
        "alerts",
        help="email each clinic's managers its stock alerts (pistor worker does it daily)",
        description="Queue (or, without a task worker, send) the daily stock alert email: low "
        "stock, batches expiring soon, opened vials near their limit, cold-chain flags.",
    )
    inventory_alerts.set_defaults(handler=cmd_inventory_alerts)

    photos = commands.add_parser("photos", help="the clinical photographs' files")
    photos_commands = photos.add_subparsers(dest="photos_command", metavar="ACTION", required=True)
    photos_sweep = photos_commands.add_parser(
        "sweep",
        help="remove photograph files no photograph in use names (pistor worker does it daily)",
        description="Remove photograph files older than an hour that no photograph in use "
        "names: left behind by an upload whose transaction did not commit, or a withdrawal "
        "whose delete failed. The removal is recorded in the audit trail.",
    )
    photos_sweep.add_argument(
        "--dry-run", action="store_true", help="count the files, remove nothing"
    )
    photos_sweep.set_defaults(handler=cmd_photos_sweep)

    audit = commands.add_parser("audit", help="the audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_commands.add_parser(
        "verify",
        help="check that no audit event was edited or deleted",
        description="Check every chain's seals and events with the audit key and against "
        "the latest signed checkpoint. Exits 0 and prints OK when it is intact; names each "
        "altered or missing event and exits 1 otherwise. Events not sealed yet are reported "
        "as such.",
    )
    verify.set_defaults(handler=cmd_audit_verify)
    seal = audit_commands.add_parser(
        "seal",
        help="link unsealed events into their chains and write a signed checkpoint",
        description="Seal every event not sealed yet, then append a signed checkpoint.",
    )
    seal.add_argument(
        "--full", action="store_true", help="search the whole trail, not only recent events"
    )
    seal.set_defaults(handler=cmd_audit_seal)

    worker = commands.add_parser(
        "worker",
        help="run the background worker (reminders, queued tasks, audit sealing)",
        description="Every PISTOR_AUDIT_SEAL_INTERVAL_SECONDS (2): enqueue the reminders "
        "and each clinic's daily jobs (next-session reminders, maintenance recalls, stock "
        "alerts, once per clinic-local day at its hour), run the queued tasks of the "
        "database task backend, and seal the audit trail.",
    )
    worker.add_argument("--interval", type=float, default=0, metavar="SECONDS")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.add_argument("--with-parent", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(handler=cmd_worker)

    seed = commands.add_parser(
        "seed",
        help="fill a database with made-up clinics and patients (benchmarks, load tests)",
        description="Make N clinics (slugs seed-SEED-1, seed-SEED-2, ...) with N patients "
        "each, the same every time for the same --seed. Refuses a database that holds "
        "clinics not made by 'pistor seed' unless --force, and refuses a --seed already used.",
    )
    seed.add_argument("--clinics", type=_positive_count, default=1, help="clinics (default 1)")
    seed.add_argument(
        "--patients", type=_count, default=1_000, help="patients in each clinic (default 1000)"
    )
    seed.add_argument("--seed", type=_count, default=1, help="random seed (default 1)")
    seed.add_argument(
        "--only",
        type=_names,
        metavar="NAME[,NAME]",
        help="only these histories (e.g. 'patients', 'scheduling,outcomes'), with those "
        "they need; default: every app's",
    )
    seed.add_argument(
        "--force",
        action="store_true",
        help="seed even though the database holds clinics not made by 'pistor seed'",
    )
    seed.set_defaults(handler=cmd_seed)

    manage = commands.add_parser(
        "manage",
        help="run a Django management command (e.g. 'pistor manage shell')",
        add_help=False,
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except CommandError as exc:
        print(f"pistor {args.command}: {exc.message}", file=sys.stderr)
        return exc.status
    except Exception as exc:
        from pistor.core.errors import ApplicationError

        if isinstance(exc, ApplicationError):
            print(f"pistor {args.command}: {_application_error(exc).message}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
