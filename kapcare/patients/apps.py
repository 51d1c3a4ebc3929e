from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "kapcare.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from kapcare.patients import timeline

        timeline.register(timeline.record_events)
