from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kapcare.billing"
    label = "billing"
    verbose_name = "Money: coverage, billing codes, Good Faith Estimates"

    def ready(self) -> None:
        from kapcare.billing import sections, signals

        sections.register()
        signals.connect()
