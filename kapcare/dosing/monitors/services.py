"""What kapcare does with a bedside monitor's message: find the room the monitor is set
on (`Room.monitor_device_id`), the dosing session under way in that room, and record the
reading through `vitals.services.record_vitals` — the function typed readings go through —
so the clinic's plausibility checks, thresholds and alerts apply alike. A message already
recorded (same monitor, same MSH-10) is acknowledged again and recorded once.

`answer` is the whole exchange for one MLLP block, bytes in, the ACK out; it never
raises. The listener runs it in a worker thread, so that its event loop never waits on
the database."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord, MonitorMessage, VitalSource
from kapcare.dosing.monitors import messages
from kapcare.dosing.monitors.messages import ACCEPT, ERROR, MessageRefused, MonitorReport
from kapcare.dosing.vitals import services as vitals_services
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.refusals import Refused
from kapcare.scheduling.models import Room

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """How a message was taken: `AA` with the record it went to, or why not."""

    ack_code: str
    reason: str = ""
    error_code: str = ""
    is_duplicate: bool = False


class _RecordedMeanwhile(Exception):
    """The same message was recorded by another connection first: undo ours."""


def answer(block: bytes, *, peer: str | None = None) -> str:
    """The ACK (as text) for one MLLP block from a monitor. Never raises: what cannot be
    read is answered `AR`, a failure of ours `AE`."""
    message = None
    try:
        message = messages.parse_message(block.decode("utf-8"))
        receipt = receive(messages.read_report(message), peer=peer)
    except UnicodeDecodeError:
        receipt = Receipt(
            messages.REJECT, "The message is not UTF-8 text.", messages.DATA_TYPE_ERROR
        )
    except MessageRefused as refusal:
        receipt = Receipt(refusal.ack_code, refusal.reason, refusal.error_code)
    except Exception:
        logger.exception("A monitor's message could not be handled.")
        receipt = Receipt(ERROR, "kapcare could not record this message; send it again later.")
    ack = messages.acknowledge(message, receipt.ack_code, receipt.reason, receipt.error_code)
    return str(ack)


def receive(report: MonitorReport, *, peer: str | None = None) -> Receipt:
    """Record `report` on the dosing session under way in its monitor's room, once."""
    if MonitorMessage.objects.filter(
        device_id=report.device_id, control_id=report.control_id
    ).exists():
        return Receipt(ACCEPT, "Already recorded.", is_duplicate=True)
    # The log names the system (the listener, from the monitor's address); the reading is
    # entered under the clinician who started the session, who answers for it.
    actor = Actor(user=None, ip_address=peer, channel=Channel.SYSTEM)
    record = _record_under_way(report.device_id, actor)
    session = record.session
    taken_at = report.taken_at or timezone.now()
    if timezone.is_naive(taken_at):
        taken_at = taken_at.replace(tzinfo=record.patient.clinic.zone)
    try:
        with transaction.atomic():
            reading = vitals_services.record_vitals(
                actor=actor,
                record=record,
                taken_at=taken_at,
                values=report.values,
                source=VitalSource.DEVICE,
                entered_by=session.started_by or session.run_by,
            )
            try:
                with transaction.atomic():
                    MonitorMessage.objects.create(
                        device_id=report.device_id,
                        control_id=report.control_id,
                        record=record,
                        reading_id=reading.reading_id,
                    )
            except IntegrityError as crossed:
                raise _RecordedMeanwhile from crossed
    except _RecordedMeanwhile:
        return Receipt(ACCEPT, "Already recorded.", is_duplicate=True)
    except Refused as refusal:
        reason = " ".join(refusal.problems.values())
        raise MessageRefused(ERROR, reason, messages.APPLICATION_ERROR) from refusal
    return Receipt(ACCEPT)


def _record_under_way(device_id: str, actor: Actor) -> DosingRecord:
    """The dosing record (opened now if nobody has yet) of the session under way in the
    room `device_id` is set on."""
    rooms = list(Room.objects.filter(monitor_device_id=device_id)[:2])
    if not rooms:
        raise MessageRefused(
            ERROR,
            f"Monitor {device_id} is not set on any room: set its id on the room in kapcare.",
            messages.UNKNOWN_KEY,
        )
    if len(rooms) > 1:
        raise MessageRefused(
            ERROR,
            f"Monitor id {device_id} is set on rooms of several clinics.",
            messages.UNKNOWN_KEY,
        )
    room = rooms[0]
    sessions = list(
        CareSession.objects.filter(
            kind=SessionKind.DOSING,
            status=SessionStatus.IN_PROGRESS,
            appointment__room_id=room.pk,
        ).select_related("patient__clinic", "episode", "started_by", "run_by")[:2]
    )
    if not sessions:
        raise MessageRefused(
            ERROR, f"No dosing session is under way in {room.name}.", messages.UNKNOWN_KEY
        )
    if len(sessions) > 1:
        raise MessageRefused(
            ERROR,
            f"Several dosing sessions are under way in {room.name}: enter the reading by hand.",
            messages.APPLICATION_ERROR,
        )
    return recording.record_for(actor, sessions[0])
