"""The one pager: pages of a list, bounded, and the API's limit/offset."""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from pistor.core.pagination import MAX_PER_PAGE, LimitOffset, page_number, page_of
from pistor.patients.models import Patient
from pistor.patients.tests.factories import PatientFactory, build_patients
from pistor.testing.queries import assert_query_cap

ROWS = list(range(1, 24))  # 23 items


def test_a_middle_page_says_where_it_is():
    page = page_of(ROWS, number=2, per_page=10)
    assert page.items == list(range(11, 21))
    assert (page.total, page.pages, page.number) == (23, 3, 2)
    assert (page.previous_number, page.next_number) == (1, 3)
    assert (page.first_index, page.last_index) == (11, 20)


def test_the_last_page_holds_the_rest_and_past_the_end_shows_it():
    assert page_of(ROWS, number=3, per_page=10).items == [21, 22, 23]
    beyond = page_of(ROWS, number=10**12, per_page=10)
    assert beyond.number == 3 and beyond.items == [21, 22, 23] and not beyond.has_next


@pytest.mark.parametrize("raw", [None, "", "x", "-4", "0", "1e999999", "2.5"])
def test_a_bad_page_number_is_the_first_page(raw):
    assert page_number(raw) == 1
    assert page_of(ROWS, number=raw, per_page=10).number == 1


def test_an_empty_list_is_one_empty_page():
    page = page_of([], number=5, per_page=10)
    assert (page.items, page.total, page.pages, page.first_index) == ([], 0, 1, 0)


def test_the_page_size_is_capped():
    assert page_of(list(range(500)), number=1, per_page=10**6).per_page == MAX_PER_PAGE


@pytest.mark.django_db
def test_a_queryset_page_costs_two_queries_whatever_the_size(clinic):
    def action():
        return page_of(Patient.objects.for_clinic(clinic).order_by("pk"), number=2, per_page=5)

    assert_query_cap(
        action,
        grow=lambda n: PatientFactory.create_batch(n, clinic=clinic),
        sizes=(12, 120),
        cap=2,
        check=lambda page: len(page.items) == 5 or pytest.fail("not a full page"),
    )


@pytest.mark.django_db
def test_the_api_pager_slices_and_counts(clinic):
    build_patients(clinic, 7)
    rows = Patient.objects.for_clinic(clinic).order_by("pk")
    pager = LimitOffset()
    result = pager.paginate_queryset(
        rows, LimitOffset.Input(limit=3, offset=5), request=HttpRequest()
    )
    assert result["count"] == 7 and len(result["items"]) == 2
    far = pager.paginate_queryset(
        rows, LimitOffset.Input(limit=3, offset=10**6), request=HttpRequest()
    )
    assert far == {"items": [], "count": 7}
    schema = LimitOffset.Input.model_json_schema()["properties"]
    assert schema["limit"]["maximum"] == MAX_PER_PAGE
