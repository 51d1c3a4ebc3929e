"""Registrations of the consents app's sharing parts of other apps' pages: the chart's
"Sharing with therapists" section, the portal's "Sharing with your therapist" card, and the
sections of the shared record a therapist sees (measures and safety alerts, from the
measures app; sharing decides what a therapist sees, so it composes them)."""

from django.utils import timezone

from kapcare import policy
from kapcare.consents.models import SharingAuthorization
from kapcare.measures import shared as measures_shared
from kapcare.patients import chart, portal, shared
from kapcare.policy import Action


def chart_context(request, patient) -> dict | None:
    """The live authorisations, oldest expiry first: one query (and the policy's)."""
    if not policy.can(request.user, Action.VIEW_AUTHORIZATIONS, patient):
        return None
    live = list(
        SharingAuthorization.objects.live(timezone.now())
        .filter(patient_id=patient.pk)
        .order_by("expires_at", "id")
    )
    return {
        "live": live,
        "patient_id": patient.external_id,
        "can_authorize": policy.can(request.user, Action.AUTHORIZE_SHARING, patient)
        and policy.can(request.user, Action.WITNESS_CONSENT, patient),
    }


def portal_context(request, patient) -> dict | None:
    """How many authorisations are in force: one query. The portal view has already
    fetched the patient and logged the view."""
    if not policy.can(request.user, Action.VIEW_AUTHORIZATIONS, patient):
        return None
    return {
        "active_count": SharingAuthorization.objects.live(timezone.now())
        .filter(patient_id=patient.pk)
        .count()
    }


def register() -> None:
    """Called once from ConsentsConfig.ready()."""
    chart.register(
        chart.ChartSection(
            key="sharing",
            template="consents/sharing/_chart_section.html",
            context=chart_context,
            order=35,
        )
    )
    portal.register(
        portal.PortalCard(
            key="sharing",
            template="consents/sharing/_portal_card.html",
            context=portal_context,
            order=35,
        )
    )
    for section in measures_shared.shared_sections():
        shared.register(section)
