from django.urls import path

from pistor.clinics import views

app_name = "clinics"

urlpatterns = [
    path("choose/", views.choose_view, name="choose"),
    path("settings/", views.settings_view, name="settings"),
]
