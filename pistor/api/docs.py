"""The interactive API documentation, for signed-in staff, served without any CDN.

Ninja's own Swagger page falls back to a CDN; this one uses the Swagger UI files that
Ninja ships (served by Pistor like any static file) and an external init script, so the
site's Content-Security-Policy (``script-src 'self'``, no inline script) holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

from pistor.accounts.access import check_staff_access
from pistor.clinics.permissions import Action

if TYPE_CHECKING:
    from ninja import NinjaAPI


class StaffSwagger(DocsBase):
    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        refusal = check_staff_access(request, Action.API_DOCS_VIEW)
        if refusal is not None:
            return refusal
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
        }
        return render(
            request,
            self.template,
            {
                "api": api,
                # Read by the init script from a JSON data block, which is not executed.
                "swagger_settings": json.dumps(settings),
            },
        )
