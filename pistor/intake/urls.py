from django.urls import path

from pistor.intake import views

app_name = "intake"

urlpatterns = [
    path("patients/<int:patient_id>/", views.intake_history_view, name="history"),
    path("patients/<int:patient_id>/new/", views.intake_record_view, name="record"),
    path("patients/<int:patient_id>/links/", views.intake_link_create_view, name="link_create"),
    path("patients/<int:patient_id>/v/<int:version>/", views.intake_version_view, name="version"),
    path("fill/<str:token>/", views.intake_fill_view, name="fill"),
    path("from-tools/", views.intake_from_tools_view, name="from_tools"),
]
