"""API: dosing sessions, for bedside devices, monitor gateways and the clinic's screens.

- `POST /dosing-sessions/{id}/vitals` stores a reading through `vitals_services.record_vitals`,
  the function the record page calls, and answers the reading with the alerts it raised.
  A value that cannot be a reading answers 422 naming its field; a signed record 409.
- `GET /dosing-sessions/{id}`: the drug (code and name), the room, the dose, the readings, the
  events with their interventions, where the discharge stands and whether the record is signed.
- `GET /dosing-sessions?status=in_progress` (or `planned`, `completed`): the clinic's
  dosing sessions, a page at a time, in a fixed number of queries per page.

Clinic staff only (a patient's or a therapist's token: 403); a session of another clinic
answers 404, as an unknown one does. Every read and write is in the access log.
"""

import hashlib
import json
from itertools import groupby

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError

from kapcare import policy
from kapcare.api_pages import page_of
from kapcare.api_schemas import PageQuery
from kapcare.audit.log import Actor, record_list_access
from kapcare.dosing.access import get_record
from kapcare.dosing.discharge import services as discharge_services
from kapcare.dosing.models import AdverseEvent, DosingRecord, Drug, Observation, VitalSource
from kapcare.dosing.schemas import (
    STATUS_NAMES,
    DosingSessionOut,
    DosingSessionPage,
    ListedStatus,
    ReadingOut,
    VitalsIn,
)
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes.models import CareSession, SessionKind
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling.models import Room

router = Router(tags=["dosing sessions"])

REFUSED = {
    409: {"description": "The record is signed: readings can no longer be added."},
    422: {"description": "Not valid; `errors` names each field with its message."},
}

# The API's `status` filter in the episodes app's words.
LISTED_STATUSES = {api: status for status, api in STATUS_NAMES.items()}


def reading_out(observations: list[Observation], alerts=None) -> dict:
    """One reading in the API's shape; `alerts` as raised now, else as stored."""
    first = observations[0]
    if alerts is None:
        alerts = [
            {"vital": o.vital, "value": o.value, "threshold": o.alert_threshold}
            for o in observations
            if o.alert_threshold
        ]
    else:
        alerts = [{"vital": a.vital, "value": a.value, "threshold": a.threshold} for a in alerts]
    return {
        "reading_id": first.reading_id,
        "taken_at": first.taken_at,
        "source": first.source,
        **{o.vital: o.value for o in observations},
        "observations": observations,
        "alerts": alerts,
    }


IDEMPOTENCY_HEADER = "Idempotency-Key"


@router.post(
    "/dosing-sessions/{session_id}/vitals",
    response={201: ReadingOut},
    summary="Record a reading of vital signs",
    openapi_extra={
        "responses": REFUSED,
        "parameters": [
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "A key unique to this reading (e.g. a UUID). A retry with the "
                "same key and body gets the first answer back and records nothing again; the "
                "same key with another body answers 422.",
            }
        ],
    },
)
def record_vitals(request: HttpRequest, session_id: str, payload: VitalsIn):
    """Stores any subset of HR, SBP, DBP, SpO2, RR and the MOAA/S score taken together,
    one LOINC-coded observation each. `alerts` lists each value beyond the clinic's
    thresholds (defaults: SBP ≥ 180 or < 90, DBP ≥ 110, HR > 130 or < 50, SpO2 < 92,
    RR < 10 or > 30). A device that may retry sends an `Idempotency-Key` header."""
    key = idempotency_key(request)
    record = get_record(request, session_id, Action.RECORD_VITALS, log_as=None)
    taken_at = payload.taken_at or timezone.now()
    if timezone.is_naive(taken_at):
        taken_at = taken_at.replace(tzinfo=record.patient.clinic.zone)
    reading = {"taken_at": taken_at, "values": payload.values(), "source": VitalSource.DEVICE}
    actor = Actor.from_request(request)
    try:
        if key is None:
            result = vitals_services.record_vitals(actor=actor, record=record, **reading)
            return Status(201, reading_out(result.observations, result.alerts))
        return Status(
            *vitals_services.record_vitals_once(
                actor=actor,
                record=record,
                key=key,
                fingerprint=fingerprint(payload),
                answer=lambda result: ReadingOut.model_validate(
                    reading_out(result.observations, result.alerts)
                ).model_dump(mode="json"),
                **reading,
            )
        )
    except Refused as refusal:
        if record.is_signed and "__all__" in refusal.problems:
            raise HttpError(409, refusal.problems["__all__"]) from refusal
        raise ValidationError(
            {field: [message] for field, message in refusal.problems.items()}
        ) from refusal


