"""API: who the token belongs to."""

import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from kapcare.accounts.models import Role, User

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

    @staticmethod
    def resolve_id(user: User) -> uuid.UUID:
        return user.external_id


@router.get("/me", response=MeOut, summary="The account the token belongs to")
def me(request: HttpRequest) -> User:
    return request.user
