from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "kapcare.research"
    label = "research"
    verbose_name = "De-identified research export"
