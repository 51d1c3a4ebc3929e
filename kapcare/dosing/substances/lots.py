"""What a lot of the register is — drug, strength, dosage form, NDC — as its first receipt
recorded it. Every later line of the lot (a draw, a waste, a correction, an adjustment, a
loss) carries the same, so that each line prints as the DEA's records name it
(21 CFR 1304.22(a)(2))."""

import re

from django.db.models import DateField, Value
from django.db.models.functions import Coalesce, TruncDate

from kapcare.dosing.models import ControlledSubstanceEntry, DosageForm, Drug, SubstanceEntryKind
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
    register = rules.reconcile(register_lines(clinic_id, zone, **filters))
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
    return rules.reconcile(_plain_row(row, zone) for row in rows)


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
