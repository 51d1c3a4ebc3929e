from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "kapcare.synthetic"
    verbose_name = "Generated load data"
