from django.urls import path

from pistor.onlinebooking import views

app_name = "onlinebooking"

# Fixed words first: a clinic's address is one path segment, these are two.
urlpatterns = [
    path("staff/settings/", views.settings_view, name="settings"),
    path("staff/review/", views.review_view, name="review"),
    path("manage/<str:token>/", views.manage_view, name="manage"),
    path("<slug:slug>/", views.book_view, name="page"),
]
