from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "kapcare.consents"
    label = "consents"
    verbose_name = "Consent and sharing"
