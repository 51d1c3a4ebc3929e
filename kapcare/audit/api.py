"""API: the clinic's access log, for its admin (as the access-log page), newest first, a
page at a time by (time, row) — the log only grows, so it is never counted nor skipped
through (kapcare/api_pages.py). Reading the log is not itself a read of a patient's
record: no row is written for it (an export of the log is, on the page)."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kapcare import policy
from kapcare.api_pages import page_of
from kapcare.api_schemas import Page, PageQuery
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.policy import Action

router = Router(tags=["access log"])


class AccessLogQuery(PageQuery):
    action: AccessAction | None = None


class AccessLogEntryOut(Schema):
    occurred_at: dt.datetime
    action: AccessAction
    channel: str
    actor_name: str = Field(description="As the account was named at the time.")
    actor_email: str
    actor_role: str
    patient_id: uuid.UUID | None
    object_type: str
    object_id: str
    ip_address: str | None
    path: str

    @staticmethod
    def resolve_patient_id(entry: AccessLogEntry) -> uuid.UUID | None:
        return entry.patient.external_id if entry.patient_id else None


class AccessLogPage(Page):
    items: list[AccessLogEntryOut]


@router.get("/access-log", response=AccessLogPage, summary="The clinic's access log")
def list_access_log(request: HttpRequest, query: Query[AccessLogQuery]) -> dict:
    """Every read, change, disclosure and refused attempt on the clinic's records, newest
    first; optionally one `action`. The clinic's admin only."""
    if not policy.can(request.user, Action.SEARCH_ACCESS_LOG) or not request.user.clinic_id:
        raise PermissionDenied
    entries = AccessLogEntry.objects.filter(clinic_id=request.user.clinic_id).select_related(
        "patient"
    )
    if query.action:
        entries = entries.filter(action=query.action)
    shown, next_page = page_of(request, entries, ("-occurred_at", "-id"), query)
    return {"items": shown, "next": next_page}
