"""The chart's "Coverage and estimates" section and the portal's estimates card, reached
through the patients app's registries (patients never imports billing)."""

from kapcare import policy
from kapcare.billing import services
from kapcare.billing.models import GoodFaithEstimate
from kapcare.policy import Action


def chart_context(request, patient) -> dict | None:
    """The coverage answer and the newest estimate, in two queries."""
    if not policy.can(request.user, Action.VIEW_COVERAGE, patient):
        return None
    newest = (
        GoodFaithEstimate.objects.filter(patient_id=patient.pk)
        .order_by("-issued_at", "-id")
        .first()
    )
    return {
        "patient": patient,
        "coverage": services.current_coverage(patient),
        "newest": newest,
        "can_record": policy.can(request.user, Action.RECORD_COVERAGE, patient),
    }


def portal_context(request, patient) -> dict | None:
    """The notice of the right to an estimate, and the newest one issued (one query)."""
    if not policy.can(request.user, Action.VIEW_ESTIMATES, patient):
        return None
    newest = (
        GoodFaithEstimate.objects.filter(patient_id=patient.pk)
        .order_by("-issued_at", "-id")
        .first()
    )
    return {"newest": newest}


def register() -> None:
    from kapcare.patients import chart, portal

    chart.register(
        chart.ChartSection(
            key="coverage", template="billing/_chart_section.html", context=chart_context, order=26
        )
    )
    portal.register(
        portal.PortalCard(
            key="estimates", template="billing/_portal_card.html", context=portal_context, order=26
        )
    )
