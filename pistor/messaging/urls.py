from django.urls import path

from pistor.messaging import views

app_name = "messaging"

urlpatterns = [
    path("patient/<int:patient_pk>/", views.patient_messages_view, name="patient"),
    path(
        "patient/<int:patient_pk>/preferences/",
        views.preferences_edit_view,
        name="preferences",
    ),
    path("sent/", views.message_log_view, name="log"),
    path("settings/", views.messaging_settings_view, name="settings"),
    path("recalls/", views.recalls_view, name="recalls"),
]
