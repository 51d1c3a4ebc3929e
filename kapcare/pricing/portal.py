"""The whole course's cost where the patient sees it before consenting: the portal card
"Your course and its cost", and `{{ course_cost_estimate }}` in consent documents (the
default treatment consent names it in its cost paragraph). Both reach their pages through
registries, so `patients` and `consents` never import `pricing`."""

from kapcare import policy
from kapcare.policy import Action
from kapcare.pricing import cost


def card_context(request, patient) -> dict | None:
    """The open episode's plan and estimate, in two queries; no card without an open
    episode. The portal view has already fetched the patient and logged the view."""
    if not policy.can(request.user, Action.VIEW_COST_ESTIMATE, patient):
        return None
    episode = cost.open_episode_of(patient)
    if episode is None:
        return None
    return {"episode": episode, "estimate": cost.estimate_for_episode(episode)}


def register() -> None:
    """Called once from PricingConfig.ready()."""
    from kapcare.consents import placeholders
    from kapcare.patients import portal as patient_portal

    patient_portal.register(
        patient_portal.PortalCard(
            key="course_cost",
            template="pricing/_portal_cost.html",
            context=card_context,
            # After the course of care, before the consent forms: the cost is read first.
            order=25,
        )
    )
    placeholders.register(
        "course_cost_estimate",
        "The estimated cost of the patient's planned course (treatment consent)",
        cost.consent_summary,
    )
