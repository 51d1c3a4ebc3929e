"""The DEA records kept beside the ketamine register, each written in one transaction with
its access-log row (docs/clinical-reference.md#dea-records):

- an inventory (21 CFR 1304.11): a dated count of every lot on hand, signed by a clinician
  or nurse of the clinic who re-authenticates at that moment; each count that differs from
  the register is explained, and the register is brought to the count by a signed
  adjustment line when the difference is not a theft or loss to report;
- a theft or loss report with the data of DEA Form 106 (21 CFR 1301.76(b)): the lost amount
  of each lot posted to the register as a signed line of its own, the written notice due
  one business day after discovery; later, once, its submission to the DEA.

The register is the clinic's, not a patient's: these rows are logged with the clinic.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.clinics.dea_numbers import dea_number_problem
from kapcare.clinics.models import Clinic
from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from kapcare.dosing.substances import lots
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.substances.inventory import rules
from kapcare.dosing.substances.models import (
    BusinessMoment,
    Inventory,
    InventoryCount,
    InventoryKind,
    LossKind,
    TheftLossLine,
    TheftLossReport,
)
from kapcare.dosing.substances.rules import mg
from kapcare.refusals import Refused


def field_name(index: int, part: str) -> str:
    """The form field of the `index`th lot's `part` (counted_mg, reason, adjust,
    quantity_mg): the services name their problems by it, the forms their fields."""
    return f"lot_{index}_{part}"


@dataclass(frozen=True)
class LotCount:
    """What was found of one lot; for a difference, why, and whether to adjust the
    register to the count (else the difference stays to be reported as a theft or loss)."""

    lot_number: str
    counted_mg: Decimal | None
    reason: str = ""
    adjust: bool = False


@dataclass(frozen=True)
class OnHand:
    lot_number: str
    expiry: date | None
    stock_mg: Decimal
    identity: dict


def lots_on_hand(clinic_id: int) -> list[OnHand]:
    """Every lot the register holds stock of (not 0 mg), latest expiry first, with what it
    is. Two queries."""
    register = substances_services.register_lots(clinic_id)
    identities = {}
    for row in (
        ControlledSubstanceEntry.objects.filter(
            clinic_id=clinic_id, kind=SubstanceEntryKind.RECEIVED
        )
        .order_by("-recorded_at", "-id")
        .values("lot_number", *lots.IDENTITY_FIELDS)
    ):
        identities[row.pop("lot_number")] = row
    return [
        OnHand(number, expiry, stock, identities.get(number, {}))
        for number, (expiry, stock) in register.items()
        if stock != 0
    ]


def last_inventory(clinic_id: int) -> Inventory | None:
    return Inventory.objects.filter(clinic_id=clinic_id).order_by("-taken_on", "-id").first()


def next_biennial_due(clinic_id: int) -> date | None:
    """The day by which the next biennial inventory is taken: two years after the last
    inventory of any kind (21 CFR 1304.11(c)); None when none was ever taken."""
    last = last_inventory(clinic_id)
    return rules.next_biennial_due(last.taken_on if last else None)


def _refuse_unless_licensed(actor: Actor, clinic: Clinic, what: str) -> None:
    if not substances_services._is_licensed_of(actor, clinic.pk):
        raise Refused({"__all__": f"Only a clinician or nurse of this clinic may {what}."})


def _refuse_without_registration(clinic: Clinic) -> None:
    if not clinic.dea_registration_number or not clinic.dea_registered_address.strip():
        raise Refused(
            {
                "__all__": "The clinic's DEA registration number and registered address are "
                "not in its settings yet: the clinic admin enters them first."
            }
        )


def _registrant(clinic: Clinic) -> dict:
    return {
        "registrant_name": clinic.name,
        "registration_number": clinic.dea_registration_number,
        "registrant_address": clinic.dea_registered_address.strip(),
    }


def _change_problems(kind: str, previous: str, new: str) -> dict[str, str]:
    if kind != InventoryKind.CHANGE_OF_REGISTRANT:
        return {}
    problems = {}
    for field, number in (
        ("previous_registration_number", previous),
        ("new_registration_number", new),
    ):
        problem = dea_number_problem(number)
        if problem:
            problems[field] = problem
    if not problems and previous == new:
        problems["new_registration_number"] = "The new registration is not the previous one."
    return problems


def _count_problems(counts: list[LotCount], on_hand: list[OnHand]) -> dict[str, str]:
    problems: dict[str, str] = {}
    expected = {lot.lot_number: lot.stock_mg for lot in on_hand}
    counted_lots = [count.lot_number for count in counts]
    if sorted(counted_lots) != sorted(expected):
        problems["__all__"] = (
            "The register changed while you counted: count again from the lots listed now."
        )
        return problems
    for index, count in enumerate(counts):
        amount = count.counted_mg
        field = field_name(index, "counted_mg")
        problem = substances_services._amount_problem(amount, "counted")
        if problem:
            problems[field] = problem
        elif amount != expected[count.lot_number] and not count.reason.strip():
            problems[field_name(index, "reason")] = (
                f"{mg(amount)} counted, the register shows {mg(expected[count.lot_number])}: "
                "write why (an adjustment, or a theft or loss to report)."
            )
    return problems


def take_inventory(
    *,
    actor: Actor,
    clinic: Clinic,
    kind: str,
    taken_as_of: str,
    counts: list[LotCount],
    reauthentication: Reauthentication | None,
    previous_registration_number: str = "",
    new_registration_number: str = "",
    note: str = "",
) -> Inventory:
    """Record an inventory of every lot on hand, as of the opening or close of business of
    today, signed by `actor` who re-entered their code (or password) just now. A count that
    differs from the register needs its reason; with `adjust`, the register gets a signed
    line bringing the lot to the count. Refused, by field, for anything missing."""
    _refuse_unless_licensed(actor, clinic, "take an inventory of the ketamine")
    step_up.require(reauthentication, actor, what="sign the inventory")
    _refuse_without_registration(clinic)
    previous = (previous_registration_number or "").strip().upper()
    new = (new_registration_number or "").strip().upper()
    problems: dict[str, str] = {}
    if kind not in InventoryKind.values:
        problems["kind"] = "Choose the kind of inventory."
    if taken_as_of not in BusinessMoment.values:
        problems["taken_as_of"] = "Say whether the count is as of the opening or the close."
    problems.update(_change_problems(kind, previous, new))
    with transaction.atomic():
        # One inventory at a time per clinic, and none while another is written.
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        on_hand = lots_on_hand(clinic.pk)
        problems.update(_count_problems(counts, on_hand))
        if problems:
            raise Refused(problems)
        now = timezone.now()
        inventory = Inventory.objects.create(
            clinic_id=clinic.pk,
            kind=kind,
            taken_on=timezone.localdate(now, clinic.zone),
            taken_as_of=taken_as_of,
            previous_registration_number=previous,
            new_registration_number=new,
            note=(note or "").strip(),
            taken_by=actor.user,
            signed_with=reauthentication.method,
            signed_at=now,
            **_registrant(clinic),
        )
        record_access(actor, AccessAction.CREATE, obj=inventory)
        by_lot = {lot.lot_number: lot for lot in on_hand}
        for count in counts:
            _write_count(actor, inventory, by_lot[count.lot_number], count)
        lots.restate(clinic, [count.lot_number for count in counts])
    return inventory


def _write_count(actor: Actor, inventory: Inventory, lot: OnHand, count: LotCount) -> None:
    adjustment = None
    difference = count.counted_mg - lot.stock_mg
    reason = count.reason.strip()
    if difference and count.adjust:
        adjustment = ControlledSubstanceEntry.objects.create(
            clinic_id=inventory.clinic_id,
            lot_number=lot.lot_number,
            lot_expiry=lot.expiry,
            kind=SubstanceEntryKind.ADJUSTED,
            amount_mg=difference,
            note=f"{inventory.get_kind_display()} of {inventory.taken_on:%b} "
            f"{inventory.taken_on.day}, {inventory.taken_on.year}: {reason}",
            recorded_by=actor.user,
            **{**lots.UNRECORDED, **lot.identity},
        )
        record_access(actor, AccessAction.CREATE, obj=adjustment)
    InventoryCount.objects.create(
        inventory=inventory,
        lot_number=lot.lot_number,
        lot_expiry=lot.expiry,
        drug_name=lot.identity.get("drug_name", ""),
        strength=lot.identity.get("strength", ""),
        dosage_form=lot.identity.get("dosage_form", ""),
        expected_mg=lot.stock_mg,
        counted_mg=count.counted_mg,
        reason=reason,
        adjustment=adjustment,
    )


# --- Theft or loss --------------------------------------------------------------------------


@dataclass(frozen=True)
class LostLot:
    lot_number: str
    quantity_mg: Decimal | None


@dataclass(frozen=True)
class LossDetails:
    """DEA Form 106's account of the loss, as typed."""

    discovered_on: date | None
    kind: str
    description: str
    police_notified: bool = False
    police_department: str = ""
    police_report_number: str = ""


