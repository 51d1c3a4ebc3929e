"""The portal home's "Your sessions in your calendar" card, registered in
`patients.portal` from SchedulingConfig.ready()."""

from kapcare import policy
from kapcare.patients import portal
from kapcare.policy import Action

TEMPLATE = "scheduling/_portal_calendar_card.html"


def calendar_card(request, patient) -> dict | None:
    """No query: the card only links to the feed page, which makes the address."""
    if not policy.can(request.user, Action.MANAGE_OWN_CALENDAR_FEED):
        return None
    return {}


def register() -> None:
    """Called once from SchedulingConfig.ready()."""
    portal.register(
        portal.PortalCard(key="calendar_feed", template=TEMPLATE, context=calendar_card, order=80)
    )
