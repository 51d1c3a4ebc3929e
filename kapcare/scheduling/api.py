"""API: the clinic's rooms. The same policy as the pages: clinic staff only, their own
clinic's rooms only."""

import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema

from kapcare import policy
from kapcare.policy import Action
from kapcare.scheduling.models import Room

router = Router(tags=["scheduling"])


class RoomOut(Schema):
    id: uuid.UUID
    name: str
    is_active: bool

    @staticmethod
    def resolve_id(room: Room) -> uuid.UUID:
        return room.external_id


@router.get("/rooms", response=list[RoomOut], summary="Your clinic's rooms")
def list_rooms(request: HttpRequest) -> list[Room]:
    """Every room of the caller's clinic, in name order, with whether it is in use (a room
    not in use takes no new bookings but stays on its past appointments)."""
    if not policy.can(request.user, Action.VIEW_CLINIC_CALENDAR):
        raise PermissionDenied
    return list(Room.objects.filter(clinic_id=request.user.clinic_id).order_by("name"))
