from django.urls import path

from pistor.tools import views

app_name = "tools"

urlpatterns = [
    path("", views.index, name="index"),
    path("plan/", views.plan, name="plan"),
    path("screen/", views.screen, name="screen"),
    path("cocktail/", views.cocktail, name="cocktail"),
    path("lidocaine/", views.lidocaine, name="lidocaine"),
    path("score/", views.score, name="score"),
]
