"""A corpus of bad input sent to every page and every API operation: never a 5xx, and a
refusal (4xx) records no change.

Routes and the objects they name come from ``pistor.testing.routes`` (the same registry as
the route walk); a page's field names are read from its own form, so a new page is probed
on the fields it really has.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from conftest import signed_in_client
from pistor.audit.events import VIEW_EVENTS, AuditEventType
from pistor.audit.models import AuditEvent
from pistor.clinics.models import Role
from pistor.testing import routes
from pistor.testing.factories import ClinicFactory, MembershipFactory, UserFactory
from pistor.testing.markup import missing_ids
from tests.api.helpers import token_for

pytestmark = pytest.mark.django_db

# Values that have each broken something somewhere: extreme dates and numbers, odd text.
VALUES = [
    "9999-12-31",
    "1e999999",
    "0001-01-01",
    "NaN",
    "1" * 400,
    "-1",
    "x" * 5000,
    "\x00",
    "2026-02-30",
]
NEXT_VALUES = ["foo", "//evil.example/", "http://evil.example/", "/\\evil", "javascript:x", ""]
JSON_VALUES: list[Any] = [
    None,
    True,
    10**30,
    -(10**30),
    1e308,
    "9999-12-31",
    "1e999999",
    "x" * 5000,
    [],
    {},
    [[[[[]]]]],
]
RAW_BODIES = ["{bad json", '{"a": 1e999999}', '{"a": NaN}', "\x00", "[" * 500 + "]" * 500]

_INPUT = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


class _Forms(HTMLParser):
    """Each form of a page: where it is sent, how, and its fields (hidden ones with value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = {
                "action": found.get("action", ""),
                "method": found.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._open)
        elif (
            self._open is not None
            and tag in ("input", "select", "textarea")
            and found.get("name")
            and found.get("type") not in ("submit", "button")
        ):
            hidden = found.get("type") == "hidden"
            self._open["fields"].append((found["name"], found.get("value", "") if hidden else None))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _forms_sent_elsewhere(page_url: str, body: str) -> list[tuple[str, str, list[Any]]]:
    """(method, address, fields) of each form on the page that is sent to another address.

    The page's own address is probed with its field names already; these are the doors a
    page opens onto (an addendum, stock used, a line added) that the route walk only GETs.
    """
    parser = _Forms()
    parser.feed(body)
    doors = []
    for form in parser.forms:
        action = urljoin(page_url, form["action"] or page_url).partition("#")[0]
        if urlsplit(action).netloc not in ("", "testserver") or action == page_url:
            continue
        if "logout" in action or form["method"] not in ("get", "post"):
            continue
        doors.append(
            (
                form["method"],
                urlsplit(action)._replace(netloc="", scheme="").geturl(),
                form["fields"],
            )
        )
    return doors


def _manager_and_world() -> tuple[Any, Any, routes.World]:
    clinic = ClinicFactory()
    manager = UserFactory()
    MembershipFactory(user=manager, clinic=clinic, role=Role.MANAGER)
    return manager, clinic, routes.world_build(clinic, manager)


# Events a refusal records on purpose: the sign-in guard's evidence of guessing.
_REFUSALS_RECORDED = VIEW_EVENTS | {
    AuditEventType.AUTH_LOGIN_FAILED,
    AuditEventType.AUTH_OTP_FAILED,
    AuditEventType.AUTH_LOCKED_OUT,
}


def _rolled_back(send: Any, half_written: list[str] | None = None) -> Any:
    """Send, then undo whatever it wrote. With ``half_written``, a refusal (4xx) that
    recorded a change anyway (nothing is changed without its audit event:
    ``pistor.testing.audited``) is noted there: bad input must leave nothing half-written."""
    with transaction.atomic():
        changes = AuditEvent.objects.exclude(event_type__in=_REFUSALS_RECORDED)
        last_before = changes.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = send()
        if half_written is not None and 400 <= response.status_code < 500:
            request = response.request
            half_written += [
                f"{request['REQUEST_METHOD']} {request['PATH_INFO']}: {response.status_code} "
                f"but recorded {event_type}"
                for event_type in changes.filter(pk__gt=last_before).values_list(
                    "event_type", flat=True
                )
            ]
        transaction.set_rollback(True)
    return response


def _crashes(label: str, response: Any) -> list[str]:
    if response.status_code >= 500:
        return [f"{label}: {response.status_code}"]
    return _missing_ids(label, response)


def _missing_ids(label: str, response: Any) -> list[str]:
    """A page showing a form's faults must hold what each field's description names."""
    if response.streaming or "text/html" not in response.headers.get("Content-Type", ""):
        return []
    body = response.content.decode(errors="replace")
    return [f"{label}: no element #{name}" for name in missing_ids(body)]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PRACTITIONER])
