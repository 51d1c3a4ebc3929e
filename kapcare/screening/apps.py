from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapcare.screening"
    label = "screening"
    verbose_name = "Medical screening and eligibility"

    def ready(self) -> None:
        from kapcare.patients import chart as patient_chart
        from kapcare.patients import portal as patient_portal
        from kapcare.patients import timeline as patient_timeline
        from kapcare.screening import chart, portal, timeline

        patient_chart.register(
            patient_chart.ChartSection(
                key="screening",
                template="screening/_chart_section.html",
                context=chart.chart_context,
                order=20,
            )
        )
        patient_portal.register(
            patient_portal.PortalCard(
                key="health_history",
                template="screening/_portal_card.html",
                context=portal.card_context,
                order=20,
            )
        )
        patient_timeline.register(timeline.screening_events)
