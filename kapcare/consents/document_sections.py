"""Registrations of the consents app's parts of other apps' pages: the treatment consent's
chart section, the portal's "Consent forms" card, and the timeline's signatures (of both
kinds) and withdrawals. Each runs in a fixed number of queries, whatever the record holds."""

from django.urls import reverse

from kapcare import policy
from kapcare.consents import rules, services
from kapcare.consents.models import DocumentKind, Signature, SigningMethod
from kapcare.patients import portal as patient_portal
from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow
from kapcare.policy import Action


def chart_context(request, patient) -> dict:
    """The chart's consent section, in five queries (the course and its consent status)."""
    status, latest, current = services.treatment_consent_status(patient)
    return {
        "patient": patient,
        "status": status,
        "latest": latest,
        "current": current,
        "can_view": policy.can(request.user, Action.VIEW_CONSENTS, patient),
        "can_witness": policy.can(request.user, Action.WITNESS_CONSENT, patient),
    }


def card_context(request, patient) -> dict:
    """The portal's consent card, in five queries. The portal view has already fetched
    the patient and logged the view."""
    status, latest, current = services.treatment_consent_status(patient)
    step = None
    if status in TO_SIGN:
        step = patient_portal.NextStep(
            "Sign your treatment consent", reverse("consents:portal_sign"), priority=10
        )
    return {"status": status, "latest": latest, "current": current, "next_step": step}


# The consent statuses that ask the patient to sign (again) before their next step.
TO_SIGN = frozenset({rules.NOT_SIGNED, rules.OUTDATED, rules.MODEL_CHANGED})


def consent_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """Each document signed (treatment consents and sharing authorisations) and each
    consent withdrawn, in one query. A revocation of an authorisation is not a consent
    event: it belongs to the sharing pages. A patient signs a handful of documents whatever
    the length of their record: all are read, and the window's kept."""
    url = reverse("consents:patient_consents", args=[patient.external_id])
    signatures = (
        Signature.objects.filter(patient_id=patient.pk)
        .select_related(
            "version__document", "witnessed_by", "withdrawal__withdrawn_by", "authorization"
        )
        .order_by("signed_at", "id")
    )
    events = []
    for signature in signatures:
        how = (
            f"on a clinic tablet, witnessed by {signature.witnessed_by.display_name}"
            if signature.method == SigningMethod.CLINIC_TABLET and signature.witnessed_by
            else "in the patient portal"
        )
        number = signature.version.number
        if signature.kind == DocumentKind.TREATMENT:
            title = f"Treatment consent signed (version {number})"
        elif signature.kind == DocumentKind.STANDALONE:
            title = f"Standalone infusion consent signed (version {number})"
        else:
            title = f"Sharing authorisation signed (version {number})"
        authorization = getattr(signature, "authorization", None)
        detail = f"Signed {how}"
        if authorization is not None:
            detail = f"With {authorization.therapist_name}; signed {how}"
        events.append(
            TimelineEvent(
                when=signature.signed_at, title=title, detail=detail, url=url, kind="consent"
            )
        )
        withdrawal = getattr(signature, "withdrawal", None)
        if withdrawal is not None:
            by = withdrawal.withdrawn_by.display_name if withdrawal.withdrawn_by else "unknown"
            events.append(
                TimelineEvent(
                    when=withdrawal.withdrawn_at,
                    title=f"Treatment consent withdrawn (version {number})",
                    detail=f"Recorded by {by}",
                    url=url,
                    kind="consent_withdrawal",
                )
            )
    return window.keep(events)


def register() -> None:
    """Called once from ConsentsConfig.ready()."""
    from kapcare.patients import chart as patient_chart
    from kapcare.patients import portal as patient_portal
    from kapcare.patients import timeline as patient_timeline

    patient_chart.register(
        patient_chart.ChartSection(
            key="consents",
            template="consents/documents/_chart_section.html",
            context=chart_context,
            order=30,
        )
    )
    patient_portal.register(
        patient_portal.PortalCard(
            key="consents",
            template="consents/documents/_portal_card.html",
            context=card_context,
            order=30,
        )
    )
    patient_timeline.register(consent_events)
