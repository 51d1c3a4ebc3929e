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
    from kapcare.billing.booking import QUESTION
    from kapcare.episodes import booking_questions
    from kapcare.episodes.gates import warning_registry
    from kapcare.patients import chart, portal

    warning_registry.register(coverage_warnings)
    booking_questions.register(QUESTION)
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


def coverage_warnings(episodes: list, today) -> dict[int, list[str]]:
    """For `episodes.gates.warning_registry` (the episode page and series planning): the
    coverage question not asked yet, with a link to ask it, in one query. The law asks it
    at scheduling (45 CFR 149.610(b)); the answer decides whether an estimate is owed."""
    from django.urls import reverse
    from django.utils.html import format_html

    from kapcare.billing.models import CoverageRecord
    from kapcare.patients.models import Patient

    patient_ids = {episode.patient_id for episode in episodes}
    asked = set(
        CoverageRecord.objects.filter(patient_id__in=patient_ids).values_list(
            "patient_id", flat=True
        )
    )
    unasked = dict.fromkeys(patient_ids - asked)
    if not unasked:
        return {}
    for pk, external_id in Patient.objects.filter(pk__in=unasked).values_list("pk", "external_id"):
        unasked[pk] = external_id
    return {
        episode.pk: [
            format_html(
                'Coverage not asked: <a href="{}">ask whether the patient is insured and '
                "will file a claim</a> before booking (the law requires the question; an "
                "uninsured or self-pay patient is owed a Good Faith Estimate).",
                reverse("billing:coverage", args=[unasked[episode.patient_id]]),
            )
        ]
        for episode in episodes
        if episode.patient_id in unasked
    }
