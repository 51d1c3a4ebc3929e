from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapcare.measures"
    label = "measures"
    verbose_name = "Measures and safety alerts"

    def ready(self) -> None:
        # The Measures section of the patient chart and the timeline's measure and
        # safety-alert events reach `patients` only through its registries.
        from kapcare.measures import chart

        chart.register()
