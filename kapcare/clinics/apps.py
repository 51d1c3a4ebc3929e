from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "kapcare.clinics"
    label = "clinics"
    verbose_name = "Clinics"
