from django.urls import path

from pistor.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("setup-2fa/", views.setup_2fa_view, name="setup_2fa"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("", views.account_view, name="account"),
    path("password/", views.password_change_view, name="password_change"),
    path("invitation/<str:secret>/", views.invitation_view, name="invitation"),
    path("password-reset/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetSentView.as_view(), name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetSetView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
]