def test_no_page_answers_bad_input_with_a_server_error(role):
    manager, clinic, world = _manager_and_world()
    caller = manager
    if role != Role.MANAGER:
        caller = UserFactory()
        MembershipFactory(user=caller, clinic=clinic, role=role)
    failures: list[str] = []
    doors_probed: set[tuple[str, str, tuple[str, ...]]] = set()
    pages_shown = 0
    for route in routes.page_routes():
        if route.key == "accounts:logout":
            continue  # would end the session the rest of the corpus runs in
        # Signed in afresh for each route: a probe can end the session (accepting an
        # invitation signs out whoever was signed in), and every page after it would then
        # be probed as a stranger and answer with the sign-in redirect.
        client = signed_in_client(Client(raise_request_exception=False), caller)
        url = routes.fill(route, world)
        page = client.get(url)
        pages_shown += page.status_code == 200
        # A streamed file (a photograph) has no form to probe.
        body = b"".join(page.streaming_content) if page.streaming else page.content
        for method, door, fields in _forms_sent_elsewhere(url, body.decode(errors="replace")):
            key = (method, door, tuple(sorted(name for name, _ in fields)))
            if key in doors_probed:
                continue
            doors_probed.add(key)
            for value in VALUES:
                data = {
                    name: value if kept is None else kept
                    for name, kept in fields
                    if name != "csrfmiddlewaretoken"
                }
                send = getattr(client, method)
                response = _rolled_back(lambda d=door, s=send, p=data: s(d, p), failures)
                failures += _crashes(f"{method.upper()} {door} {value[:20]!r}", response)
        names = sorted(set(_INPUT.findall(body.decode(errors="replace"))))
        names = [n for n in names if n != "csrfmiddlewaretoken"][:40]
        if not names:
            # No form: the address and its query string are all there is to probe.
            for value in (*VALUES[:4], NEXT_VALUES[0]):
                failures += _crashes(f"GET {url} {value[:20]!r}", client.get(url, {"q": value}))
            continue
        for value in VALUES:
            params = dict.fromkeys(names, value)
            failures += _crashes(f"GET {url} {value[:20]!r}", client.get(url, params))
            failures += _crashes(
                f"POST {url} {value[:20]!r}",
                _rolled_back(
                    lambda url=url, params=params, c=client: c.post(url, params), failures
                ),
            )
    # Values the clinical core computes with, on the pages that take them.
    from pistor.clinical.catalog import load_catalog

    client = signed_in_client(Client(raise_request_exception=False), caller)

    protocol = next(iter(load_catalog().protocols))
    for url, method, params in [
        ("/tools/plan/", "get", {"protocol": protocol, "first_session": "9999-12-20"}),
        ("/tools/plan/", "get", {"protocol": protocol, "done_dates": "9999-12-31"}),
        ("/tools/lidocaine/", "post", {"weight_kg": "1e999999"}),
        ("/tools/lidocaine/", "post", {"weight_kg": "70", "concentration": "1e999999"}),
        ("/tools/lidocaine/", "post", {"weight_kg": "70", "concentration": "1", "volume": "1e99"}),
        (f"/catalog/protocols/{protocol}/", "get", {"start": "9999-12-31"}),
        ("/audit/", "get", {"date_from": "9999-12-31", "date_to": "9999-12-31"}),
    ]:
        response = _rolled_back(lambda u=url, m=method, p=params: getattr(client, m)(u, p))
        failures += _crashes(f"{method.upper()} {url} {params}", response)
    signed_out = Client(raise_request_exception=False)
    for url in ("/accounts/login/", "/clinics/choose/", "/", "/patients/"):
        for value in NEXT_VALUES:
            failures += _crashes(f"{url}?next={value}", client.get(url, {"next": value}))
    for url in ("/accounts/login/", "/clinics/choose/", "/"):
        for value in NEXT_VALUES:
            failures += _crashes(
                f"signed out {url}?next={value}", signed_out.get(url, {"next": value})
            )
    # The walk must have reached the pages and doors it exists for, or it proves nothing.
    assert pages_shown > 60, pages_shown
    assert len(doors_probed) > 25, sorted(doors_probed)
    assert failures == [], "\n".join(failures)


def _send(
    client: Client,
    op: routes.ApiOperation,
    url: str,
    headers: dict[str, str],
    body: Any,
    half_written: list[str],
) -> Any:
    call = getattr(client, op.method.lower())
    if op.method == "GET":
        return call(url, body, headers=headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return _rolled_back(
        lambda: call(url, data=data, content_type="application/json", headers=headers),
        half_written,
    )


def test_no_api_operation_answers_bad_input_with_a_server_error():
    manager, clinic, world = _manager_and_world()
    headers = {"Authorization": f"Bearer {token_for(manager, clinic)}"}
    client = Client(raise_request_exception=False)
    oversize = json.dumps({"x": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    failures: list[str] = []
    for op in routes.api_operations():
        url = routes.fill(op, world)
        fields: list[str] = []
        for params in op.operation.models:
            for name, field in params.model_fields.items():
                model = field.annotation
                inner = getattr(model, "model_fields", None)
                fields += list(inner) if inner else [name]
        if op.method == "GET":
            for value in VALUES:
                query = dict.fromkeys(fields, value) or {"start": value}
                failures += _crashes(
                    f"GET {url} {value[:20]!r}", _send(client, op, url, headers, query, failures)
                )
            continue
        for value in JSON_VALUES:
            body = dict.fromkeys(fields, value)
            failures += _crashes(
                f"{op.method} {url} {str(value)[:20]}",
                _send(client, op, url, headers, body, failures),
            )
        for raw in RAW_BODIES:
            response = _send(client, op, url, headers, raw, failures)
            failures += _crashes(f"{op.method} {url} raw {raw[:20]!r}", response)
        too_big = _send(client, op, url, headers, oversize, failures)
        if too_big.status_code != 413:
            failures.append(f"{op.method} {url}: oversize body answered {too_big.status_code}")
    # Extreme values where the clinical core computes with them.
    for path, extreme in [
        ("/api/v1/clinical/lidocaine-max", {"weight_kg": "1e999999"}),
        ("/api/v1/clinical/lidocaine-max", {"weight_kg": 1e308}),
        ("/api/v1/clinical/plan", {"protocol": "x", "first_session": "9999-12-20"}),
    ]:
        response = client.post(
            path, json.dumps(extreme), content_type="application/json", headers=headers
        )
        failures += _crashes(f"POST {path} {extreme}", response)
    assert failures == [], "\n".join(failures)
