"""Cards on the patient's portal home contributed by other apps (questionnaires, health
history, later consents and sessions); see `patients.sections` for how an app registers
one. The card's context function is called with the patient already fetched and logged
by the portal view."""

from dataclasses import dataclass

from kapcare.patients.sections import Section, SectionRegistry

PortalCard = Section

_registry = SectionRegistry()
register = _registry.register
cards_for = _registry.sections_for


@dataclass(frozen=True)
class NextStep:
    """What a card asks the patient to do next; the home shows the most pressing one at
    the top (lowest `priority`: a consent to sign 10, a questionnaire due before a dose
    20, a guide to read 30). A card offers one as "next_step" in its context."""

    text: str
    url: str
    priority: int


def next_step(cards: list[tuple[Section, dict]]) -> NextStep | None:
    """The most pressing next step any card offers, or None."""
    steps = [context["next_step"] for _, context in cards if context.get("next_step")]
    return min(steps, key=lambda step: step.priority, default=None)
