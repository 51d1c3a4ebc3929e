from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "kapcare.consents"
    label = "consents"
    verbose_name = "Consent and sharing"

    def ready(self) -> None:
        # Chart sections, portal cards and timeline events reach `patients` only through
        # its registries.
        from kapcare.consents import document_sections, sharing_sections

        document_sections.register()
        sharing_sections.register()
