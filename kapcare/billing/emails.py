"""The estimate's email: a link to the portal, never the estimate itself (no health
information in an email), through the notifications outbox."""

from django.urls import reverse

from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify


def email_estimate(estimate, patient) -> None:
    """Queued in the estimate's transaction; sent once it commits. No email without a
    portal account's address."""
    user = patient.user
    if user is None or not user.email:
        return
    clinic = patient.clinic
    notify(
        key=f"good-faith-estimate:{estimate.external_id}",
        kind=NotificationKind.GOOD_FAITH_ESTIMATE,
        to=user.email,
        subject=f"Your Good Faith Estimate from {clinic.name}",
        template="billing/email/estimate_issued.txt",
        context={"clinic": clinic, "link": absolute_url(reverse("billing:portal_estimates"))},
        patient=patient,
        clinic=clinic,
    )
