"""The home page: where a member of staff lands after signing in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pistor.accounts.access import staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")
