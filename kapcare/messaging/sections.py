"""What messaging adds to the pages of the apps below it: the chart's Messages section
(staff), the portal's Messages card (the patient) and the shared record's Messages section
(the therapist, key "messages"). Each lists the threads the user may read about that
patient, with their unread messages, in one query (and the policy's); the page that shows
it has already fetched and logged the patient."""

from kapcare import policy
from kapcare.messaging import services
from kapcare.policy import Action

SHOWN = 10


def _threads(request, patient) -> dict | None:
    if not policy.can(request.user, Action.VIEW_MESSAGES, patient):
        return None
    threads = list(services.threads_for_list(request.user, patient)[: SHOWN + 1])
    return {
        "patient": patient,
        "threads": threads[:SHOWN],
        "has_more": len(threads) > SHOWN,
        "unread": sum(thread.unread for thread in threads[:SHOWN]),
        "can_start": policy.can(request.user, Action.SEND_MESSAGE, patient),
        "zone": patient.clinic.time_zone,
    }


def chart_section(request, patient) -> dict | None:
    return _threads(request, patient)


def portal_card(request, patient) -> dict | None:
    return _threads(request, patient)


def shared_section(request, patient) -> dict | None:
    """None unless the therapist may read messages about the patient now (a live
    authorisation): after a revocation the section is gone with the rest."""
    return _threads(request, patient)
