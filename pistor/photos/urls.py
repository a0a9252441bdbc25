from django.urls import path

from pistor.photos import views

app_name = "photos"

urlpatterns = [
    path("patient/<int:patient_pk>/", views.photo_list_view, name="list"),
    path("patient/<int:patient_pk>/new/", views.photo_upload_view, name="upload"),
    path("patient/<int:patient_pk>/compare/", views.photo_compare_view, name="compare"),
    path("<int:pk>/file/<str:rendition>/", views.photo_file_view, name="file"),
    path("<int:pk>/withdraw/", views.photo_withdraw_view, name="withdraw"),
    path("<int:pk>/export/marketing/", views.photo_export_view, name="export"),
]
