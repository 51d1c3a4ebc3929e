"""The portal home's "Guides for your next step" card: the clinic's education pages for
the phase the patient is in (`rules.phases_for`), unread ones marked. A fixed number of
queries. Registered in `patients.portal` from EducationConfig.ready()."""

from django.urls import reverse

from kapcare import policy
from kapcare.education import services
from kapcare.patients.portal import NextStep
from kapcare.policy import Action

TEMPLATE = "education/_portal_card.html"
# After the next sessions (5) and "Before your next dose" (6): the reading for that step.
ORDER = 7


def guides_card(request, patient) -> dict | None:
    if not policy.can(request.user, Action.READ_OWN_EDUCATION, patient):
        return None
    pages = services.current_pages(patient.clinic)
    first = services.pages_for_phases(pages, services.phases_for_patient(patient))
    readings = services.readings(patient, first)
    unread = [reading for reading in readings if not reading.has_read_current]
    step = None
    if unread:
        page = unread[0].page
        step = NextStep(
            f"Read “{page.current.title}”",
            reverse("education:portal_page", args=[page.topic]),
            priority=30,
        )
    return {"readings": readings, "unread": len(unread), "next_step": step}


def register() -> None:
    from kapcare.patients import portal as patient_portal

    patient_portal.register(
        patient_portal.PortalCard(
            key="education_guides", template=TEMPLATE, context=guides_card, order=ORDER
        )
    )
