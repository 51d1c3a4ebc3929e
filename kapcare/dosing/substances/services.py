"""Writes of the controlled-substance register: ketamine's register (21 CFR 1304.21–22),
stock received by lot, and per session what was drawn up, given, wasted before a witness
and returned. Entries are never changed (the database refuses UPDATE); a mistake is
corrected by a new entry pointing at it. `substances.rules.reconcile` reads the register
back and names every discrepancy."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from kapcare.accounts import second_person
from kapcare.accounts.models import LICENSED_ROLES
from kapcare.accounts.second_person import SecondPerson
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosingRecord,
    Drug,
    RegisterLot,
    SubstanceEntryKind,
)
from kapcare.dosing.recording import refuse_if_signed
from kapcare.dosing.substances import lots
from kapcare.dosing.substances.rules import mg
from kapcare.refusals import Refused

# The register's column holds 8 digits, 2 of them after the point.
MAX_SUBSTANCE_MG = 1_000_000


def _amount_problem(amount, what: str, *, positive: bool = False) -> str | None:
    """A problem with an amount in mg, in words; None when it can be recorded. `positive`:
    0 mg is not an amount (what was received or drawn up)."""
    if amount is None:
        return f"Enter the amount {what} in mg{'' if positive else ' (0 if none)'}."
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return f"Enter the amount {what} as a number of mg, for example 36.2."
    if positive and amount <= 0:
        return f"The amount {what} must be more than 0 mg."
    if amount < 0:
        return f"The amount {what} cannot be below 0 mg."
    if amount >= MAX_SUBSTANCE_MG:
        return f"The amount {what} must be below {MAX_SUBSTANCE_MG:,} mg."
    if amount != amount.quantize(Decimal("0.01")):
        return f"Enter the amount {what} to at most two decimals (0.01 mg)."
    return None


def _is_licensed_of(actor: Actor, clinic_id) -> bool:
    """A clinician or nurse of the clinic (21 CFR 1301.76(a))."""
    user = actor.user
    return getattr(user, "role", None) in LICENSED_ROLES and user.clinic_id == clinic_id


def licensed_second_problem(
    second: SecondPerson | None, *, acting_user, clinic_id: int, as_what: str, not_user_id=None
) -> str | None:
    """Why `second` may not be the licensed second person (`as_what`) of a
    controlled-substance action of `acting_user`, in words; None when they may. They
    authenticated at the moment (`kapcare.accounts.second_person`), are a clinician or
    nurse of the clinic, and are not `acting_user` nor the user `not_user_id` (the
    prescriber of the dose they check)."""
    if second is None:
        return f"The {as_what} enters their own email and password here."
    if not_user_id is not None and second.user.pk == not_user_id:
        return f"{second.user.display_name} prescribed this dose and cannot be its {as_what}."
    return second_person.second_person_problem(
        second,
        acting_user=acting_user,
        clinic_id=clinic_id,
        roles=LICENSED_ROLES,
        as_what=f"the {as_what} (a clinician or nurse of the clinic)",
    )


def receive_stock(
    *,
    actor: Actor,
    clinic,
    lot_number: str,
    lot_expiry,
    amount_mg,
    witness: SecondPerson | None,
    note: str = "",
    drug: str = Drug.KETAMINE,
    drug_name: str = "",
    strength: str = "",
    dosage_form: str = "",
    ndc: str = "",
):
    """A clinician or nurse takes ketamine (or esketamine, `drug`) of one lot into the
    clinic's stock (a delivery, or the count carried over when the register starts), with
    a second licensed person who counts it too and signs as themselves (`witness`, who
    authenticated on the screen). The lot is named as the DEA's records name it: drug as on
    the label (`drug_name`, the drug's usual name if empty), strength (“50 mg/mL”), dosage
    form, NDC if known. A lot keeps the drug, expiry, strength and form it was first
    received with. Logged with the clinic: no patient is concerned."""
    if not _is_licensed_of(actor, clinic.pk):
        raise Refused({"__all__": "Only a clinician or nurse of this clinic may receive ketamine."})
    lot_number = (lot_number or "").strip()
    identity, identity_problems = lots.identity_problems(
        drug=drug, drug_name=drug_name, strength=strength, dosage_form=dosage_form, ndc=ndc
    )
    problems = _received_lot_problems(
        clinic.pk, lot_number, lot_expiry, identity, identity_problems
    )
    problem = _amount_problem(amount_mg, "received", positive=True)
    if problem:
        problems["amount_mg"] = problem
    problem = licensed_second_problem(
        witness, acting_user=actor.user, clinic_id=clinic.pk, as_what="witness to the count"
    )
    if problem:
        problems[second_person.EMAIL_FIELD] = problem
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        entry = ControlledSubstanceEntry.objects.create(
            clinic_id=clinic.pk,
            lot_number=lot_number,
            lot_expiry=lot_expiry,
            kind=SubstanceEntryKind.RECEIVED,
            amount_mg=amount_mg,
            witness=witness.user,
            note=(note or "").strip(),
            recorded_by=actor.user,
            **identity,
        )
        record_access(actor, AccessAction.CREATE, obj=entry)
        lots.restate(clinic, [lot_number])
    return entry


def _received_lot_problems(
    clinic_id: int, lot_number: str, lot_expiry, identity: dict[str, str], identity_problems
) -> dict[str, str]:
    """What is wrong with the lot of stock received, by field: no lot number, too long;
    its identity as typed (`identity_problems`), or another drug, strength or form than
    the lot was first received as; an expiry other than the one it was first received
    with."""
    problems: dict[str, str] = {}
    if not lot_number:
        problems["lot_number"] = "Enter the lot number printed on the vials."
    elif len(lot_number) > 40:
        problems["lot_number"] = "A lot number has at most 40 characters."
    if lot_expiry is None:
        problems["lot_expiry"] = "Enter the lot's expiry date, as printed on the vials."
    problems.update(identity_problems)
    if "lot_number" not in problems and not identity_problems:
        problems.update(lots.same_lot_problems(clinic_id, lot_number, identity))
    if "lot_number" not in problems and lot_expiry is not None:
        known = (
            ControlledSubstanceEntry.objects.filter(
                clinic_id=clinic_id, lot_number=lot_number, kind=SubstanceEntryKind.RECEIVED
            )
            .values_list("lot_expiry", flat=True)
            .first()
        )
        if known is not None and known != lot_expiry:
            problems["lot_expiry"] = (
                f"Lot {lot_number} was received before with the expiry {known:%b} "
                f"{known.day}, {known.year}: check the vials."
            )
    return problems


@dataclass(frozen=True)
class SessionAmounts:
    """What a session took from one lot, in mg: drawn up, and of that given, wasted and
    returned to stock."""

    drawn_mg: Decimal
    given_mg: Decimal
    wasted_mg: Decimal
    returned_mg: Decimal

    @property
    def unaccounted_mg(self) -> Decimal:
        return self.drawn_mg - self.given_mg - self.wasted_mg - self.returned_mg


ESKETAMINE_BY_DEVICE = (
    "Esketamine is not drawn by the mg: each nasal device is drawn and given as the patient "
    "takes it, on the record's esketamine part."
)


def record_session_use(
    *,
    actor: Actor,
    record: DosingRecord,
    lot_number: str,
    drawn_mg,
    given_mg,
    wasted_mg,
    witness: SecondPerson | None = None,
    returned_mg=None,
    note: str = "",
) -> list:
    """What a dosing session took from one lot: drawn up, given, wasted (before a
    witness: a clinician or nurse of the clinic other than the one who drew it, who
    authenticated on the screen at the moment) and
    returned to stock, written as one entry each (amounts of 0 other than the draw are
    not written), all in one transaction with their access-log rows.

    Refused, by field: a signed record; a lot the clinic never received; an amount below
    0 or finer than 0.01 mg; more given, wasted and returned than drawn; a waste without
    a proper witness. A note is required when the amount given is not the dose on the
    record, and when part of the draw is not accounted for — the register then shows
    the difference, it is not hidden."""
    if not _is_licensed_of(actor, record.clinic_id):
        raise Refused(
            {"__all__": "Only a clinician or nurse of this clinic may record ketamine use."}
        )
    refuse_if_signed(record)
    if record.drug == Drug.ESKETAMINE:
        raise Refused({"__all__": ESKETAMINE_BY_DEVICE})
    amounts = SessionAmounts(
        drawn_mg=drawn_mg,
        given_mg=given_mg,
        wasted_mg=wasted_mg,
        returned_mg=Decimal(0) if returned_mg is None else returned_mg,
    )
    lot_number = (lot_number or "").strip()
    note = (note or "").strip()
    lot_expiry, problems = _drawn_lot(record, lot_number, note)
    problems = {**_session_amount_problems(amounts), **problems}
    if problems:
        raise Refused(problems)
    problems = _balance_problems(amounts)
    if amounts.wasted_mg > 0:
        witness_problem = _waste_witness_problem(actor, record, witness)
        if witness_problem:
            problems[second_person.EMAIL_FIELD] = witness_problem
    needs_note = _why_a_note_is_needed(record, amounts, has_problems=bool(problems))
    if needs_note and not note:
        problems["note"] = " ".join(needs_note)
    if problems:
        raise Refused(problems)
    entries = _session_entries(actor, record, lot_number, lot_expiry, amounts, witness, note)
    with transaction.atomic():
        # Signing takes the record's row: a use and a signature do not cross.
        locked = DosingRecord.objects.select_for_update().only("signed_at").get(pk=record.pk)
        refuse_if_signed(locked)
        for entry in entries:
            entry.save()
            record_access(actor, AccessAction.CREATE, patient=record.patient, obj=entry)
        lots.restate(record.clinic, [entry.lot_number for entry in entries])
    return entries


def _session_amount_problems(amounts: SessionAmounts) -> dict[str, str]:
    """Each amount that cannot be recorded, by field (the draw must be more than 0)."""
    problems: dict[str, str] = {}
    for field, what, positive in [
        ("drawn_mg", "drawn up", True),
        ("given_mg", "given", False),
        ("wasted_mg", "wasted", False),
        ("returned_mg", "returned", False),
    ]:
        problem = _amount_problem(getattr(amounts, field), what, positive=positive)
        if problem:
            problems[field] = problem
    return problems


def _drawn_lot(record: DosingRecord, lot_number: str, note: str) -> tuple[date | None, dict]:
    """The expiry of the lot a session drew from, and what is wrong with that lot by
    field: none chosen, never received at the clinic, expired on the session's day, or
    another lot than the prescription's without a note saying why."""
    if not lot_number:
        return None, {"lot_number": "Choose the lot the ketamine was drawn from."}
    received = ControlledSubstanceEntry.objects.filter(
        clinic_id=record.clinic_id,
        lot_number=lot_number,
        kind=SubstanceEntryKind.RECEIVED,
        drug=record.drug,
    ).values_list("lot_expiry", flat=True)
    if not received.exists():
        return None, {
            "lot_number": f"No ketamine of lot {lot_number} has been received at this clinic: "
            "receive the lot on the register first."
        }
    lot_expiry = received.first()
    session_day = timezone.localdate(record.session.planned_start, record.clinic.zone)
    if lot_expiry is not None and lot_expiry < session_day:
        return lot_expiry, {
            "lot_number": f"Lot {lot_number} expired on {lot_expiry:%b} {lot_expiry.day}, "
            f"{lot_expiry.year}: draw from a lot in date."
        }
    if record.lot_number and lot_number != record.lot_number and not note:
        return lot_expiry, {
            "note": f"The dose was prescribed from lot {record.lot_number}: say why this "
            f"session drew from lot {lot_number}."
        }
    return lot_expiry, {}


def _balance_problems(amounts: SessionAmounts) -> dict[str, str]:
    """More given than drawn, or more given, wasted and returned than drawn, at the field
    to check."""
    drawn, given = amounts.drawn_mg, amounts.given_mg
    if given > drawn:
        return {
            "given_mg": f"More given ({mg(given)}) than drawn up ({mg(drawn)}): check both amounts."
        }
    out = given + amounts.wasted_mg + amounts.returned_mg
    if out > drawn:
        return {
            "wasted_mg": f"Given, wasted and returned add up to {mg(out)}, "
            f"more than the {mg(drawn)} drawn up: check the amounts."
        }
    return {}


def _waste_witness_problem(
    actor: Actor, record: DosingRecord, witness: SecondPerson | None
) -> str | None:
    """Why `witness` may not witness the waste, in words; None when they may."""
    if witness is None:
        return "A waste of ketamine needs a witness: they enter their own email and password."
    return licensed_second_problem(
        witness, acting_user=actor.user, clinic_id=record.clinic_id, as_what="witness"
    )


def _why_a_note_is_needed(
    record: DosingRecord, amounts: SessionAmounts, *, has_problems: bool
) -> list[str]:
    """Why the use needs a note, in words: no dose prescribed, another amount given than
    the dose, or part of the draw not accounted for (asked only once the amounts add
    up)."""
    reasons = []
    if record.dose_mg is None:
        reasons.append("No dose is prescribed on this record yet: write why it was given.")
    elif amounts.given_mg != record.dose_mg:
        reasons.append(
            f"The dose on the record is {mg(record.dose_mg)} and {mg(amounts.given_mg)} was "
            "given: write why."
        )
    unaccounted = amounts.unaccounted_mg
    if unaccounted > 0 and not has_problems:
        reasons.append(
            f"{mg(unaccounted)} of the {mg(amounts.drawn_mg)} drawn up is not given, wasted or "
            "returned: write what happened to it."
        )
    return reasons


def _session_entries(
    actor: Actor,
    record: DosingRecord,
    lot_number: str,
    lot_expiry,
    amounts: SessionAmounts,
    witness: SecondPerson | None,
    note: str,
) -> list:
    """The register's entries of a session's use, unsaved: the draw (with the note), what
    was given, and the waste and the return when there were any. Each carries the lot's
    identity as first received."""
    identity = lots.lot_identity(record.clinic_id, lot_number)

    def row(kind, amount, **extra):
        return ControlledSubstanceEntry(
            **identity,
            clinic_id=record.clinic_id,
            lot_number=lot_number,
            lot_expiry=lot_expiry,
            kind=kind,
            amount_mg=amount,
            record=record,
            patient_id=record.patient_id,
            recorded_by=actor.user,
            **extra,
        )

    entries = [row(SubstanceEntryKind.DRAWN, amounts.drawn_mg, note=note)]
    entries.append(row(SubstanceEntryKind.GIVEN, amounts.given_mg))
    if amounts.wasted_mg > 0:
        entries.append(row(SubstanceEntryKind.WASTED, amounts.wasted_mg, witness=witness.user))
    if amounts.returned_mg > 0:
        entries.append(row(SubstanceEntryKind.RETURNED, amounts.returned_mg))
    return entries


def correct_entry(*, actor: Actor, entry, amount_mg, note: str):
    """Correct a line of the register by a new line of `amount_mg` (negative to take
    away) pointing at it, with the reason; the original stays as it was. A correction of
    a session's line belongs to that session, and is allowed after the record is signed:
    the register is the clinic's, and a correction is itself dated and signed by its
    author, as an addendum is. The corrected amount cannot fall below 0 mg."""
    if not _is_licensed_of(actor, entry.clinic_id):
        raise Refused(
            {"__all__": "Only a clinician or nurse of this clinic may correct the register."}
        )
    note = (note or "").strip()
    problems = _correction_problems(amount_mg, note)
    if problems:
        raise Refused(problems)
    original = entry
    while original.kind == SubstanceEntryKind.CORRECTION and original.corrects_id:
        original = ControlledSubstanceEntry.objects.get(pk=original.corrects_id)
    if original.kind == SubstanceEntryKind.WASTED and amount_mg > 0:
        # Every milligram wasted is wasted before a witness (21 CFR 1304.22): more waste
        # is a new witnessed waste of the session, never a correction.
        raise Refused(
            {
                "amount_mg": "More waste is recorded as a new witnessed waste on the "
                "session, not as a correction."
            }
        )
    with transaction.atomic():
        ControlledSubstanceEntry.objects.select_for_update().filter(pk=original.pk).first()
        corrected = ControlledSubstanceEntry.objects.filter(
            corrects__in=_correction_chain(original)
        ).aggregate(total=Sum("amount_mg"))["total"] or Decimal(0)
        now_mg = original.amount_mg + corrected
        if now_mg + amount_mg < 0:
            raise Refused(
                {
                    "amount_mg": f"This line now stands at {mg(now_mg)}: a correction of "
                    f"{mg(amount_mg)} would take it below 0 mg."
                }
            )
        correction = ControlledSubstanceEntry.objects.create(
            **lots.identity_of(entry),
            clinic_id=entry.clinic_id,
            lot_number=entry.lot_number,
            lot_expiry=entry.lot_expiry,
            kind=SubstanceEntryKind.CORRECTION,
            amount_mg=amount_mg,
            record_id=entry.record_id,
            patient_id=entry.patient_id,
            corrects=entry,
            note=note,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=entry.patient, obj=correction)
        lots.restate(entry.clinic, [entry.lot_number])
    return correction


def _correction_problems(amount_mg, note: str) -> dict[str, str]:
    """What is wrong with a correction as typed, by field: an amount that is not a
    number of mg, 0, too large or finer than 0.01 mg; no reason."""
    problems: dict[str, str] = {}
    if amount_mg is None or not isinstance(amount_mg, Decimal) or not amount_mg.is_finite():
        problems["amount_mg"] = "Enter the correction in mg, for example −5 to take 5 mg away."
    elif amount_mg == 0:
        problems["amount_mg"] = "A correction of 0 mg changes nothing: enter the difference."
    elif abs(amount_mg) >= MAX_SUBSTANCE_MG or amount_mg != amount_mg.quantize(Decimal("0.01")):
        problems["amount_mg"] = "Enter the correction to at most two decimals (0.01 mg)."
    if not note:
        problems["note"] = "Write why the line is corrected: it stays in the register."
    return problems


def register_lots(
    clinic_id: int,
    lot_number: str | None = None,
    *,
    drug: str | None = None,
    in_stock: bool = False,
    keep: str = "",
) -> dict[str, tuple]:
    """The lots of the clinic's register (or only `lot_number`; only of `drug` when
    given), each as its expiry and the mg on hand, latest expiry first; a lot the clinic
    never received is absent. On hand is the register's own arithmetic (`reconcile`),
    kept with each lot as its lines are written (`lots.restate`). One query, of the lots
    (not of their lines).

    `in_stock`: only the lots with something on hand, and `keep` (the lot a record
    already names) whatever it holds, as a form's choices: nothing can be drawn from an
    emptied lot, and the clinic's history of lots grows with every year while what is on
    the shelf does not."""
    kept = RegisterLot.objects.filter(clinic_id=clinic_id, is_received=True)
    if lot_number is not None:
        kept = kept.filter(lot_number=lot_number)
    if in_stock:
        kept = kept.filter(Q(stock_mg__gt=0) | Q(lot_number=keep))
    if drug is not None:
        kept = kept.filter(drug=drug)
    rows = kept.order_by().values_list("lot_number", "lot_expiry", "stock_mg")
    ordered = sorted(rows, key=lambda row: (-(row[1] or date.max).toordinal(), row[0]))
    return {number: (expiry, stock) for number, expiry, stock in ordered}


def _correction_chain(original) -> list[int]:
    """The ids of `original` and of every correction under it, however deep."""
    ids, frontier = [original.pk], [original.pk]
    while frontier:
        frontier = list(
            ControlledSubstanceEntry.objects.filter(corrects__in=frontier).values_list(
                "pk", flat=True
            )
        )
        ids.extend(frontier)
    return ids
