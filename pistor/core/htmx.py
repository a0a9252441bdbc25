from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for an HTMX request that wants a partial, not a boosted full-page load."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def htmx_partial(request: HttpRequest, full: str, partial: str) -> str:
    """The template to render: the partial for HTMX swaps, the full page otherwise."""
    return partial if is_htmx(request) else full
