"""API: the clinic's rooms. The same policy as the pages: clinic staff read their own
clinic's rooms; the admin changes a room (its name, whether in use, its bedside monitor)
through the service the rooms page calls."""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kapcare import policy
from kapcare.api_schemas import InputSchema
from kapcare.audit.log import Actor
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling import services
from kapcare.scheduling.models import Room
from kapcare.text import model_text

router = Router(tags=["scheduling"])


class RoomOut(Schema):
    id: uuid.UUID
    name: str
    is_active: bool
    monitor_device_id: str = Field(
        description="The id its bedside monitor sends over HL7 v2 (OBX-18, else MSH-3); "
        "empty for none."
    )

    @staticmethod
    def resolve_id(room: Room) -> uuid.UUID:
        return room.external_id


class RoomPatch(InputSchema):
    """The fields to change; those left out stay as they are."""

    name: model_text(Room, "name") | None = None
    is_active: bool | None = None
    monitor_device_id: model_text(Room, "monitor_device_id") | None = Field(
        None,
        description="As the monitor sends it (no spaces nor HL7 delimiters); unique in the "
        'clinic; "" for no monitor.',
    )


@router.get("/rooms", response=list[RoomOut], summary="Your clinic's rooms")
def list_rooms(request: HttpRequest) -> list[Room]:
    """Every room of the caller's clinic, in name order, with whether it is in use (a room
    not in use takes no new bookings but stays on its past appointments)."""
    if not policy.can(request.user, Action.VIEW_CLINIC_CALENDAR):
        raise PermissionDenied
    return list(Room.objects.filter(clinic_id=request.user.clinic_id).order_by("name"))


@router.patch(
    "/rooms/{room_id}",
    response=RoomOut,
    summary="Change a room",
    openapi_extra={"responses": {422: {"description": "Not valid; `errors` names each field."}}},
)
def update_room(request: HttpRequest, room_id: str, payload: RoomPatch) -> Room:
    """Rename a room, mark it in use or not, or set the id of its bedside monitor, whose
    readings over HL7 v2 then go to the dosing session under way in the room. The clinic's
    admin only; a room of another clinic answers 404."""
    if not policy.can(request.user, Action.MANAGE_ROOMS):
        raise PermissionDenied
    room = Room.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(room_id)
    ).first()
    if room is None:
        raise Http404("No such room.")
    given = payload.model_dump(exclude_unset=True)
    if any(value is None for value in given.values()):
        raise ValidationError(
            {key: ["Send a value, not null."] for key, value in given.items() if value is None}
        )
    data = {
        "name": room.name,
        "is_active": room.is_active,
        "monitor_device_id": room.monitor_device_id,
        **given,
    }
    try:
        return services.save_room(
            actor=Actor.from_request(request), clinic=request.user.clinic, room=room, **data
        )
    except Refused as refusal:
        raise ValidationError(
            {field: [message] for field, message in refusal.problems.items()}
        ) from refusal
