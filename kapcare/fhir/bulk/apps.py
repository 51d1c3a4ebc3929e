from django.apps import AppConfig


class BulkExportConfig(AppConfig):
    name = "kapcare.fhir.bulk"
    label = "fhir_bulk"
    verbose_name = "FHIR bulk export"
    default_auto_field = "django.db.models.BigAutoField"
