from django.urls import path

from pistor.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("indications/", views.indication_list, name="indication_list"),
    path("indications/<str:code>/", views.indication_detail, name="indication_detail"),
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/new/", views.protocol_create, name="protocol_create"),
    path("protocols/<str:code>/", views.protocol_detail, name="protocol_detail"),
    path("protocols/<str:code>/edit/", views.protocol_edit, name="protocol_edit"),
    path("protocols/<str:code>/retire/", views.protocol_retire, name="protocol_retire"),
    path("ingredients/", views.ingredient_list, name="ingredient_list"),
    path("ingredients/<str:code>/", views.ingredient_detail, name="ingredient_detail"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<str:code>/", views.product_detail, name="product_detail"),
    path("products/<str:code>/edit/", views.product_edit, name="product_edit"),
    path("products/<str:code>/retire/", views.product_retire, name="product_retire"),
    path("techniques/", views.technique_list, name="technique_list"),
    path("techniques/<str:code>/", views.technique_detail, name="technique_detail"),
    path("scales/", views.scale_list, name="scale_list"),
    path("scales/<str:code>/", views.scale_detail, name="scale_detail"),
    path("side-effects/", views.side_effect_list, name="side_effect_list"),
    path("aftercare/", views.aftercare_list, name="aftercare_list"),
    path("checklist/", views.checklist, name="checklist"),
]
