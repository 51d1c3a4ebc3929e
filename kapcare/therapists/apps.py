from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "kapcare.therapists"
    label = "therapists"
    verbose_name = "Therapist directory"

    def ready(self) -> None:
        # Warnings on episodes and on KAP doses (registries of `episodes`).
        from kapcare.therapists import registrations

        registrations.register()
