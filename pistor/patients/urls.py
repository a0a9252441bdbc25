from django.urls import path

from pistor.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list_view, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("<int:pk>/", views.patient_detail_view, name="detail"),
    path("<int:pk>/edit/", views.patient_edit_view, name="edit"),
    path("<int:pk>/archive/", views.patient_archive_view, name="archive"),
    path("<int:pk>/restore/", views.patient_restore_view, name="restore"),
]
