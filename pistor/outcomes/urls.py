from django.urls import path

from pistor.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("patient/<int:patient_pk>/", views.patient_outcomes_view, name="patient"),
    path(
        "patient/<int:patient_pk>/measurements/",
        views.measurement_add_view,
        name="measurement_add",
    ),
    path(
        "patient/<int:patient_pk>/side-effects/", views.side_effect_add_view, name="side_effect_add"
    ),
    path("side-effects/<int:pk>/resolve/", views.side_effect_resolve_view, name="resolve"),
    path("side-effects/<int:pk>/review/", views.side_effect_review_view, name="review_record"),
    path("review/", views.review_view, name="review"),
    path("calls/", views.calls_view, name="calls"),
    path("calls/<int:pk>/", views.call_record_view, name="call_record"),
    path("report/", views.report_view, name="report"),
    path("report.csv", views.report_csv_view, name="report_csv"),
]
