"""A URLconf for access tests: the account and clinic pages plus a few guarded pages.

Kept apart from ``pistor.urls`` so these tests exercise only this app; the layout's links
to other areas (home, catalog) get stand-ins so the shared base template can render.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import View

from pistor.accounts.access import StaffRequiredMixin, require_action, staff_required
from pistor.clinics.permissions import Action
from pistor.core.errors import NotFound


@staff_required
def any_staff(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"staff page at {request.clinic.pk}")  # type: ignore[attr-defined]


@staff_required(Action.AUDIT_VIEW)
def audit_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("audit page")


@staff_required()
def needs_staff_manage_inside(request: HttpRequest) -> HttpResponse:
    require_action(request, Action.STAFF_MANAGE)
    return HttpResponse("staff management")


@staff_required()
def raises_not_found(request: HttpRequest) -> HttpResponse:
    raise NotFound("No such patient.")


class AuditClassView(StaffRequiredMixin, View):
    required_action = Action.AUDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("audit class page")


def stand_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("stand-in page")


urlpatterns = [
    path("", include(([path("", stand_in, name="home")], "web"))),
    path("catalog/", include(([path("", stand_in, name="index")], "catalog"))),
    path("accounts/", include("pistor.accounts.urls")),
    path("clinics/", include("pistor.clinics.urls")),
    path("_test/staff/", any_staff, name="test_staff"),
    path("_test/audit/", audit_only, name="test_audit"),
    path("_test/staff-manage/", needs_staff_manage_inside, name="test_staff_manage"),
    path("_test/not-found/", raises_not_found, name="test_not_found"),
    path("_test/audit-class/", AuditClassView.as_view(), name="test_audit_class"),
]
