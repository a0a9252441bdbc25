from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from icalendar import Calendar

from pistor.scheduling.feeds import appointment_ics
from pistor.scheduling.models import Appointment
from pistor.scheduling.tests.factories import LONDON, MONDAY, at, booking_setup, new_patient
from tests.api.helpers import ApiClient, token_for

pytestmark = pytest.mark.django_db


def test_a_practitioner_subscribes_to_a_feed_that_parses_and_names_no_patient(
    client, clinic, settings
):
    s = booking_setup(clinic)
    settings.ALLOWED_HOSTS = ["testserver"]
    patient = new_patient(clinic, given_name="Zelda", family_name="Quartermain")
    appt = Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        staff=s.ann,
        appointment_type=s.session,
        room=s.room1,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 10, 30),
        occupied_until=at(MONDAY, 10, 45),
    )
    api = ApiClient(client, token_for(s.ann.user, clinic))
    created = api.post("/api/v1/scheduling/my-feed")
    assert created.status_code == 201, created.content
    url = created.json()["url"]
    from pistor.core import clock

    clock.advance(at(MONDAY, 8) - clock.now())
    try:
        response = client.get(url.replace("http://testserver", ""))
    finally:
        clock.reset()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]).startswith("Treatment session")
    assert event.decoded("dtstart") == appt.starts_at
    assert b"Zelda" not in response.content and b"Quartermain" not in response.content
    # Ben can neither reach Ann's feed by its id nor make one for her; revoking his own
    # feeds leaves hers; Ann revokes hers and the address stops at once.
    ben = ApiClient(client, token_for(s.ben.user, clinic))
    feed_id = created.json()["id"]
    assert ben.request("DELETE", f"/api/v1/scheduling/feeds/{feed_id}").status_code == 403
    assert ben.post(f"/api/v1/scheduling/staff/{s.ann.pk}/feed").status_code == 403
    assert ben.request("DELETE", "/api/v1/scheduling/my-feed").status_code == 204
    assert client.get(url.replace("http://testserver", "")).status_code == 200
    assert api.request("DELETE", "/api/v1/scheduling/my-feed").status_code == 204
    assert client.get(url.replace("http://testserver", "")).status_code == 404
    assert client.get("/scheduling/feed/not-a-real-secret.ics").status_code == 404
    one = Calendar.from_ical(appointment_ics(appointment=appt))
    assert len(one.walk("VEVENT")) == 1


# --- The feed parses with ical.js under Node too -------------------------------------------

ICALJS_DIR = Path(__file__).resolve().parents[3] / "scripts" / "icaljs"


@pytest.fixture(scope="session")
def icaljs():
    """A parser running ical.js (pinned in scripts/icaljs/package-lock.json) under Node.

    Installed once with ``npm ci`` into a cache directory named after the lock file's hash
    (``PISTOR_NODE_CACHE``, default ~/.cache/pistor); skipped only when node or npm is absent.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed, so the feed cannot be checked with ical.js")
    lock = (ICALJS_DIR / "package-lock.json").read_bytes()
    root = Path(os.environ.get("PISTOR_NODE_CACHE", Path.home() / ".cache" / "pistor"))
    cache = root / f"icaljs-{hashlib.sha256(lock).hexdigest()[:16]}"
    if not (cache / "node_modules" / "ical.js" / "package.json").exists():
        building = root / f"{cache.name}.building-{os.getpid()}"
        building.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(ICALJS_DIR / name, building / name)
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=building,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed: {done.stderr.decode()[-2000:]}"
        try:
            building.rename(cache)
        except OSError:  # another test run finished first
            shutil.rmtree(building, ignore_errors=True)
    script = ICALJS_DIR / "parse.mjs"

    def parse(text: bytes) -> dict:
        # The script runs from the cache so ``import "ical.js"`` finds its node_modules.
        local = cache / "parse.mjs"
        if not local.exists() or local.read_bytes() != script.read_bytes():
            shutil.copy(script, local)
        out = subprocess.run(  # noqa: S603 - fixed arguments
            [node, str(local)], input=text, capture_output=True, timeout=60
        )
        assert out.returncode == 0, out.stderr.decode()
        return json.loads(out.stdout)

    return parse


def test_the_feed_and_the_ics_attachment_parse_with_icaljs_under_node(clinic, icaljs):
    from pistor.scheduling.feeds import feed_create, feed_ics

    s = booking_setup(clinic)
    patient = new_patient(clinic)
    spring = dt.date(2027, 3, 22)  # the Monday before the clocks go forward (28 March)
    appts = [
        Appointment.objects.create(
            clinic=clinic,
            patient=patient,
            staff=s.ann,
            appointment_type=s.session,
            room=s.room1,
            starts_at=at(day, 10),
            ends_at=at(day, 10, 30),
            occupied_until=at(day, 10, 45),
        )
        for day in (spring, spring + dt.timedelta(days=7))
    ]
    feed, _token = feed_create(clinic=clinic, actor=None, staff=s.ann)
    from pistor.core import clock

    clock.advance(at(spring, 8) - clock.now())
    try:
        text = feed_ics(feed=feed, domain="clinic.example")
    finally:
        clock.reset()
    parsed = icaljs(text)
    assert parsed["version"] == "2.0"
    by_uid = {e["uid"]: e for e in parsed["events"]}
    assert set(by_uid) == {f"appointment-{a.pk}@clinic.example" for a in appts}
    theirs = Calendar.from_ical(text)
    for event in theirs.walk("VEVENT"):
        mine = by_uid[str(event["uid"])]
        # Both parsers read the same instants: 10:00 GMT, then 10:00 BST (09:00 UTC).
        assert dt.datetime.fromisoformat(mine["start"]) == event.decoded("dtstart")
        assert mine["summary"] == str(event["summary"])
    starts = sorted(dt.datetime.fromisoformat(e["start"]) for e in parsed["events"])
    assert [x.astimezone(LONDON).time() for x in starts] == [dt.time(10), dt.time(10)]
    assert [x.hour for x in starts] == [10, 9]
    one = icaljs(appointment_ics(appointment=appts[0]))
    assert len(one["events"]) == 1
