from django.apps import AppConfig


class ConformanceConfig(AppConfig):
    name = "kapcare.conformance"
    label = "conformance"
    verbose_name = "ASKP3 conformance"
