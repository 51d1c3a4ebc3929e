"""What a lot of the register is — drug, strength, dosage form, NDC — as its first receipt
recorded it. Every later line of the lot (a draw, a waste, a correction, an adjustment, a
loss) carries the same, so that each line prints as the DEA's records name it
(21 CFR 1304.22(a)(2))."""

import re

from django.db import transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Coalesce, TruncDate

from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosageForm,
    Drug,
    RegisterLine,
    RegisterLot,
    SubstanceEntryKind,
)
from kapcare.dosing.substances import rules
from kapcare.dosing.substances.inventory.rules import parse_strength

# `drug` is which drug the clinic's rules apply to; `drug_name` is the label's name.
IDENTITY_FIELDS = ("drug", "drug_name", "strength", "dosage_form", "ndc")
# The label's name when the receipt gives none: every US ketamine product is ketamine
# hydrochloride, and Spravato is esketamine hydrochloride.
LABEL_NAMES = {Drug.KETAMINE: "Ketamine hydrochloride", Drug.ESKETAMINE: "Esketamine hydrochloride"}
# A lot received before lots were named: only ketamine was kept then.
UNRECORDED = {**dict.fromkeys(IDENTITY_FIELDS, ""), "drug": Drug.KETAMINE}
# An NDC: 10 digits in three parts (4-4-2, 5-3-2 or 5-4-1), or the 11-digit 5-4-2 form.
_NDC = re.compile(r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2}|\d{10,11})$")


def first_receipt(clinic_id: int, lot_number: str) -> dict[str, str] | None:
    """The identity the lot's first receipt recorded; None for a lot never received. One
    query."""
    return (
        ControlledSubstanceEntry.objects.filter(
            clinic_id=clinic_id, lot_number=lot_number, kind=SubstanceEntryKind.RECEIVED
        )
        .order_by("recorded_at", "id")
        .values(*IDENTITY_FIELDS)
        .first()
    )


def lot_identity(clinic_id: int, lot_number: str) -> dict[str, str]:
    """The lot's drug, strength, dosage form and NDC (empty strings for a lot received
    before they were recorded, or never received). One query."""
    return first_receipt(clinic_id, lot_number) or dict(UNRECORDED)


def identity_of(entry: ControlledSubstanceEntry) -> dict[str, str]:
    """The identity a line carries, to copy onto a line that follows it."""
    return {name: getattr(entry, name) for name in IDENTITY_FIELDS}


