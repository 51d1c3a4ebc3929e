"""What messaging adds to the pages of the apps below it (chart, portal, shared record)."""


def register() -> None:
    from kapcare.messaging import sections
    from kapcare.patients import chart, portal, shared

    chart.register(
        chart.ChartSection(
            key="messages",
            template="messaging/_chart_section.html",
            context=sections.chart_section,
            order=70,
        )
    )
    portal.register(
        portal.PortalCard(
            key="messages",
            template="messaging/_portal_card.html",
            context=sections.portal_card,
            order=20,
        )
    )
    shared.register(
        shared.SharedSection(
            key="messages",
            template="messaging/_shared_section.html",
            context=sections.shared_section,
            order=60,
        )
    )