def _loss_problems(details: LossDetails, today: date) -> dict[str, str]:
    problems = {}
    if details.discovered_on is None:
        problems["discovered_on"] = "Enter the date the theft or loss was discovered."
    elif details.discovered_on > today:
        problems["discovered_on"] = "The date of discovery cannot be in the future."
    if details.kind not in LossKind.values:
        problems["kind"] = "Choose the type of theft or loss."
    if not details.description.strip():
        problems["description"] = "Describe what happened, as DEA Form 106 asks."
    if details.police_notified and not details.police_department.strip():
        problems["police_department"] = "Name the police department that was told."
    return problems


def _lost_lot_problems(lost: list[LostLot], on_hand: dict[str, OnHand]) -> dict[str, str]:
    problems = {}
    for index, lot in enumerate(lost):
        field = field_name(index, "quantity_mg")
        if lot.quantity_mg in (None, Decimal(0)):
            continue
        problem = substances_services._amount_problem(lot.quantity_mg, "lost", positive=True)
        held = on_hand.get(lot.lot_number)
        if problem:
            problems[field] = problem
        elif held is None:
            problems[field] = f"The register holds no ketamine of lot {lot.lot_number}."
        elif lot.quantity_mg > held.stock_mg:
            problems[field] = (
                f"The register holds {mg(held.stock_mg)} of lot {lot.lot_number}: take an "
                "inventory to bring it to what is on the shelf first."
            )
    if not problems and not any(lot.quantity_mg for lot in lost):
        problems["__all__"] = "Enter the amount lost of at least one lot."
    return problems