def identity_problems(
    *, drug: str, drug_name: str, strength: str, dosage_form: str, ndc: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The lot's identity, tidied (“50 mg/mL”), and the problems with it by field. The
    label's name defaults to the drug's usual one."""
    problems: dict[str, str] = {}
    if drug not in Drug.values:
        problems["drug"] = "Choose the drug from the list."
    drug_name = (drug_name or "").strip() or LABEL_NAMES.get(drug, "")
    ndc = (ndc or "").strip()
    parsed = parse_strength(strength)
    if not drug_name:
        problems["drug_name"] = "Enter the drug, as on the vial's label."
    elif len(drug_name) > 80:
        problems["drug_name"] = "A drug name has at most 80 characters."
    if parsed is None:
        problems["strength"] = (
            "Enter the strength in mg per unit, as on the label: for example 50 mg/mL, "
            "500 mg/10 mL or 100 mg/troche."
        )
    if dosage_form not in DosageForm.values:
        problems["dosage_form"] = "Choose the dosage form, as on the label."
    if ndc and not _NDC.match(ndc):
        problems["ndc"] = "An NDC has 10 or 11 digits, for example 0409-2051-05; or leave it empty."
    identity = {
        "drug": drug,
        "drug_name": drug_name,
        "strength": str(parsed) if parsed else "",
        "dosage_form": dosage_form,
        "ndc": ndc,
    }
    return identity, problems


def same_lot_problems(clinic_id: int, lot_number: str, identity: dict[str, str]) -> dict:
    """A lot received again is the same product: its strength and form as first received."""
    known = first_receipt(clinic_id, lot_number)
    if known is None:
        return {}
    problems = {}
    for name in ("drug", "strength", "dosage_form"):
        if known[name] and known[name] != identity[name]:
            shown = known[name]
            if name == "dosage_form":
                shown = DosageForm(known[name]).label
            elif name == "drug":
                shown = Drug(known[name]).label
            problems[name] = f"Lot {lot_number} was received before as {shown}: check the vials."
    return problems


def register_lines(clinic_id, zone, **filters) -> list[rules.Entry]:
    """The clinic's register lines matching `filters`, as plain entries to reconcile, read
    in one query of the columns reconciling needs (no line, patient or person is built),
    without the day of each line's session (see `reconciled`)."""
    rows = (
        ControlledSubstanceEntry.objects.filter(clinic_id=clinic_id, **filters)
        .order_by()
        .values_list(*_COLUMNS, Value(None, output_field=DateField()), "witness_id", "corrects_id")
    )
    return [_plain_row(row, zone) for row in rows]


def reconciled(clinic_id, zone, **filters) -> rules.LotRegister:
    """The register lines matching `filters` reconciled, each discrepancy in its sentence.
    Only a sentence names the day of a session, so the sessions' days are read (a second
    query, through each line's session) only when the lines do not reconcile."""
    entries = register_lines(clinic_id, zone, **filters)
    referenced = corrected_elsewhere(clinic_id, zone, entries)
    register = rules.reconcile(entries, referenced)
    if register.is_reconciled:
        return register
    rows = (
        ControlledSubstanceEntry.objects.filter(clinic_id=clinic_id, **filters)
        .order_by()
        .values_list(
            *_COLUMNS,
            TruncDate(
                Coalesce("record__dose_started_at", "record__session__planned_start"),
                tzinfo=zone,
            ),
            "witness_id",
            "corrects_id",
        )
    )
    return rules.reconcile((_plain_row(row, zone) for row in rows), referenced)


def corrected_elsewhere(clinic_id, zone, entries: list[rules.Entry]) -> list[rules.Entry]:
    """The clinic's lines outside `entries` that their corrections point at, through
    corrections of corrections: a lot reconciled alone then tells a correction of another
    lot's line (“points at an entry of lot …”) from one that points at nothing. No query
    when every correction points inside `entries`; one per step of a chain otherwise."""
    known = {entry.id for entry in entries}
    found: list[rules.Entry] = []
    wanted = {e.corrects_id for e in entries if e.corrects_id is not None} - known
    while wanted:
        rows = (
            ControlledSubstanceEntry.objects.filter(clinic_id=clinic_id, pk__in=wanted)
            .order_by()
            .values_list(
                *_COLUMNS, Value(None, output_field=DateField()), "witness_id", "corrects_id"
            )
        )
        step = [_plain_row(row, zone) for row in rows]
        found += step
        known |= {entry.id for entry in step}
        wanted = {e.corrects_id for e in step if e.corrects_id is not None} - known
    return found


_COLUMNS = ("id", "lot_number", "kind", "amount_mg", "recorded_at", "record_id")


def _plain_row(row, zone) -> rules.Entry:
    pk, lot_number, kind, amount, recorded_at, record_id, session_day, witness, corrects = row
    return rules.Entry(
        id=pk,
        lot_number=lot_number,
        kind=kind,
        amount_mg=amount,
        recorded_at=recorded_at.astimezone(zone),
        session=record_id,
        session_date=session_day,
        has_witness=witness is not None,
        corrects_id=corrects,
    )


# --- The register restated: each lot's reconciliation kept beside its lines -------------------


def restate(clinic, lot_numbers) -> None:
    """Restate the lots `lot_numbers` of `clinic` after lines were written to them, in the
    caller's transaction: each lot's row is locked first (created on its first line), so
    two writes to one lot restate it one after the other, the second seeing the first's
    line. Lots are locked in the order of their numbers, so two writes to the same lots
    never wait on each other in a circle."""
    for lot_number in sorted(set(lot_numbers)):
        with transaction.atomic():
            lot, _ = RegisterLot.objects.get_or_create(clinic_id=clinic.pk, lot_number=lot_number)
            lot = RegisterLot.objects.select_for_update().get(pk=lot.pk)
            _restate_lot(clinic, lot)


def restate_clinic(clinic) -> int:
    """Restate every lot of `clinic` (after lines were loaded in bulk, or to rebuild the
    kept state). Returns the number of lots."""
    numbers = (
        ControlledSubstanceEntry.objects.filter(clinic_id=clinic.pk)
        .order_by("lot_number")
        .values_list("lot_number", flat=True)
        .distinct()
    )
    numbers = list(numbers)
    restate(clinic, numbers)
    return len(numbers)


def _restate_lot(clinic, lot: RegisterLot) -> None:
    """Reconcile `lot` (locked) from its lines and keep the outcome: the lot's row, and a
    `RegisterLine` for each line, written when missing and rewritten when it changed."""
    register = reconciled(clinic.pk, clinic.zone, lot_number=lot.lot_number)
    if not register.lots:
        return
    (state,) = register.lots
    lines = restated_lines(clinic.pk, state)
    stored = {
        line.pk: line
        for line in RegisterLine.objects.filter(clinic_id=clinic.pk, lot_number=lot.lot_number)
    }
    fields = ("line_number", "recorded_at", "stock_change_mg", "balance_after_mg")
    changed = [
        line
        for line in lines
        if line.pk in stored
        and any(getattr(line, name) != getattr(stored[line.pk], name) for name in fields)
    ]
    if changed:
        # A line's place moves only when a line was loaded with an earlier time: free the
        # places first (the unique place would refuse a swap half done).
        RegisterLine.objects.filter(pk__in=[line.pk for line in changed]).update(
            line_number=F("line_number") + LINE_NUMBER_SHIFT
        )
        RegisterLine.objects.bulk_update(changed, fields)
    RegisterLine.objects.bulk_create([line for line in lines if line.pk not in stored])
    receipt = (
        ControlledSubstanceEntry.objects.filter(
            clinic_id=clinic.pk, lot_number=lot.lot_number, kind=SubstanceEntryKind.RECEIVED
        )
        .order_by("recorded_at", "id")
        .values("drug", "lot_expiry")
        .first()
    )
    lot.is_received = receipt is not None
    lot.drug = receipt["drug"] if receipt else ""
    lot.lot_expiry = receipt["lot_expiry"] if receipt else None
    first, last = state.lines[0].entry, state.lines[-1].entry
    lot.first_entry_id = first.id
    lot.first_recorded_at = first.recorded_at
    lot.last_recorded_at = last.recorded_at
    lot.line_count = len(state.lines)
    lot.stock_mg = state.stock_mg
    lot.received_mg = state.received_mg
    lot.discrepancies = list(state.discrepancies)
    lot.is_open = bool(state.stock_mg or state.discrepancies)
    lot.save()


# Added to the places of lines about to be renumbered, above any lot's length.
LINE_NUMBER_SHIFT = 1_000_000_000


def restated_lines(clinic_id: int, lot: rules.Lot) -> list[RegisterLine]:
    """The `RegisterLine` of each line of the reconciled `lot`, numbered from 1."""
    return [
        RegisterLine(
            entry_id=line.entry.id,
            clinic_id=clinic_id,
            lot_number=lot.lot_number,
            line_number=number,
            recorded_at=line.entry.recorded_at,
            stock_change_mg=line.stock_change_mg,
            balance_after_mg=line.balance_after_mg,
        )
        for number, line in enumerate(lot.lines, start=1)
    ]
