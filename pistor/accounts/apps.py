from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pistor.accounts"
    label = "accounts"
