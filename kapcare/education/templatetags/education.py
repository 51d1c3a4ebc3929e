"""What the clinic's pages show of patient education: which guides a patient read (on the
day-of checklist) and the after-care sheet of a dosing session (in its discharge part).
Each checks the policy itself, so a page that includes it needs no change of view."""

from django import template

from kapcare import policy
from kapcare.education import services
from kapcare.education.models import AfterCareHandover, Phase
from kapcare.policy import Action

register = template.Library()

# The guides that matter on the day of a dose: what it feels like, the room, the fasting
# and the ride home (the after-care page is handed over at discharge).
BEFORE_A_DOSE = (Phase.PREPARATION, Phase.DOSE_DAY)


@register.inclusion_tag("education/_receipts.html", takes_context=True)
def education_receipts(context, session):
    """The patient's reading of the guides before a dose: three queries."""
    user = context["request"].user
    if not policy.can(user, Action.VIEW_EDUCATION_RECEIPTS, session):
        return {"shown": False}
    patient = session.patient
    pages = services.pages_for_phases(services.current_pages(patient.clinic), BEFORE_A_DOSE)
    return {"shown": True, "readings": services.readings(patient, pages)}


@register.inclusion_tag("education/_after_care_link.html", takes_context=True)
def after_care_link(context, session):
    """The after-care sheet to print, and whether it was emailed at discharge: one query."""
    user = context["request"].user
    if not policy.can(user, Action.VIEW_EDUCATION_RECEIPTS, session):
        return {"shown": False}
    return {
        "shown": True,
        "session": session,
        "handover": AfterCareHandover.objects.filter(session_id=session.pk).first(),
    }
