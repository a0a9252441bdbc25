from django.urls import include, path

from pistor.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("", include("pistor.web.urls")),
    path("accounts/", include("pistor.accounts.urls")),
    path("clinics/", include("pistor.clinics.urls")),
    path("staff/", include("pistor.accounts.staff_urls")),
    path("patients/", include("pistor.patients.urls")),
    path("audit/", include("pistor.audit.urls")),
    path("catalog/", include("pistor.catalog.urls")),
    path("tools/", include("pistor.tools.urls")),
    path("consents/", include("pistor.consents.urls")),
    path("plans/", include("pistor.plans.urls")),
    path("intake/", include("pistor.intake.urls")),
    path("consultations/", include("pistor.consultations.urls")),
    path("allergy-tests/", include("pistor.allergytests.urls")),
    path("inventory/", include("pistor.inventory.urls")),
    path("treatments/", include("pistor.treatments.urls")),
    path("scheduling/", include("pistor.scheduling.urls")),
    path("book/", include("pistor.onlinebooking.urls")),
    path("messages/", include("pistor.messaging.urls")),
    path("photos/", include("pistor.photos.urls")),
    path("outcomes/", include("pistor.outcomes.urls")),
    *api_urlpatterns,
]

# A body too large to read answers 413 rather than 400 (pistor.web.views.bad_request).
handler400 = "pistor.web.views.bad_request"
