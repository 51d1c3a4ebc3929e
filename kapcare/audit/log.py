"""The one mechanism that writes the access log.

Views never write log rows themselves: the patient access helper
(`kapcare.patients.access`) records each read as it fetches the record, and the services
that change a record call `record_access` inside their transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest

from kapcare.audit.models import AccessAction, AccessLogEntry, Channel


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where, taken once from the request."""

    user: object
    ip_address: str | None
    channel: str = Channel.WEB

    @classmethod
    def from_request(cls, request: HttpRequest) -> "Actor":
        channel = Channel.API if getattr(request, "is_api", False) else Channel.WEB
        return cls(user=request.user, ip_address=client_ip(request), channel=channel)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the peer; behind a proxy the deployment sets it right (e.g. gunicorn's
    # forwarded-allow-ips), so a client-supplied X-Forwarded-For is never trusted here.
    return request.META.get("REMOTE_ADDR") or None


# Reads by someone outside the clinic are disclosures (HIPAA's accounting of disclosures,
# 45 CFR 164.528): an outside therapist reading under a sharing authorisation.
DISCLOSING_ROLES = frozenset({"therapist"})
READS = frozenset({AccessAction.VIEW, AccessAction.LIST, AccessAction.EXPORT})


def _entry(actor: Actor, action: str, patient, obj, clinic_id) -> AccessLogEntry:
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    if user is not None and getattr(user, "role", "") in DISCLOSING_ROLES and action in READS:
        action = AccessAction.DISCLOSE
    object_type = obj._meta.model_name if obj is not None else "patient"
    object_id = str(getattr(obj, "external_id", "") or getattr(obj, "pk", "")) if obj else ""
    if obj is None and patient is not None:
        object_id = str(patient.external_id)
    return AccessLogEntry(
        actor=user,
        actor_name=getattr(user, "full_name", "") if user else "",
        actor_email=getattr(user, "email", "") if user else "",
        actor_role=getattr(user, "role", "") if user else "",
        clinic_id=clinic_id,
        patient=patient,
        object_type=object_type,
        object_id=object_id,
        action=action,
        channel=actor.channel,
        ip_address=actor.ip_address,
    )


def record_access(
    actor: Actor, action: AccessAction, *, patient=None, obj=None, clinic_id=None, path: str = ""
) -> None:
    """Append one row: `actor` did `action` on `obj` (or on the patient record itself).
    The clinic is the patient's, else `obj`'s, else `clinic_id` for clinic records that
    reach their clinic through another row (a consent document's version). `path` names
    the address asked for (kept for refused attempts)."""
    if patient is not None:
        clinic_id = patient.clinic_id
    elif getattr(obj, "clinic_id", None) is not None:
        clinic_id = obj.clinic_id
    entry = _entry(actor, action, patient, obj, clinic_id)
    entry.path = path[: AccessLogEntry._meta.get_field("path").max_length]
    entry.save()


def record_many(actor: Actor, action: AccessAction, shown: Iterable[tuple]) -> None:
    """Append one row per (patient, record, clinic id) shown, in as few inserts as the
    rows need: the one bulk writer every page or API answer that shows many records uses.
    Patient None is a clinic record that concerns no patient; record None is the
    patient's own record."""
    _write([_entry(actor, action, patient, obj, clinic_id) for patient, obj, clinic_id in shown])


def _write(rows: list[AccessLogEntry]) -> None:
    if rows:
        AccessLogEntry.objects.bulk_create(rows, batch_size=1000)


def record_list_access(actor: Actor, patients: Iterable) -> None:
    """One 'listed' row per patient shown on a list page."""
    record_many(actor, AccessAction.LIST, ((p, None, p.clinic_id) for p in patients))


def record_objects_access(actor: Actor, action: AccessAction, patient, objects: Iterable) -> None:
    """One row per record of `patient` shown (e.g. each journal entry a therapist reads on
    the shared record)."""
    record_many(actor, action, ((patient, obj, patient.clinic_id) for obj in objects))


def record_clinic_objects_access(actor: Actor, action: AccessAction, objects: Iterable) -> None:
    """One row per clinic record shown that concerns no patient (a DEA inventory, a theft
    or loss report), each with its own clinic."""
    record_many(actor, action, ((None, obj, obj.clinic_id) for obj in objects))


def record_records_access(actor: Actor, action: AccessAction, records: Iterable[tuple]) -> None:
    """One row per (patient, record) shown, across any number of patients (a FHIR search
    or a page of `$everything`)."""
    record_many(actor, action, ((patient, obj, patient.clinic_id) for patient, obj in records))


def record_system_disclosures(disclosures: Iterable[tuple], *, object_type: str) -> None:
    """Append one 'disclosed' row per (patient, object id) that kapcare itself sent outside
    the clinic (the minute job's email to an outside therapist about a patient), in one
    insert. The actor is the system."""
    rows = [
        AccessLogEntry(
            actor=None,
            actor_name="kapcare (scheduled email)",
            clinic_id=patient.clinic_id,
            patient=patient,
            object_type=object_type,
            object_id=str(object_id)[:64],
            action=AccessAction.DISCLOSE,
            channel=Channel.SYSTEM,
        )
        for patient, object_id in disclosures
    ]
    _write(rows)


def record_export(actor: Actor, patients: Iterable[tuple], *, object_type: str) -> None:
    """Append one 'exported' row per (patient id, clinic id) included in an export (the
    de-identified research dataset), in one insert; `actor` may be the system (a
    management command)."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    rows = [
        AccessLogEntry(
            actor=user,
            actor_name=user.full_name if user else "kapcare (manage.py)",
            actor_email=user.email if user else "",
            actor_role=user.role if user else "",
            clinic_id=clinic_id,
            patient_id=patient_id,
            object_type=object_type,
            action=AccessAction.EXPORT,
            channel=actor.channel,
            ip_address=actor.ip_address,
        )
        for patient_id, clinic_id in patients
    ]
    _write(rows)


def record_log_export(actor: Actor, *, clinic_id, path: str) -> None:
    """Append one 'exported' row for a download of the access log itself: who, when, from
    where, which clinic's log (the filters are in the search form, not kept)."""
    user = actor.user
    AccessLogEntry.objects.create(
        actor=user,
        actor_name=user.full_name,
        actor_email=user.email,
        actor_role=user.role,
        clinic_id=clinic_id,
        object_type=AccessLogEntry._meta.model_name,
        action=AccessAction.EXPORT,
        channel=actor.channel,
        ip_address=actor.ip_address,
        path=path[: AccessLogEntry._meta.get_field("path").max_length],
    )
