"""The journal on the shared record an outside therapist sees: the entries the patient
chose to share with THIS therapist, and no other's, while an authorisation from the patient
to them is in force (any scope: the patient gives each entry by choice, entry by entry).

Each entry shown is a disclosure of the patient's own words, so each is logged (one row
per entry, in one insert) besides the page's row: the patient's "who viewed my record"
then names the entries their therapist read. Registered in `patients.shared` from
`journal.registrations`."""

from kapcare import policy
from kapcare.audit.log import Actor, record_objects_access
from kapcare.audit.models import AccessAction
from kapcare.journal.models import JournalEntry
from kapcare.policy import Action

TEMPLATE = "journal/_shared_section.html"
KEY = "journal"
ORDER = 70


def shared_journal(request, patient) -> dict | None:
    """The entries shared with the signed-in therapist, newest first, or None unless the
    policy lets them read the patient's shared journal (a live authorisation). One query
    for the check, one for the entries, one insert for the log."""
    user = request.user
    if not policy.can(user, Action.VIEW_SHARED_JOURNAL, patient):
        return None
    entries = list(
        JournalEntry.objects.filter(patient_id=patient.pk, shared_with_id=user.pk)
        .select_related("dosing_session")
        .order_by("-shared_at", "-id")
    )
    record_objects_access(Actor.from_request(request), AccessAction.VIEW, patient, entries)
    return {"entries": entries, "clinic": patient.clinic}
