from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "kapcare.dosing"
    label = "dosing"
    verbose_name = "Dosing sessions"

    def ready(self) -> None:
        # Registrations with the apps below (gates, chart, portal, shared record) are
        # added by the modules that own them.
        from kapcare.dosing import registrations

        registrations.register()