def file_theft_loss(
    *,
    actor: Actor,
    clinic: Clinic,
    details: LossDetails,
    lost: list[LostLot],
    reauthentication: Reauthentication | None,
) -> TheftLossReport:
    """Record a theft or loss with the data of DEA Form 106, signed by `actor` who
    re-entered their code just now; each lot's lost amount becomes a signed line of the
    register. The written notice to the DEA is due one business day after discovery."""
    _refuse_unless_licensed(actor, clinic, "report a theft or loss of ketamine")
    step_up.require(reauthentication, actor, what="sign the report")
    _refuse_without_registration(clinic)
    today = timezone.localdate(timezone.now(), clinic.zone)
    problems = _loss_problems(details, today)
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        on_hand = {lot.lot_number: lot for lot in lots_on_hand(clinic.pk)}
        problems.update(_lost_lot_problems(lost, on_hand))
        if problems:
            raise Refused(problems)
        discovered = details.discovered_on
        report = TheftLossReport.objects.create(
            clinic_id=clinic.pk,
            discovered_on=discovered,
            kind=details.kind,
            police_notified=details.police_notified,
            police_department=details.police_department.strip() if details.police_notified else "",
            police_report_number=details.police_report_number.strip()
            if details.police_notified
            else "",
            description=details.description.strip(),
            notify_by=rules.notify_dea_by(discovered),
            form_106_by=rules.form_106_by(discovered),
            filed_by=actor.user,
            signed_with=reauthentication.method,
            filed_at=timezone.now(),
            **_registrant(clinic),
        )
        record_access(actor, AccessAction.CREATE, obj=report)
        for lot in lost:
            if lot.quantity_mg:
                _write_loss(actor, report, on_hand[lot.lot_number], lot.quantity_mg)
        lots.restate(clinic, [lot.lot_number for lot in lost if lot.quantity_mg])
    return report


