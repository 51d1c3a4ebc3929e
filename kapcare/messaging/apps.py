from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "kapcare.messaging"
    label = "messaging"
    verbose_name = "Secure messages"

    def ready(self) -> None:
        from kapcare.messaging import registrations

        registrations.register()
