from django.urls import path

from pistor.consents import views

app_name = "consents"

urlpatterns = [
    path("patient/<int:patient_pk>/", views.consent_list_view, name="list"),
    path("patient/<int:patient_pk>/new/", views.consent_create_view, name="create"),
    path("<int:pk>/", views.consent_detail_view, name="detail"),
    path("<int:pk>/sign/", views.consent_sign_view, name="sign"),
    path("<int:pk>/countersign/", views.consent_countersign_view, name="countersign"),
    path("<int:pk>/link/", views.consent_link_view, name="link"),
    path("<int:pk>/withdraw/", views.consent_withdraw_view, name="withdraw"),
    path("<int:pk>/addendum/", views.consent_addendum_view, name="addendum"),
    path("<int:pk>/pdf/", views.consent_pdf_view, name="pdf"),
    path("s/<str:token>/", views.consent_public_sign_view, name="public_sign"),
]
