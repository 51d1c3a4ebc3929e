from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "kapcare.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and evidence"

    def ready(self) -> None:
        from kapcare.outcomes import signals, trajectory

        trajectory.register()
        signals.connect()
