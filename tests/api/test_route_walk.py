"""Every page and every API operation, walked as each role, as another clinic, signed out.

The routes come from the URL configuration and the OpenAPI side of the API, not from a list
kept by hand: a route added without a declared permission, or answering differently from the
permission matrix, fails here. Objects named in addresses come from
``pistor.testing.routes.ROUTE_OBJECTS``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from conftest import signed_in_client
from pistor.clinics.models import Role
from pistor.clinics.permissions import Action, can
from pistor.testing import routes
from pistor.testing.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.api.helpers import token_for

pytestmark = pytest.mark.django_db


@dataclass
class Caller:
    label: str
    user: Any = None
    role: Role | None = None
    token: str | None = None
    other_clinic: bool = False


@dataclass
class Site:
    world: routes.World
    callers: list[Caller]


def _build_site() -> Site:
    home = ClinicFactory(name="Harbour Skin Clinic")
    away = ClinicFactory(name="Hillside Aesthetics")
    callers = [Caller("signed out")]
    for role in Role:
        user = UserFactory()
        MembershipFactory(user=user, clinic=home, role=role)
        callers.append(Caller(str(role), user, role, token_for(user, home)))
    stranger = UserFactory()
    MembershipFactory(user=stranger, clinic=away, role=Role.MANAGER)
    callers.append(
        Caller("manager of another clinic", stranger, Role.MANAGER, token_for(stranger, away), True)
    )
    manager = callers[[c.role for c in callers].index(Role.MANAGER)].user
    world = routes.world_build(home, manager)
    routes.world_build(away, stranger)  # the other clinic has objects of its own too
    return Site(world, callers)


def _rolled_back(send: Any) -> Any:
    # Each request runs in a savepoint that is rolled back: retiring a protocol or signing
    # out as one caller must not change what the next caller sees.
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def _page_response(route: routes.PageRoute, caller: Caller, url: str) -> Any:
    def send() -> Any:
        client = Client()
        if caller.user is not None:
            signed_in_client(client, caller.user)
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, {})
        return response

    return _rolled_back(send)


def _api_response(op: routes.ApiOperation, caller: Caller, url: str, world: routes.World) -> Any:
    def send() -> Any:
        headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
        call = getattr(Client(), op.method.lower())
        if op.method == "GET":
            return call(url, headers=headers)
        registered = routes.ROUTE_OBJECTS.get(op.key)
        body = registered.body_for(world) if registered else None
        body = {} if body is None else body
        return call(url, data=json.dumps(body), content_type="application/json", headers=headers)

    return _rolled_back(send)


def _allowed(action: Action | None, role: Role | None) -> bool:
    return action is None or can(role, action)


def _judge(what: str, response: Any, expected: str, *, api: bool, secret: str) -> str | None:
    status = response.status_code
    location = response.get("Location", "")
    if status >= 500:
        return f"{what}: answered {status}"
    if expected == "signed out":
        ok = status == 401 if api else (status == 302 and location.startswith("/accounts/login/"))
    elif expected == "denied":
        ok = status == 403
    elif expected == "not found":
        ok = status == 404 and secret not in response.content.decode(errors="replace")
    elif expected == "allowed":
        ok = status not in (401, 403, 404) and not location.startswith("/accounts/login/")
    else:  # "any": a public page answers everyone, just never with a crash
        ok = True
    return None if ok else f"{what}: expected {expected}, got {status} {location}".rstrip()


def walk(site: Site, urlconf: str | None = None, api: Any = None) -> list[str]:
    """Every problem found walking every route as every caller; [] when all is well."""
    problems = routes.undeclared(urlconf, api) + routes.missing_objects(urlconf, api)
    if problems:
        return problems
    secret = site.world["patient"].family_name
    for route in routes.page_routes(urlconf):
        url = routes.fill(route, site.world)
        owned = bool(route.params) and routes.ROUTE_OBJECTS[route.key].owned
        for caller in site.callers:
            if route.declared == "public":
                expected = "any"
            elif caller.user is None:
                expected = "signed out"
            elif route.need_clinic and not _allowed(route.action, caller.role):
                # The role is checked first, as in the API: a 403 says nothing of the object.
                expected = "denied"
            elif caller.other_clinic and owned:
                expected = "not found"
            else:
                expected = "allowed"
            what = f"page {route.key} as {caller.label}"
            problem = _judge(
                what, _page_response(route, caller, url), expected, api=False, secret=secret
            )
            if problem:
                problems.append(problem)
    for op in routes.api_operations(api, urlconf):
        url = routes.fill(op, site.world)
        registered = routes.ROUTE_OBJECTS.get(op.key) if op.params else None
        owned = registered is not None and registered.owned
        only_roles = registered.only_roles if registered is not None else None
        for caller in site.callers:
            if caller.token is None:
                expected = "signed out"
            elif not _allowed(op.action, caller.role):
                expected = "denied"
            elif caller.other_clinic and owned:
                expected = "not found"
            elif only_roles is not None and str(caller.role) not in only_roles:
                expected = "denied"
            else:
                expected = "allowed"
            what = f"API {op.method} {op.path} as {caller.label}"
            problem = _judge(
                what, _api_response(op, caller, url, site.world), expected, api=True, secret=secret
            )
            if problem:
                problems.append(problem)
    return problems


def test_every_route_answers_as_the_permission_matrix_says():
    site = _build_site()
    assert routes.page_routes() and routes.api_operations(), "the walk found no routes"
    assert walk(site) == []


def test_an_unguarded_page_or_operation_makes_the_walk_fail():
    site = _build_site()
    with override_settings(ROOT_URLCONF="tests.api.unguarded_urls"):
        from tests.api.unguarded_urls import unguarded_api

        problems = walk(site, "tests.api.unguarded_urls", unguarded_api)
    assert any("page unguarded-page" in p and "declares no permission" in p for p in problems)
    assert any("/unguarded-api/ping declares no permission" in p for p in problems)


def test_an_undeclared_page_is_refused_to_everyone_at_run_time(client, manager):
    with override_settings(ROOT_URLCONF="tests.api.unguarded_urls"):
        assert client.get("/unguarded/").status_code == 302  # signed out: sign in first
        signed_in_client(client, manager)
        assert client.get("/unguarded/").status_code == 403


def test_an_undeclared_api_operation_is_refused_to_everyone(client, manager, clinic):
    headers = {"Authorization": f"Bearer {token_for(manager, clinic)}"}
    with override_settings(ROOT_URLCONF="tests.api.unguarded_urls"):
        assert client.get("/unguarded-api/ping").status_code == 401
        refused = client.get("/unguarded-api/ping", headers=headers)
    assert refused.status_code == 403
    assert "declares no permission" in refused.json()["message"]


def test_a_route_with_an_id_but_no_registered_object_is_named():
    with override_settings(ROOT_URLCONF="tests.api.unguarded_urls"):
        problems = routes.missing_objects("tests.api.unguarded_urls")
    assert any("unguarded-thing" in p and "ROUTE_OBJECTS" in p for p in problems)
