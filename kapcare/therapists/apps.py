from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "kapcare.therapists"
    label = "therapists"
    verbose_name = "Therapist directory"

    def ready(self) -> None:
        # Warnings on episodes and on KAP doses (registries of `episodes`).
        from kapcare.therapists import registrations

        registrations.register()
        # The therapist portal's section of the shared record (`patients.shared`).
        from kapcare.therapists import portal_registrations

        portal_registrations.register()
