from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kapcare.billing"
    label = "billing"
    verbose_name = "Money: coverage, billing codes, Good Faith Estimates"

    def ready(self) -> None:
        from kapcare.billing import reports, sections, signals
        from kapcare.billing.reports.estimates import ESTIMATES_DUE

        sections.register()
        signals.connect()
        reports.register(ESTIMATES_DUE)
