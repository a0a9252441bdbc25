from django.urls import path

from pistor.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("setup-2fa/", views.setup_2fa_view, name="setup_2fa"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
]
