"""API: the clinic's DEA records, read-only, for its licensed staff and its admin.

- `GET /controlled-substances/inventories` (optionally of one `kind`) and
  `GET /controlled-substances/inventories/{id}`: the initial, biennial and
  change-of-registrant inventories (21 CFR 1304.11), each with its count of every lot.
- `GET /controlled-substances/theft-loss-reports` and `…/{id}`: the theft or loss reports
  with the data of DEA Form 106 (21 CFR 1301.76(b)), each with its lots and its submission.

Lists come a page at a time (`kapcare/api_pages.py`), in a fixed number of queries per
page. Who reads: the register's readers (`VIEW_CONTROLLED_SUBSTANCE_REGISTER`: clinicians,
nurses and the clinic admin); a coordinator's, a therapist's or a patient's token is
refused (403), another clinic's record or an unknown one is 404. Each record read or
listed is in the access log as the clinic's (they name no patient). Taking an inventory
or filing a report stays on the signed pages: a signature asks the signer to
re-authenticate at that moment, which a token cannot.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from kapcare import policy
from kapcare.api_pages import page_of
from kapcare.api_schemas import Page, PageQuery
from kapcare.audit.log import Actor, record_clinic_objects_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.substances.models import Inventory, InventoryKind, TheftLossReport
from kapcare.dosing.substances.rules import kept_until
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action

router = Router(tags=["controlled substances"])

VIEW = Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER
CENTS = Decimal("0.01")
KEPT_UNTIL = "The first day 21 CFR 1304.04(a) would let it go (2 years); kapcare keeps it."


class InventoryCountOut(Schema):
    lot_number: str
    lot_expiry: dt.date | None
    drug_name: str
    strength: str
    dosage_form: str
    expected_mg: Decimal = Field(description="What the register held for the lot.")
    counted_mg: Decimal
    difference_mg: Decimal = Field(description="Counted less expected.")
    reason: str = Field(description="Why the count differs; empty if it does not.")
    adjusted: bool = Field(description="The register was adjusted to the count.")


class InventoryListOut(Schema):
    id: uuid.UUID
    kind: Literal["initial", "biennial", "change_of_registrant"]
    taken_on: dt.date
    taken_as_of: Literal["opening", "close"] = Field(description="Of the business day.")
    registration_number: str = Field(description="The DEA registration it was taken for.")
    taken_by: str
    signed_at: dt.datetime
    lots: int = Field(description="The lots counted.")
    discrepancies: int = Field(description="The lots whose count differs from the register.")


class InventoryOut(InventoryListOut):
    registrant_name: str
    registrant_address: str
    previous_registration_number: str = Field(description="On a change of registrant.")
    new_registration_number: str = Field(description="On a change of registrant.")
    note: str
    signed_with: str = Field(description="How the signer re-authenticated.")
    kept_until: dt.date = Field(description=KEPT_UNTIL)
    counts: list[InventoryCountOut]


class InventoryPage(Page):
    items: list[InventoryListOut]


class InventoryQuery(PageQuery):
    kind: Literal["initial", "biennial", "change_of_registrant"] | None = None


class TheftLossLineOut(Schema):
    lot_number: str
    drug_name: str
    strength: str
    dosage_form: str
    ndc: str = Field(description="The National Drug Code, when recorded.")
    quantity_mg: Decimal


class TheftLossListOut(Schema):
    id: uuid.UUID
    kind: str = Field(description="The type of theft or loss, as DEA Form 106 asks it.")
    discovered_on: dt.date
    notify_by: dt.date = Field(description="Written notice to the DEA Field Division Office.")
    form_106_by: dt.date
    filed_by: str
    filed_at: dt.datetime
    submitted_at: dt.datetime | None
    overdue: bool = Field(description="Not submitted, and its notice was due before today.")
    total_mg: Decimal


class TheftLossOut(TheftLossListOut):
    registrant_name: str
    registration_number: str
    registrant_address: str
    police_notified: bool
    police_department: str
    police_report_number: str
    description: str
    signed_with: str = Field(description="How the filer re-authenticated.")
    submitted_by: str | None
    dea_confirmation: str
    kept_until: dt.date = Field(description=KEPT_UNTIL)
    lines: list[TheftLossLineOut]


class TheftLossPage(Page):
    items: list[TheftLossListOut]


def _clinic_of_reader(request: HttpRequest):
    """The reader's clinic; 403 for anyone who may not read the register."""
    user = request.user
    if not policy.can(user, VIEW) or user.clinic_id is None:
        raise PermissionDenied
    return user.clinic


def _one(request: HttpRequest, rows, external_id: str, what: str):
    """The record `external_id` among `rows`, within the reader's reach; 404 otherwise,
    as for an unknown one."""
    _clinic_of_reader(request)
    found = rows.filter(external_id=parse_external_id(external_id)).first()
    if found is None or not policy.can(request.user, VIEW, found):
        raise Http404(f"No such {what}.")
    record_clinic_objects_access(Actor.from_request(request), AccessAction.VIEW, [found])
    return found


# --- Inventories ------------------------------------------------------------------------------


def _inventories():
    differs = ~Q(counts__counted_mg=F("counts__expected_mg"))
    return Inventory.objects.select_related("taken_by").annotate(
        lots=Count("counts"), discrepancies=Count("counts", filter=differs)
    )


