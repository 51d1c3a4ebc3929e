from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "kapcare.episodes"
    label = "episodes"
    verbose_name = "Course of care"

    def ready(self) -> None:
        # Shared-record sections reach `patients` only through its registries.
        from kapcare.episodes import shared_sections

        shared_sections.register()

        # The course of care on the chart, the portal home and the chart's timeline.
        from kapcare.episodes import chart, portal, timeline

        chart.register()
        portal.register()
        timeline.register()

        # The portal home's "Before your next dose" and "Your course so far".
        from kapcare.episodes import portal_before_dose, portal_timeline

        portal_before_dose.register()
        portal_timeline.register()
