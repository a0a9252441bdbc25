from django.urls import path

from pistor.consultations import views

app_name = "consultations"

urlpatterns = [
    path("patients/<int:patient_id>/", views.consultation_list_view, name="list"),
    path("patients/<int:patient_id>/new/", views.consultation_record_view, name="record"),
    path("patients/<int:patient_id>/<int:pk>/", views.consultation_detail_view, name="detail"),
    path(
        "patients/<int:patient_id>/<int:pk>/override/",
        views.consultation_override_view,
        name="override",
    ),
]