def _inventory_row(inventory: Inventory) -> dict:
    return {
        "id": inventory.external_id,
        "kind": inventory.kind,
        "taken_on": inventory.taken_on,
        "taken_as_of": inventory.taken_as_of,
        "registration_number": inventory.registration_number,
        "taken_by": inventory.taken_by.display_name,
        "signed_at": inventory.signed_at,
        "lots": inventory.lots,
        "discrepancies": inventory.discrepancies,
    }


@router.get(
    "/controlled-substances/inventories",
    response=InventoryPage,
    summary="The clinic's controlled-substance inventories",
)
def list_inventories(request: HttpRequest, query: Query[InventoryQuery]) -> dict:
    """The clinic's inventories, latest first, a page at a time; optionally of one `kind`.
    Each with how many lots were counted and how many differed from the register."""
    clinic = _clinic_of_reader(request)
    rows = _inventories().filter(clinic_id=clinic.pk)
    if query.kind:
        rows = rows.filter(kind=InventoryKind(query.kind))
    shown, next_page = page_of(request, rows, ("-taken_on", "-id"), query)
    record_clinic_objects_access(Actor.from_request(request), AccessAction.LIST, shown)
    return {"items": [_inventory_row(inventory) for inventory in shown], "next": next_page}


@router.get(
    "/controlled-substances/inventories/{inventory_id}",
    response=InventoryOut,
    summary="One controlled-substance inventory",
)
def get_inventory(request: HttpRequest, inventory_id: str) -> dict:
    """The inventory as signed: the registrant as it stood then, who took it, when and as
    of which moment of the business day, and the count of every lot beside the register."""
    inventory = _one(request, _inventories(), inventory_id, "inventory")
    counts = inventory.counts.all()
    return {
        **_inventory_row(inventory),
        "registrant_name": inventory.registrant_name,
        "registrant_address": inventory.registrant_address,
        "previous_registration_number": inventory.previous_registration_number,
        "new_registration_number": inventory.new_registration_number,
        "note": inventory.note,
        "signed_with": inventory.signed_with,
        "kept_until": kept_until(inventory.taken_on),
        "counts": [
            {
                "lot_number": count.lot_number,
                "lot_expiry": count.lot_expiry,
                "drug_name": count.drug_name,
                "strength": count.strength,
                "dosage_form": count.dosage_form,
                "expected_mg": count.expected_mg,
                "counted_mg": count.counted_mg,
                "difference_mg": count.difference_mg,
                "reason": count.reason,
                "adjusted": count.adjustment_id is not None,
            }
            for count in counts
        ],
    }


# --- Theft or loss ----------------------------------------------------------------------------


def _reports():
    return TheftLossReport.objects.select_related("filed_by", "submitted_by").annotate(
        total_mg=Sum("lines__quantity_mg")
    )


def _report_row(report: TheftLossReport, today: dt.date) -> dict:
    return {
        "id": report.external_id,
        "kind": report.kind,
        "discovered_on": report.discovered_on,
        "notify_by": report.notify_by,
        "form_106_by": report.form_106_by,
        "filed_by": report.filed_by.display_name,
        "filed_at": report.filed_at,
        "submitted_at": report.submitted_at,
        "overdue": not report.is_submitted and report.notify_by < today,
        # SQLite sums decimals without their places; both databases answer 2 here.
        "total_mg": Decimal(report.total_mg or 0).quantize(CENTS),
    }


def _today(request: HttpRequest) -> dt.date:
    return timezone.localdate(timezone.now(), request.user.clinic.zone)


@router.get(
    "/controlled-substances/theft-loss-reports",
    response=TheftLossPage,
    summary="The clinic's theft or loss reports",
)
def list_theft_loss_reports(request: HttpRequest, query: Query[PageQuery]) -> dict:
    """The clinic's theft or loss reports, latest discovery first, a page at a time: each
    with what was lost in all, its deadlines and whether it was submitted to the DEA."""
    clinic = _clinic_of_reader(request)
    rows = _reports().filter(clinic_id=clinic.pk)
    shown, next_page = page_of(request, rows, ("-discovered_on", "-id"), query)
    record_clinic_objects_access(Actor.from_request(request), AccessAction.LIST, shown)
    today = _today(request)
    return {"items": [_report_row(report, today) for report in shown], "next": next_page}


@router.get(
    "/controlled-substances/theft-loss-reports/{report_id}",
    response=TheftLossOut,
    summary="One theft or loss report",
)
def get_theft_loss_report(request: HttpRequest, report_id: str) -> dict:
    """The report with the data of DEA Form 106: the registrant, the type of theft or loss,
    the police, what was lost by lot, and its submission to the DEA."""
    report = _one(request, _reports(), report_id, "report")
    return {
        **_report_row(report, _today(request)),
        "registrant_name": report.registrant_name,
        "registration_number": report.registration_number,
        "registrant_address": report.registrant_address,
        "police_notified": report.police_notified,
        "police_department": report.police_department,
        "police_report_number": report.police_report_number,
        "description": report.description,
        "signed_with": report.signed_with,
        "submitted_by": report.submitted_by.display_name if report.submitted_by_id else None,
        "dea_confirmation": report.dea_confirmation,
        "kept_until": kept_until(report.discovered_on),
        "lines": [
            {
                "lot_number": line.lot_number,
                "drug_name": line.drug_name,
                "strength": line.strength,
                "dosage_form": line.dosage_form,
                "ndc": line.ndc,
                "quantity_mg": line.quantity_mg,
            }
            for line in report.lines.all()
        ],
    }
