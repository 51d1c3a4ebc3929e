from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "kapcare.journal"
    label = "journal"
    verbose_name = "Patient journal"

    def ready(self) -> None:
        from kapcare.journal import registrations

        registrations.register()
