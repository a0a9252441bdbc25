from django.urls import path

from pistor.plans import views

app_name = "plans"

urlpatterns = [
    path("patient/<int:patient_pk>/", views.plan_list_view, name="list"),
    path("patient/<int:patient_pk>/new/", views.plan_create_view, name="create"),
    path("<int:pk>/", views.plan_detail_view, name="detail"),
    path("<int:pk>/sessions/<int:number>/", views.plan_session_view, name="session"),
    path("<int:pk>/consent/", views.plan_consent_create_view, name="consent"),
    path("<int:pk>/quote.pdf", views.plan_quote_pdf_view, name="quote_pdf"),
    path("prices/", views.price_list_view, name="prices"),
    path("prices/set/", views.price_item_set_view, name="price_set"),
    path("prices/<int:pk>/delete/", views.price_item_delete_view, name="price_delete"),
    path("prices/vat/", views.vat_set_view, name="vat_set"),
]
