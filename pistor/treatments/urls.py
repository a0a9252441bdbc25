from django.urls import path

from pistor.treatments import views

app_name = "treatments"

urlpatterns = [
    path("plan/<int:plan_pk>/start/", views.session_start_view, name="start"),
    path("patient/<int:patient_pk>/", views.session_list_view, name="list"),
    path(
        "patient/<int:patient_pk>/start/",
        views.session_start_unplanned_view,
        name="start_unplanned",
    ),
    path("<int:pk>/", views.session_detail_view, name="detail"),
    path("<int:pk>/lines/", views.line_add_view, name="line_add"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.line_remove_view, name="line_remove"),
    path("<int:pk>/areas/", views.area_add_view, name="area_add"),
    path("<int:pk>/areas/<int:area_pk>/remove/", views.area_remove_view, name="area_remove"),
    path("<int:pk>/preview/", views.preview_view, name="preview"),
    path("<int:pk>/details/", views.details_view, name="details"),
    path("<int:pk>/sign/", views.sign_view, name="sign"),
    path("<int:pk>/addenda/", views.addendum_view, name="addendum"),
    path("<int:pk>/aftercare/", views.aftercare_view, name="aftercare"),
    path("<int:pk>/aftercare.pdf", views.aftercare_pdf_view, name="aftercare_pdf"),
]