def _write_loss(actor: Actor, report: TheftLossReport, lot: OnHand, quantity) -> None:
    identity = {**lots.UNRECORDED, **lot.identity}
    entry = ControlledSubstanceEntry.objects.create(
        clinic_id=report.clinic_id,
        lot_number=lot.lot_number,
        lot_expiry=lot.expiry,
        kind=SubstanceEntryKind.LOST,
        amount_mg=quantity,
        note=f"{report.get_kind_display()}, discovered {report.discovered_on:%b} "
        f"{report.discovered_on.day}, {report.discovered_on.year}: reported to the DEA.",
        recorded_by=actor.user,
        **identity,
    )
    record_access(actor, AccessAction.CREATE, obj=entry)
    TheftLossLine.objects.create(
        report=report,
        lot_number=lot.lot_number,
        quantity_mg=quantity,
        entry=entry,
        **{name: value for name, value in identity.items() if name != "drug"},
    )


def record_submission(
    *, actor: Actor, report: TheftLossReport, dea_confirmation: str
) -> TheftLossReport:
    """The report was submitted to the DEA (DEA Form 106 online), with the confirmation the
    DEA gave: recorded once, by a clinician or nurse of the clinic."""
    clinic = Clinic.objects.get(pk=report.clinic_id)
    _refuse_unless_licensed(actor, clinic, "record a report's submission to the DEA")
    confirmation = (dea_confirmation or "").strip()
    if not confirmation:
        raise Refused({"dea_confirmation": "Enter the confirmation the DEA gave."})
    if len(confirmation) > 100:
        raise Refused({"dea_confirmation": "A confirmation has at most 100 characters."})
    with transaction.atomic():
        locked = TheftLossReport.objects.select_for_update().get(pk=report.pk)
        if locked.is_submitted:
            raise Refused({"__all__": "This report's submission is already recorded."})
        locked.submitted_at = timezone.now()
        locked.submitted_by = actor.user
        locked.dea_confirmation = confirmation
        locked.save(update_fields=["submitted_at", "submitted_by", "dea_confirmation"])
        record_access(actor, AccessAction.UPDATE, obj=locked)
    return locked


def overdue_reports(clinic_id: int, today: date) -> list[TheftLossReport]:
    """Reports not yet submitted whose written notice was due before `today`."""
    return list(
        TheftLossReport.objects.filter(
            clinic_id=clinic_id, submitted_at__isnull=True, notify_by__lt=today
        )
    )


def register_summary(clinic: Clinic) -> dict:
    """What the register page says of the DEA records: the registrant, the last inventory
    and the next biennial one's due date, and the reports whose notice to the DEA is
    overdue. Two queries."""
    today = timezone.localdate(timezone.now(), clinic.zone)
    last = last_inventory(clinic.pk)
    next_due = rules.next_biennial_due(last.taken_on if last else None)
    return {
        "last_inventory": last,
        "next_due": next_due,
        "is_due": next_due is None or next_due < today,
        "overdue_reports": overdue_reports(clinic.pk, today),
        "has_registration": bool(clinic.dea_registration_number),
    }
