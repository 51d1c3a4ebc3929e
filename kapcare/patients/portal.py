"""Cards on the patient's portal home contributed by other apps (questionnaires, health
history, later consents and sessions); see `patients.sections` for how an app registers
one. The card's context function is called with the patient already fetched and logged
by the portal view."""

from kapcare.patients.sections import Section, SectionRegistry

PortalCard = Section

_registry = SectionRegistry()
register = _registry.register
cards_for = _registry.sections_for
