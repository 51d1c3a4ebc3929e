from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "kapcare.patients"
    label = "patients"
    verbose_name = "Patients"
