from django.urls import path

from pistor.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_view, name="stock"),
    path("batches/", views.batch_list_view, name="batches"),
    path("receive/", views.receive_view, name="receive"),
    path("use/", views.use_view, name="use"),
    path("products/new/", views.product_create_view, name="product_create"),
    path("batches/<int:pk>/", views.batch_detail_view, name="batch"),
    path("batches/<int:pk>/recall/", views.recall_view, name="recall"),
    path("batches/<int:pk>/movement/", views.movement_view, name="movement"),
    path("batches/<int:pk>/count/", views.count_view, name="count"),
    path("batches/<int:pk>/open/", views.open_view, name="open"),
    path("batches/<int:pk>/trace/", views.trace_view, name="trace"),
    path("batches/<int:pk>/trace.csv", views.trace_csv_view, name="trace_csv"),
    path("containers/", views.container_list_view, name="containers"),
    path("containers/<int:pk>/trace/", views.container_trace_view, name="container_trace"),
    path("patients/<int:pk>/", views.patient_batches_view, name="patient_batches"),
    path("fridges/", views.fridge_view, name="fridges"),
]
