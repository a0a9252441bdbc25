"""The catalog's lists and details make as many queries with sixty house protocols and
products as with two: built-in entries come from the loaded catalog, the clinic's own from
one query each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.catalog.tests.factories import clinic_product_add, clinic_protocol_add
from pistor.testing.queries import assert_query_cap
from tests.api.helpers import ApiClient, token_for

pytestmark = pytest.mark.django_db

PAGES = [
    "catalog:index",
    "catalog:indication_list",
    "catalog:protocol_list",
    "catalog:ingredient_list",
    "catalog:product_list",
    "catalog:technique_list",
    "catalog:scale_list",
    "catalog:side_effect_list",
    "catalog:aftercare_list",
    "catalog:checklist",
]
API_LISTS = ["/indications", "/protocols", "/ingredients", "/products", "/techniques", "/scales"]


def _grower(clinic, manager):
    made = {"n": 0}

    def grow(n):
        for _ in range(n):
            made["n"] += 1
            clinic_protocol_add(clinic, manager, code=f"house-course-{made['n']}")
            clinic_product_add(clinic, manager, code=f"house-mix-{made['n']}")

    return grow


def _each_twice(get, urls):
    # The clinic's catalog is rebuilt once after a change, then served from the cache: each
    # address is asked twice so both the rebuild and the cached answer are counted.
    def action():
        return [get(url) for url in urls for _ in range(2)]

    return action


def _all_ok(answers):
    return all(a.status_code == 200 for a in answers)


def test_catalog_pages_are_capped(client, clinic, manager):
    c = signed_in_client(client, manager)
    clinic_protocol_add(clinic, manager, code="house-course-0")
    urls = [reverse(name) for name in PAGES]
    urls.append(reverse("catalog:protocol_detail", args=["house-course-0"]))
    _each_twice(c.get, urls)()  # the first request of a session does its own set-up
    assert_query_cap(
        _each_twice(c.get, urls),
        grow=_grower(clinic, manager),
        sizes=(2, 40),
        cap=15 * 2 * len(urls),
        check=_all_ok,
    )


def test_catalog_api_lists_are_capped(client, clinic, manager):
    api = ApiClient(client, token_for(manager, clinic))
    urls = [f"/api/v1/catalog{path}" for path in API_LISTS]
    _each_twice(api.get, urls)()
    assert_query_cap(
        _each_twice(api.get, urls),
        grow=_grower(clinic, manager),
        sizes=(2, 40),
        cap=10 * 2 * len(urls),
        check=_all_ok,
    )
