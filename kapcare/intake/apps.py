from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kapcare.intake"
    label = "intake"
    verbose_name = "Consultation requests"

    def ready(self) -> None:
        from kapcare.intake import timeline
        from kapcare.patients import timeline as patient_timeline

        patient_timeline.register(timeline.consultation_events)