def fingerprint(payload: VitalsIn) -> str:
    """What the reading says, whatever the order of its keys or the nulls left out."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(request: HttpRequest) -> str | None:
    """The `Idempotency-Key` header (1 to 255 printable ASCII characters, as a UUID is), or
    None without one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all(" " < character <= "~" for character in key):
        raise ValidationError(
            {"idempotency_key": ["Send 1 to 255 printable characters, e.g. a UUID."]}
        )
    return key


@router.get(
    "/dosing-sessions/{session_id}",
    response=DosingSessionOut,
    summary="A dosing session's record",
)
def get_dosing_session(request: HttpRequest, session_id: str) -> dict:
    """The drug (code and name), the dose (route, mg/kg, weight, mg, whether a second person
    confirmed it, its start and end), every reading of vital signs with its alerts, the
    adverse events with their interventions, the discharge (when, or whether the patient is
    ready and what is unmet) and whether the record is signed."""
    record = get_record(request, session_id)
    session = record.session
    observations = list(Observation.objects.filter(record_id=record.pk))
    events = AdverseEvent.objects.filter(record_id=record.pk).prefetch_related("interventions")
    discharge = discharge_services.discharge_status(record, timezone.now())
    return {
        "id": session.external_id,
        "patient_id": record.patient.external_id,
        "room_id": Room.objects.filter(appointments__care_session=session)
        .values_list("external_id", flat=True)
        .first(),
        "status": STATUS_NAMES.get(session.status, session.status),
        "planned_start": session.planned_start,
        "started_at": session.started_at,
        "drug": drug_out(record),
        "dose": {
            "route": record.route,
            "mg_per_kg": record.prescribed_mg_per_kg,
            "weight_kg": record.weight_kg,
            "mg": record.dose_mg,
            "confirmed": record.is_confirmed,
            "confirmed_at": record.confirmed_at,
            "infusion_minutes": record.infusion_minutes,
            "started_at": record.dose_started_at,
            "ended_at": record.dose_ended_at,
        },
        # In time order, each reading's rows together (one insert each).
        "vitals": [
            reading_out(list(rows)) for _, rows in groupby(observations, key=lambda o: o.reading_id)
        ],
        "events": [
            {
                "id": event.external_id,
                "kind": event.kind,
                "severity": event.severity,
                "onset_at": event.onset_at,
                "description": event.description,
                "interventions": list(event.interventions.all()),
            }
            for event in events
        ],
        "discharge": {
            "discharged_at": record.discharged_at,
            "ready": record.discharged_at is None and discharge.is_ready,
            "unmet": [] if record.discharged_at else discharge.problems,
        },
        "signed": record.is_signed,
        "signed_at": record.signed_at,
    }


class DosingSessionQuery(PageQuery):
    status: ListedStatus | None = None


@router.get(
    "/dosing-sessions",
    response=DosingSessionPage,
    summary="The clinic's dosing sessions",
)
def list_dosing_sessions(request: HttpRequest, query: Query[DosingSessionQuery]) -> dict:
    """The clinic's dosing sessions, by planned start, a page at a time, each with its drug
    (null before the session's record is open); optionally only those `planned`,
    `in_progress` or `completed`. Each patient listed is logged."""
    if not policy.can(request.user, Action.VIEW_DOSING_RECORD):
        raise PermissionDenied
    sessions = CareSession.objects.filter(
        kind=SessionKind.DOSING, patient__in=policy.visible_patients(request.user)
    ).select_related("patient", "dosing_record", "appointment__room")
    if query.status:
        sessions = sessions.filter(status=LISTED_STATUSES[query.status])
    shown, next_page = page_of(request, sessions, ("planned_start", "id"), query)
    record_list_access(
        Actor.from_request(request), {s.patient_id: s.patient for s in shown}.values()
    )
    return {"items": [session_row(session) for session in shown], "next": next_page}


def drug_out(record: DosingRecord) -> dict:
    """The record's drug: its code and its name."""
    return {"code": record.drug, "name": Drug(record.drug).label}


def session_row(session: CareSession) -> dict:
    record: DosingRecord | None = getattr(session, "dosing_record", None)
    return {
        "id": session.external_id,
        "patient_id": session.patient.external_id,
        "room_id": session.appointment.room.external_id
        if session.appointment and session.appointment.room
        else None,
        "status": STATUS_NAMES.get(session.status, session.status),
        "planned_start": session.planned_start,
        "started_at": session.started_at,
        "drug": drug_out(record) if record else None,
        "dose_started_at": record.dose_started_at if record else None,
        "dose_ended_at": record.dose_ended_at if record else None,
        "discharged_at": record.discharged_at if record else None,
        "signed": bool(record and record.is_signed),
    }
