"""API: who the token belongs to."""

import uuid

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kapcare.accounts.models import Role, User
from kapcare.scheduling import feeds

router = Router(tags=["accounts"])


class ClinicOut(Schema):
    id: uuid.UUID
    name: str
    time_zone: str

    @staticmethod
    def resolve_id(clinic) -> uuid.UUID:
        return clinic.external_id


class MeOut(Schema):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    clinic: ClinicOut | None
    calendar_feed_url: str | None = Field(
        description="The secret address of your calendar feed (therapists and patients; "
        "null for clinic staff). Anyone holding it can read the feed: keep it private."
    )

    @staticmethod
    def resolve_id(user: User) -> uuid.UUID:
        return user.external_id

    @staticmethod
    def resolve_calendar_feed_url(user: User, context) -> str | None:
        if user.role not in feeds.OWNER_KINDS:
            return None
        return feeds.feed_url(context["request"], feeds.feed_for_user(user))


@router.get("/me", response=MeOut, summary="The account the token belongs to")
def me(request: HttpRequest) -> User:
    return request.user
