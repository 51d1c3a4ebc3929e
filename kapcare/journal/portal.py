"""The journal's card on the patient's portal home: how many entries, how many shared,
and where to write the next one. Registered in `patients.portal` from
`journal.registrations`."""

from django.db.models import Count, Max, Q

from kapcare import policy
from kapcare.journal.models import JournalEntry
from kapcare.policy import Action

TEMPLATE = "journal/_portal_card.html"
# After the measures and "who viewed my record", before messages (portal home order).
ORDER = 70


def journal_card(request, patient) -> dict | None:
    """One query whatever the number of entries. The portal view has already fetched the
    patient and logged the view."""
    if not policy.can(request.user, Action.KEEP_OWN_JOURNAL, patient):
        return None
    counts = JournalEntry.objects.filter(patient_id=patient.pk).aggregate(
        entries=Count("id"),
        shared=Count("id", filter=Q(shared_with__isnull=False)),
        latest=Max("created_at"),
    )
    return {**counts, "zone": patient.clinic.time_zone}
