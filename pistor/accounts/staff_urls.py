from django.urls import path

from pistor.accounts import staff_views as views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list_view, name="list"),
    path("invite/", views.staff_invite_view, name="invite"),
    path("<int:membership_id>/role/", views.staff_role_view, name="role"),
    path("<int:membership_id>/deactivate/", views.staff_deactivate_view, name="deactivate"),
    path(
        "<int:membership_id>/reset-authenticator/",
        views.staff_reset_authenticator_view,
        name="reset_authenticator",
    ),
    path("<int:membership_id>/unlock/", views.staff_unlock_view, name="unlock"),
    path(
        "invitations/<int:invitation_id>/withdraw/",
        views.staff_invitation_withdraw_view,
        name="invitation_withdraw",
    ),
]
