from django.urls import path

from pistor.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("book/", views.book_view, name="book"),
    path("appointments/<int:pk>/", views.appointment_view, name="appointment"),
    path("appointments/<int:pk>/status/", views.status_view, name="status"),
    path("appointments/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("appointments/<int:pk>/move/", views.move_view, name="move"),
    path("manage/", views.manage_view, name="manage"),
    path("hours/", views.hours_view, name="hours"),
    path("hours/staff/<int:pk>/", views.staff_hours_view, name="staff_hours"),
    path("feed/<str:token>.ics", views.feed_view, name="feed"),
]
