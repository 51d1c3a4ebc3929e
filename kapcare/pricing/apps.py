from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "kapcare.pricing"
    label = "pricing"
    verbose_name = "Prices and cost estimates"

    def ready(self) -> None:
        # The whole-course cost: a portal card, and {{ course_cost_estimate }} in consents.
        from kapcare.pricing import portal

        portal.register()
