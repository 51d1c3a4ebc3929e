from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "kapcare.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 interface"
