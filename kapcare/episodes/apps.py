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
        from kapcare.episodes import chart, timeline

        chart.register()
        timeline.register()

        # The portal home's "Your course of care", "Before your next dose" and "Your
        # course so far".
        from kapcare.episodes.portal import before_dose, course
        from kapcare.episodes.portal import timeline as portal_timeline

        course.register()
        before_dose.register()
        portal_timeline.register()
