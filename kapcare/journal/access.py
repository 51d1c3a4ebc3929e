"""Fetch one journal entry of the signed-in patient, check the policy and log the read, in
one step (as `patients.access.get_patient` does for the record itself).

Another patient's entry and an unknown id both answer 404; a role the journal is not for
(the clinic's staff, a therapist) is refused before any query (403)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.journal.models import JournalEntry
from kapcare.patients.access import parse_external_id, refused
from kapcare.policy import Action


def get_own_entry(
    request: HttpRequest, entry_id, *, log_as: AccessAction | None = AccessAction.VIEW
) -> JournalEntry:
    """The entry with `entry_id` if it is the signed-in patient's own, with its patient,
    clinic, dose and the therapist it is shared with."""
    records = JournalEntry.objects.select_related("patient__clinic")
    if not policy.can(request.user, Action.KEEP_OWN_JOURNAL):
        raise refused(request, records, entry_id, PermissionDenied())
    entry = (
        JournalEntry.objects.select_related("patient__clinic", "dosing_session", "shared_with")
        .filter(
            external_id=parse_external_id(entry_id),
            patient__in=policy.visible_patients(request.user),
        )
        .first()
    )
    if entry is None or not policy.can(request.user, Action.KEEP_OWN_JOURNAL, entry):
        raise refused(request, records, entry_id, Http404("No such journal entry."))
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=entry.patient, obj=entry)
    return entry


def reading(request: HttpRequest) -> AccessAction | None:
    """A GET is logged as a view; a POST by the service that writes, or by
    `log_redisplay` when nothing was written."""
    return AccessAction.VIEW if request.method != "POST" else None


def log_redisplay(request: HttpRequest, entry: JournalEntry) -> None:
    record_access(Actor.from_request(request), AccessAction.VIEW, patient=entry.patient, obj=entry)
