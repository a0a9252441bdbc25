"""One way to page through a list: ``page_of`` for pages, ``LimitOffset`` for the API.

Both read at most one page of rows plus one count, whatever the size of the list, and both
refuse or clamp page numbers and offsets that would make the database do silly work.
New lists use these instead of slicing by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

T = TypeVar("T")

#: Largest page any list serves, on a page or through the API.
MAX_PER_PAGE = 200
#: Beyond this a page number or offset is a typing slip (or a probe), not a real request.
MAX_OFFSET = 2**31 - 1


def page_number(raw: Any) -> int:
    """A page number from a query string: 1 for anything missing, not a number or below 1."""
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, MAX_OFFSET))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and where it sits: what a list template needs to draw its pager."""

    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.has_previous else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.has_next else None

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown (0 when the list is empty)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)


def page_of(rows: QuerySet[Any] | Sequence[T], *, number: Any, per_page: int) -> Page[Any]:
    """Page ``number`` of ``rows`` (ordered by the caller): one count and one slice.

    A page past the end shows the last page rather than an empty one, so a list that shrank
    since the link was made still shows something.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = max(1, -(-total // per_page))
    current = min(page_number(number), pages)
    start = (current - 1) * per_page
    items = list(rows[start : start + per_page]) if total else []
    return Page(items=items, total=total, number=current, per_page=per_page)


class LimitOffset(PaginationBase):
    """Ninja pagination for API lists: ``?limit=&offset=``, bounds stated in the schema.

    ``@router.get("/things", response=list[ThingOut], auth=...)`` then
    ``@paginate(LimitOffset)``; the answer is ``{"items": [...], "count": N}``.
    """

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_PER_PAGE, description="Items per page.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int

    def paginate_queryset(
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, pagination.limit
        count = self._items_count(queryset)
        items = list(queryset[offset : offset + limit]) if offset < count else []
        return {"items": items, "count": count}
