from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "kapcare.episodes"
    label = "episodes"
    verbose_name = "Course of care"
