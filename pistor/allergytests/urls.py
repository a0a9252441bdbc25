from django.urls import path

from pistor.allergytests import views

app_name = "allergytests"

urlpatterns = [
    path("patients/<int:patient_id>/", views.allergy_test_list_view, name="list"),
    path("patients/<int:patient_id>/place/", views.allergy_test_place_view, name="place"),
    path("patients/<int:patient_id>/<int:pk>/read/", views.allergy_test_read_view, name="read"),
    path(
        "patients/<int:patient_id>/<int:pk>/addendum/",
        views.allergy_reading_addendum_view,
        name="addendum",
    ),
]
