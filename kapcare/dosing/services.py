"""Writes to the dosing record, each in one transaction with its access-log row; the HTML
views and the API both call these. Sections: the record itself (here), then one section
per part of the record, added by the modules that own them."""

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts import second_person, step_up
from kapcare.accounts.models import LICENSED_ROLES, Role
from kapcare.accounts.second_person import SecondPerson
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing import rules_discharge, rules_dose, rules_substances, rules_vitals
from kapcare.dosing.esketamine import facts as esketamine_facts
from kapcare.dosing.models import (
    DosingRecord,
    Drug,
    Lighting,
    Observation,
    VitalSource,
    VitalsRequestKey,
)
from kapcare.dosing.substances import lots
from kapcare.episodes.gate_registry import ExtraGate
from kapcare.episodes.models import CareSession, DoseRoute, SessionStatus
from kapcare.links import absolute_url
from kapcare.patients.models import BodyMeasurement
from kapcare.refusals import Refused

# --- The record -------------------------------------------------------------------------------


def record_for(actor: Actor, session: CareSession) -> DosingRecord:
    """The session's dosing record, opened (and logged) the first time anyone needs it,
    with the route planned on the episode."""
    record = (
        DosingRecord.objects.select_related("session", "patient__clinic", "clinic")
        .filter(session_id=session.pk)
        .first()
    )
    if record is not None:
        return record
    try:
        with transaction.atomic():
            record = DosingRecord.objects.create(
                session=session,
                patient_id=session.patient_id,
                clinic_id=session.patient.clinic_id,
                route=session.episode.dose_route,
                infusion_minutes=(
                    session.patient.clinic.infusion_minutes
                    if session.episode.dose_route == DoseRoute.IV
                    else None
                ),
            )
            record_access(actor, AccessAction.CREATE, patient=session.patient, obj=record)
    except IntegrityError:
        # Opened by another request at the same moment: use that one.
        record = DosingRecord.objects.get(session_id=session.pk)
    record.session, record.patient = session, session.patient
    return record


def refuse_if_signed(record: DosingRecord) -> None:
    """A signed record is changed only by addenda (the database refuses it too)."""
    if record.is_signed:
        raise Refused({"__all__": "This record is signed: add an addendum instead."})


# --- Vitals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalsReading:
    """One reading as stored: the values taken together (one observation each, sharing
    `reading_id`) and the alerts they raised against the clinic's thresholds."""

    reading_id: uuid.UUID
    taken_at: datetime
    source: str
    observations: list
    alerts: list

    @property
    def values(self) -> dict[str, int]:
        return {observation.vital: observation.value for observation in self.observations}


def record_vitals(
    *,
    actor: Actor,
    record: DosingRecord,
    taken_at: datetime,
    values: dict,
    source: str = VitalSource.MANUAL,
) -> VitalsReading:
    """Store the vital signs taken together at `taken_at` (any of `rules_vitals.VITALS`;
    None for one not taken), one LOINC-coded observation each, with the threshold each
    crossed; log the write. The form and the API both call this.

    Refused, by field: a signed record; no value at all; a value that cannot be a reading
    (`rules_vitals.plausibility_problems`); a time in the future (beyond the clock
    tolerance) or before the session's day; a cancelled or missed session."""
    refuse_if_signed(record)
    session = record.session
    if session.status in {SessionStatus.CANCELLED, SessionStatus.MISSED}:
        status = session.get_status_display().lower()
        raise Refused({"__all__": f"This session is {status}: no vitals can be recorded for it."})
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        raise Refused({"__all__": "Enter at least one vital sign."})
    problems = rules_vitals.plausibility_problems(given)
    clinic = record.patient.clinic
    problem = _taken_at_problem(taken_at, session.planned_start, clinic.zone, timezone.now())
    if problem:
        problems["taken_at"] = problem
    if problems:
        raise Refused(problems)
    alerts = rules_vitals.alerts_for(given, rules_vitals.VitalThresholds.from_settings(clinic))
    crossed = {alert.vital: alert.threshold for alert in alerts}
    reading_id = uuid.uuid4()
    rows = [
        Observation(
            record=record,
            patient_id=record.patient_id,
            reading_id=reading_id,
            vital=vital.key,
            loinc_code=vital.loinc_code,
            value=given[vital.key],
            unit=vital.unit,
            taken_at=taken_at,
            alert_threshold=crossed.get(vital.key, ""),
            source=source,
            entered_by=actor.user,
        )
        for vital in rules_vitals.VITALS.values()
        if vital.key in given
    ]
    with transaction.atomic():
        # Signing takes the record's row: a reading and a signature do not cross.
        locked = DosingRecord.objects.select_for_update().only("signed_at").get(pk=record.pk)
        refuse_if_signed(locked)
        Observation.objects.bulk_create(rows)
        record_access(actor, AccessAction.CREATE, patient=record.patient, obj=rows[0])
    return VitalsReading(
        reading_id=reading_id,
        taken_at=taken_at,
        source=source,
        observations=rows,
        alerts=alerts,
    )


class _AnsweredMeanwhile(Exception):
    """Another request with the same key stored its answer first: undo ours."""


KEY_REUSED = "This key was already used for a different reading; send a new key."


def record_vitals_once(
    *,
    actor: Actor,
    record: DosingRecord,
    key: str,
    fingerprint: str,
    answer: Callable[[VitalsReading], dict],
    **reading,
) -> tuple[int, dict]:
    """`record_vitals` for a device that may retry: the first request with `key` (per user
    and record) records the reading and stores `answer(reading)` with its status; a retry
    with the same `fingerprint` (of the body) gets the stored status and body back and
    records nothing; a retry with another body is refused at the key. Refusals are not
    stored (nothing was recorded, and the same request is refused again alike).

    Race-safe by the unique constraint on (user, record, key): the stored answer is inserted
    in the reading's transaction; when two requests with one key cross, the second insert
    fails (on PostgreSQL after waiting for the first to commit), its reading is rolled back
    and it answers with the first one's result."""
    keys = VitalsRequestKey.objects.filter(user_id=actor.user.pk, record_id=record.pk, key=key)
    try:
        with transaction.atomic():
            stored = keys.first()
            if stored is None:
                result = record_vitals(actor=actor, record=record, **reading)
                body = answer(result)
                try:
                    with transaction.atomic():
                        VitalsRequestKey.objects.create(
                            user=actor.user,
                            record=record,
                            key=key,
                            fingerprint=fingerprint,
                            status_code=201,
                            response=body,
                        )
                except IntegrityError as crossed:
                    raise _AnsweredMeanwhile from crossed
                return 201, body
    except _AnsweredMeanwhile:
        stored = keys.get()
    if stored.fingerprint != fingerprint:
        raise Refused({"idempotency_key": KEY_REUSED})
    # The answer shows the reading again: a read of the record.
    record_access(actor, AccessAction.VIEW, patient=record.patient, obj=record)
    return stored.status_code, stored.response


def _taken_at_problem(taken_at: datetime, session_start: datetime, zone, now: datetime) -> str:
    """Why a reading cannot have been taken at `taken_at`: still to come (beyond the
    clocks' tolerance), or before the day of the session (in the clinic's time zone)."""
    if taken_at > now + rules_vitals.CLOCK_TOLERANCE:
        return "This time is still to come: enter when the reading was taken."
    day = session_start.astimezone(zone)
    if taken_at.astimezone(zone).date() < day.date():
        return (
            f"This time is before the session's day ({day:%b} {day.day}): "
            "enter when the reading was taken."
        )
    return ""


# --- Controlled substances --------------------------------------------------------------------
# Ketamine's register (21 CFR 1304.21–22): stock received by lot, and per session what was
# drawn up, given, wasted before a witness and returned. Entries are never changed (the
# database refuses UPDATE); a mistake is corrected by a new entry pointing at it.
# `rules_substances.reconcile` reads the register back and names every discrepancy.

# The register's column holds 8 digits, 2 of them after the point.
MAX_SUBSTANCE_MG = 1_000_000


def _amount_problem(amount, what: str, *, positive: bool = False) -> str | None:
    """A problem with an amount in mg, in words; None when it can be recorded. `positive`:
    0 mg is not an amount (what was received or drawn up)."""
    from decimal import Decimal

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
    from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind

    if not _is_licensed_of(actor, clinic.pk):
        raise Refused({"__all__": "Only a clinician or nurse of this clinic may receive ketamine."})
    lot_number = (lot_number or "").strip()
    problems: dict[str, str] = {}
    if not lot_number:
        problems["lot_number"] = "Enter the lot number printed on the vials."
    elif len(lot_number) > 40:
        problems["lot_number"] = "A lot number has at most 40 characters."
    if lot_expiry is None:
        problems["lot_expiry"] = "Enter the lot's expiry date, as printed on the vials."
    problem = _amount_problem(amount_mg, "received", positive=True)
    if problem:
        problems["amount_mg"] = problem
    identity, identity_problems = lots.identity_problems(
        drug=drug, drug_name=drug_name, strength=strength, dosage_form=dosage_form, ndc=ndc
    )
    problems.update(identity_problems)
    problem = licensed_second_problem(
        witness, acting_user=actor.user, clinic_id=clinic.pk, as_what="witness to the count"
    )
    if problem:
        problems[second_person.EMAIL_FIELD] = problem
    if "lot_number" not in problems and not identity_problems:
        problems.update(lots.same_lot_problems(clinic.pk, lot_number, identity))
    if "lot_number" not in problems and lot_expiry is not None:
        known = (
            ControlledSubstanceEntry.objects.filter(
                clinic_id=clinic.pk, lot_number=lot_number, kind=SubstanceEntryKind.RECEIVED
            )
            .values_list("lot_expiry", flat=True)
            .first()
        )
        if known is not None and known != lot_expiry:
            problems["lot_expiry"] = (
                f"Lot {lot_number} was received before with the expiry {known:%b} "
                f"{known.day}, {known.year}: check the vials."
            )
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
    return entry


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
    from decimal import Decimal

    from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
    from kapcare.dosing.rules_substances import mg

    if not _is_licensed_of(actor, record.clinic_id):
        raise Refused(
            {"__all__": "Only a clinician or nurse of this clinic may record ketamine use."}
        )
    refuse_if_signed(record)
    zero = Decimal(0)
    returned_mg = zero if returned_mg is None else returned_mg
    lot_number = (lot_number or "").strip()
    note = (note or "").strip()
    problems: dict[str, str] = {}
    for field, amount, what, positive in [
        ("drawn_mg", drawn_mg, "drawn up", True),
        ("given_mg", given_mg, "given", False),
        ("wasted_mg", wasted_mg, "wasted", False),
        ("returned_mg", returned_mg, "returned", False),
    ]:
        problem = _amount_problem(amount, what, positive=positive)
        if problem:
            problems[field] = problem
    lot_expiry = None
    if not lot_number:
        problems["lot_number"] = "Choose the lot the ketamine was drawn from."
    else:
        received = ControlledSubstanceEntry.objects.filter(
            clinic_id=record.clinic_id,
            lot_number=lot_number,
            kind=SubstanceEntryKind.RECEIVED,
            drug=record.drug,
        ).values_list("lot_expiry", flat=True)
        if not received.exists():
            problems["lot_number"] = (
                f"No ketamine of lot {lot_number} has been received at this clinic: "
                "receive the lot on the register first."
            )
        else:
            lot_expiry = received.first()
            session_day = timezone.localdate(record.session.planned_start, record.clinic.zone)
            if lot_expiry is not None and lot_expiry < session_day:
                problems["lot_number"] = (
                    f"Lot {lot_number} expired on {lot_expiry:%b} {lot_expiry.day}, "
                    f"{lot_expiry.year}: draw from a lot in date."
                )
            elif record.lot_number and lot_number != record.lot_number and not note.strip():
                problems["note"] = (
                    f"The dose was prescribed from lot {record.lot_number}: say why this "
                    f"session drew from lot {lot_number}."
                )
    if problems:
        raise Refused(problems)
    if given_mg > drawn_mg:
        problems["given_mg"] = (
            f"More given ({mg(given_mg)}) than drawn up ({mg(drawn_mg)}): check both amounts."
        )
    elif given_mg + wasted_mg + returned_mg > drawn_mg:
        problems["wasted_mg"] = (
            f"Given, wasted and returned add up to {mg(given_mg + wasted_mg + returned_mg)}, "
            f"more than the {mg(drawn_mg)} drawn up: check the amounts."
        )
    if wasted_mg > 0:
        witness_problem = licensed_second_problem(
            witness, acting_user=actor.user, clinic_id=record.clinic_id, as_what="witness"
        )
        if witness is None:
            witness_problem = (
                "A waste of ketamine needs a witness: they enter their own email and password."
            )
        if witness_problem:
            problems[second_person.EMAIL_FIELD] = witness_problem
    needs_note = []
    if record.dose_mg is None:
        needs_note.append("No dose is prescribed on this record yet: write why it was given.")
    elif given_mg != record.dose_mg:
        needs_note.append(
            f"The dose on the record is {mg(record.dose_mg)} and {mg(given_mg)} was given: "
            "write why."
        )
    unaccounted = drawn_mg - given_mg - wasted_mg - returned_mg
    if unaccounted > 0 and not problems:
        needs_note.append(
            f"{mg(unaccounted)} of the {mg(drawn_mg)} drawn up is not given, wasted or "
            "returned: write what happened to it."
        )
    if needs_note and not note:
        problems["note"] = " ".join(needs_note)
    if problems:
        raise Refused(problems)

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

    entries = [row(SubstanceEntryKind.DRAWN, drawn_mg, note=note)]
    entries.append(row(SubstanceEntryKind.GIVEN, given_mg))
    if wasted_mg > 0:
        entries.append(row(SubstanceEntryKind.WASTED, wasted_mg, witness=witness.user))
    if returned_mg > 0:
        entries.append(row(SubstanceEntryKind.RETURNED, returned_mg))
    with transaction.atomic():
        # Signing takes the record's row: a use and a signature do not cross.
        locked = DosingRecord.objects.select_for_update().only("signed_at").get(pk=record.pk)
        refuse_if_signed(locked)
        for entry in entries:
            entry.save()
            record_access(actor, AccessAction.CREATE, patient=record.patient, obj=entry)
    return entries


def correct_entry(*, actor: Actor, entry, amount_mg, note: str):
    """Correct a line of the register by a new line of `amount_mg` (negative to take
    away) pointing at it, with the reason; the original stays as it was. A correction of
    a session's line belongs to that session, and is allowed after the record is signed:
    the register is the clinic's, and a correction is itself dated and signed by its
    author, as an addendum is. The corrected amount cannot fall below 0 mg."""
    from decimal import Decimal

    from django.db.models import Sum

    from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
    from kapcare.dosing.rules_substances import mg

    if not _is_licensed_of(actor, entry.clinic_id):
        raise Refused(
            {"__all__": "Only a clinician or nurse of this clinic may correct the register."}
        )
    note = (note or "").strip()
    problems: dict[str, str] = {}
    if amount_mg is None or not isinstance(amount_mg, Decimal) or not amount_mg.is_finite():
        problems["amount_mg"] = "Enter the correction in mg, for example −5 to take 5 mg away."
    elif amount_mg == 0:
        problems["amount_mg"] = "A correction of 0 mg changes nothing: enter the difference."
    elif abs(amount_mg) >= MAX_SUBSTANCE_MG or amount_mg != amount_mg.quantize(Decimal("0.01")):
        problems["amount_mg"] = "Enter the correction to at most two decimals (0.01 mg)."
    if not note:
        problems["note"] = "Write why the line is corrected: it stays in the register."
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
    return correction


def register_lots(
    clinic_id: int, lot_number: str | None = None, *, drug: str | None = None
) -> dict[str, tuple]:
    """The lots of the clinic's register (or only `lot_number`; only of `drug` when
    given), each as its expiry and
    the mg on hand, latest expiry first; a lot the clinic never received is absent. On
    hand is the register's own arithmetic (`rules_substances.reconcile`): received and
    returned, less what was drawn, with their corrections. One query."""
    from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
    from kapcare.dosing.rules_substances import Entry, reconcile

    entries = ControlledSubstanceEntry.objects.filter(clinic_id=clinic_id)
    if lot_number is not None:
        entries = entries.filter(lot_number=lot_number)
    if drug is not None:
        entries = entries.filter(drug=drug)
    entries = list(entries)
    expiries = {}
    for entry in entries:
        if entry.kind == SubstanceEntryKind.RECEIVED:
            expiries.setdefault(entry.lot_number, entry.lot_expiry)
    register = reconcile(
        Entry(
            id=e.pk,
            lot_number=e.lot_number,
            kind=e.kind,
            amount_mg=e.amount_mg,
            recorded_at=e.recorded_at,
            session=e.record_id,
            has_witness=e.witness_id is not None,
            corrects_id=e.corrects_id,
        )
        for e in entries
    )
    on_hand = {lot.lot_number: lot.stock_mg for lot in register.lots}
    ordered = sorted(
        expiries, key=lambda number: (-(expiries[number] or date.max).toordinal(), number)
    )
    return {number: (expiries[number], on_hand[number]) for number in ordered}


def _correction_chain(original) -> list[int]:
    """The ids of `original` and of every correction under it, however deep."""
    from kapcare.dosing.models import ControlledSubstanceEntry

    ids, frontier = [original.pk], [original.pk]
    while frontier:
        frontier = list(
            ControlledSubstanceEntry.objects.filter(corrects__in=frontier).values_list(
                "pk", flat=True
            )
        )
        ids.extend(frontier)
    return ids


# --- Events and discharge ---------------------------------------------------------------------
# The course of the dose (start, end, the infusion paused, resumed or stopped), adverse
# events with their interventions, the discharge checks and the discharge itself. Every
# write locks the record's row, so that it cannot cross a signature, and refuses once the
# record is signed. The rules are pure: `rules_events` and `rules_discharge`.


def _lock_for_events(record: DosingRecord) -> DosingRecord:
    """The record's row, locked until the transaction ends, with its session and clinic."""
    locked = (
        DosingRecord.objects.select_for_update(of=("self",))
        .select_related("session", "patient__clinic")
        .get(pk=record.pk)
    )
    refuse_if_signed(locked)
    return locked


def _clock_of(record: DosingRecord, value) -> str:
    from kapcare.dosing.rules_discharge import clock_time

    return clock_time(value, record.patient.clinic.zone)


def _refuse_unless_under_way(record: DosingRecord, what: str) -> None:
    from kapcare.episodes.models import SessionStatus

    session = record.session
    if session.status != SessionStatus.IN_PROGRESS:
        raise Refused(
            {
                "__all__": f"The session is “{session.get_status_display().lower()}”: "
                f"{what} only while it is in progress."
            }
        )
    if record.discharged_at is not None:
        raise Refused({"__all__": f"The patient has been discharged: {what} no more."})


def _event_time_problem(at, now, *, earliest, earliest_label: str) -> str:
    """Why `at` cannot be the time of what is recorded; "" when it can. Times are typed
    in whole minutes, so `earliest` counts from the start of its minute: the time the
    form shows for it (e.g. the session's start, 8:30 for 8:30:05) is allowed."""
    if at > now:
        return "This time is still to come: enter when it happened."
    if earliest is not None and at < earliest.replace(second=0, microsecond=0):
        return f"This is before {earliest_label}."
    return ""


def record_dose_started(*, actor: Actor, record: DosingRecord, at=None) -> DosingRecord:
    """Record when the dose started: by default when the session was started (its gates
    passed), or the time given. The dose must have had its second check."""
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic():
        locked = _lock_for_events(record)
        _refuse_unless_under_way(locked, "the dose's times are recorded")
        if not locked.is_confirmed:
            raise Refused(
                {"__all__": "A second clinician or nurse checks the dose before it starts."}
            )
        session = locked.session
        at = at or session.started_at
        problem = _event_time_problem(
            at,
            now,
            earliest=session.started_at,
            earliest_label=f"the session started ({_clock_of(locked, session.started_at)})",
        )
        if not problem and locked.dose_ended_at is not None and at > locked.dose_ended_at:
            problem = f"This is after the dose ended ({_clock_of(locked, locked.dose_ended_at)})."
        if problem:
            raise Refused({"at": problem})
        locked.dose_started_at = at
        locked.save(update_fields=["dose_started_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def record_dose_ended(*, actor: Actor, record: DosingRecord, at=None) -> DosingRecord:
    """Record when the dose ended. By default an IV infusion ends its prescribed duration
    after the start, plus any pause (`rules_events.planned_infusion_end`); a sublingual,
    IM or intranasal dose ends when it is taken (its start). The time may be adjusted to
    when it really ended; an infusion stopped early ends at the stop."""
    from django.utils import timezone

    from kapcare.dosing import rules_events

    now = timezone.now()
    with transaction.atomic():
        locked = _lock_for_events(record)
        _refuse_unless_under_way(locked, "the dose's times are recorded")
        started = locked.dose_started_at
        if started is None:
            raise Refused({"at": "Record when the dose started first."})
        default = started
        if locked.route == DoseRoute.IV:
            changes = list(locked.infusion_changes.values_list("kind", "at"))
            state = rules_events.infusion_state([kind for kind, _ in changes])
            if state == rules_events.IS_PAUSED:
                raise Refused({"at": "The infusion is paused: resume it, or stop it early."})
            if state == rules_events.IS_STOPPED:
                raise Refused({"at": "The infusion was stopped early: it ended then."})
            minutes = locked.infusion_minutes or locked.patient.clinic.infusion_minutes
            default = rules_events.planned_infusion_end(started, minutes, changes)
            if at is None and default > now:
                raise Refused(
                    {
                        "at": f"The infusion runs until {_clock_of(locked, default)}: record "
                        "its end when it has ended, or enter when it actually ended."
                    }
                )
        at = at or default
        problem = _event_time_problem(
            at,
            now,
            earliest=started,
            earliest_label=f"the dose started ({_clock_of(locked, started)})",
        )
        if problem:
            raise Refused({"at": problem})
        locked.dose_ended_at = at
        locked.save(update_fields=["dose_ended_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def record_infusion_change(
    *, actor: Actor, record: DosingRecord, kind: str, at=None, reason: str = ""
):
    """Record that the IV infusion was paused, resumed or stopped early (a pause and a
    stop need a reason). A stop ends the dose at that time."""
    from django.utils import timezone

    from kapcare.dosing import rules_events
    from kapcare.dosing.models import InfusionChange, InfusionChangeKind

    if kind not in InfusionChangeKind.values:
        raise Refused({"kind": "Choose whether the infusion was paused, resumed or stopped."})
    reason = reason.strip()
    if kind in rules_events.NEEDS_REASON and not reason:
        verb = "paused" if kind == InfusionChangeKind.PAUSED else "stopped early"
        raise Refused({"reason": f"Say why the infusion was {verb}."})
    now = timezone.now()
    at = at or now
    with transaction.atomic():
        locked = _lock_for_events(record)
        _refuse_unless_under_way(locked, "the infusion's changes are recorded")
        if locked.route != DoseRoute.IV:
            raise Refused({"kind": "Only an IV infusion can be paused or stopped."})
        if locked.dose_started_at is None:
            raise Refused({"__all__": "Record when the infusion started first."})
        if locked.dose_ended_at is not None:
            raise Refused(
                {"__all__": f"The infusion ended at {_clock_of(locked, locked.dose_ended_at)}."}
            )
        changes = list(locked.infusion_changes.values_list("kind", "at"))
        problem = rules_events.infusion_change_problem(
            rules_events.infusion_state([k for k, _ in changes]), kind
        )
        if problem:
            raise Refused({"kind": problem})
        earliest, label = locked.dose_started_at, "the infusion started"
        if changes:
            earliest, label = changes[-1][1], "the infusion's last change"
        problem = _event_time_problem(
            at, now, earliest=earliest, earliest_label=f"{label} ({_clock_of(locked, earliest)})"
        )
        if problem:
            raise Refused({"at": problem})
        change = InfusionChange.objects.create(
            record=locked, kind=kind, at=at, reason=reason, recorded_by=actor.user
        )
        if kind == InfusionChangeKind.STOPPED:
            locked.dose_ended_at = at
            locked.save(update_fields=["dose_ended_at", "updated_at"])
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=change)
    return change


def record_adverse_event(
    *,
    actor: Actor,
    record: DosingRecord,
    kind: str,
    severity: str,
    onset_at=None,
    description: str = "",
):
    """Record an adverse event of the session (nausea or vomiting, hypertension, an
    emergence reaction, agitation, respiratory depression, other) with its severity and
    onset; "other" needs a description. Allowed from the session's start until the
    record is signed, so that an event can be written up after the discharge."""
    from django.utils import timezone

    from kapcare.dosing.models import AdverseEvent, EventKind, Severity

    problems = {}
    if kind not in EventKind.values:
        problems["kind"] = "Choose what happened."
    if severity not in Severity.values:
        problems["severity"] = "Choose mild, moderate or severe."
    description = description.strip()
    if kind == EventKind.OTHER and not description:
        problems["description"] = "Describe the event."
    if problems:
        raise Refused(problems)
    now = timezone.now()
    onset_at = onset_at or now
    with transaction.atomic():
        locked = _lock_for_events(record)
        started = locked.session.started_at
        if started is None:
            raise Refused({"__all__": "The session has not started: no event to record yet."})
        problem = _event_time_problem(
            onset_at,
            now,
            earliest=started,
            earliest_label=f"the session started ({_clock_of(locked, started)})",
        )
        if problem:
            raise Refused({"onset_at": problem})
        event = AdverseEvent.objects.create(
            record=locked,
            patient_id=locked.patient_id,
            kind=kind,
            severity=severity,
            onset_at=onset_at,
            description=description,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=event)
    return event


def record_intervention(*, actor: Actor, event, drug: str, dose: str = "", given_at=None):
    """Record what was done for an adverse event: a drug with its dose, or another
    measure, and when; not before the event began."""
    from django.utils import timezone

    from kapcare.dosing.models import Intervention

    drug, dose = drug.strip(), dose.strip()
    if not drug:
        raise Refused({"drug": "Name the drug given or the measure taken."})
    now = timezone.now()
    given_at = given_at or now
    with transaction.atomic():
        locked = _lock_for_events(event.record)
        problem = _event_time_problem(
            given_at,
            now,
            earliest=event.onset_at,
            earliest_label=f"the event began ({_clock_of(locked, event.onset_at)})",
        )
        if problem:
            raise Refused({"given_at": problem})
        intervention = Intervention.objects.create(
            event=event,
            record=locked,
            drug=drug,
            dose=dose,
            given_at=given_at,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=intervention)
    return intervention


@dataclass(frozen=True)
class DischargeCheckInput:
    """A discharge check as typed: the five modified Aldrete items (0–2 each) and the
    other criteria."""

    activity: int
    respiration: int
    circulation: int
    consciousness: int
    oxygen_saturation: int
    alert_and_oriented: bool = False
    escort_present: bool = False
    aftercare_given: bool = False


def record_discharge_assessment(
    *, actor: Actor, record: DosingRecord, data: DischargeCheckInput, now=None
):
    """Record a discharge check, now (or at `now`, for a record written up afterwards);
    the last one decides. Only after the dose ended."""
    from django.utils import timezone

    from kapcare.dosing.models import DischargeAssessment
    from kapcare.dosing.rules_discharge import ALDRETE_KEYS

    problems = {
        key: "Choose 0, 1 or 2."
        for key in ALDRETE_KEYS
        if getattr(data, key) not in (0, 1, 2) or isinstance(getattr(data, key), bool)
    }
    if problems:
        raise Refused(problems)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_events(record)
        _refuse_unless_under_way(locked, "discharge checks are recorded")
        if locked.dose_ended_at is None or locked.dose_ended_at > now:
            raise Refused(
                {"__all__": "The dose has not ended: the discharge check comes after it."}
            )
        assessment = DischargeAssessment.objects.create(
            record=locked, assessed_at=now, assessed_by=actor.user, **asdict(data)
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=assessment)
    return assessment


@dataclass(frozen=True)
class DischargeStatus:
    """Where the discharge stands: the facts the rules read, what is still unmet, and the
    last discharge check (None before the first)."""

    facts: object  # rules_discharge.DischargeFacts
    problems: list[str]
    assessment: object | None

    @property
    def is_ready(self) -> bool:
        return not self.problems


def discharge_settings(clinic, drug: str = Drug.KETAMINE):
    """The clinic's discharge settings for `drug`: esketamine has its own observation
    minimum (`Clinic.esketamine_observation_minutes`)."""
    from kapcare.dosing.rules_discharge import DischargeSettings

    return DischargeSettings(
        observation_minutes=(
            clinic.esketamine_observation_minutes
            if drug == Drug.ESKETAMINE
            else clinic.discharge_observation_minutes
        ),
        aldrete_minimum=clinic.discharge_aldrete_minimum,
        vitals_within_percent=clinic.discharge_vitals_within_percent,
        time_zone=clinic.time_zone,
    )


def discharge_status(record: DosingRecord, now) -> DischargeStatus:
    """The discharge criteria of `record` at `now`, in three queries whatever the record
    holds: the heart rate and systolic readings, the last discharge check, and the
    pre-dose blood pressure of the day-of checklist."""
    from kapcare.dosing import rules_discharge
    from kapcare.dosing.models import DischargeAssessment, Observation
    from kapcare.episodes.models import DayOfChecklist

    readings = Observation.objects.filter(record_id=record.pk)
    baseline_heart_rate = latest_systolic = latest_heart_rate = None
    # The last reading since the dose ended, and the values in it out of the thresholds.
    latest_reading, latest_alerts = None, []
    started, ended = record.dose_started_at, record.dose_ended_at
    for vital, value, taken_at, reading_id, threshold in readings.order_by(
        "taken_at", "id"
    ).values_list("vital", "value", "taken_at", "reading_id", "alert_threshold"):
        if vital == "hr" and baseline_heart_rate is None and started and taken_at < started:
            baseline_heart_rate = value
        if ended is not None and ended <= taken_at <= now:
            if reading_id != latest_reading:
                latest_reading, latest_alerts = reading_id, []
            if threshold:
                latest_alerts.append(f"{rules_vitals.VITALS[vital].short_name} {value} {threshold}")
            if vital == "hr":
                latest_heart_rate = value
            elif vital == "sbp":
                latest_systolic = value
    assessment = (
        DischargeAssessment.objects.filter(record_id=record.pk).order_by("-assessed_at", "-id")
    ).first()
    baseline_systolic = (
        DayOfChecklist.objects.filter(session_id=record.session_id)
        .values_list("blood_pressure_systolic", flat=True)
        .first()
    )
    facts = rules_discharge.DischargeFacts(
        now=now,
        dose_ended_at=ended,
        assessed_at=assessment.assessed_at if assessment else None,
        aldrete=assessment.aldrete_score if assessment else None,
        alert_and_oriented=bool(assessment and assessment.alert_and_oriented),
        escort_present=bool(assessment and assessment.escort_present),
        aftercare_given=bool(assessment and assessment.aftercare_given),
        baseline_systolic=baseline_systolic,
        baseline_heart_rate=baseline_heart_rate,
        latest_systolic=latest_systolic,
        latest_heart_rate=latest_heart_rate,
        latest_alerts=tuple(latest_alerts),
    )
    problems = rules_discharge.discharge_problems(
        facts, discharge_settings(record.patient.clinic, record.drug)
    )
    # Esketamine: until sedation, dissociation and respiratory depression have resolved.
    effects = esketamine_facts.effects_problem(record, now)
    if effects:
        problems.append(effects)
    return DischargeStatus(facts=facts, problems=problems, assessment=assessment)


class DischargeRefused(Refused):
    """The discharge criteria are not met and no clinician gave a reason to go anyway;
    `unmet` lists them in words."""

    def __init__(self, unmet: list[str]):
        self.unmet = unmet
        super().__init__({"__all__": "Not ready for discharge: " + " ".join(unmet)})


SECOND_CLINICIAN_NEEDED = (
    "The vital signs are not back in range: a second clinician confirms this discharge "
    "with their own email and password."
)


def discharge(
    *,
    actor: Actor,
    record: DosingRecord,
    override_reason: str = "",
    second: SecondPerson | None = None,
    now=None,
) -> DosingRecord:
    """Discharge the patient and record the session as done. Refused with what is unmet
    (`discharge_status`) until every criterion is met, unless a clinician writes why the
    patient may go anyway (kept in `discharge_override_reason`); when the vital signs are
    still out of range (`rules_discharge.vitals_out_of_range`) a second clinician, who
    authenticated at the moment (`second`), confirms it too."""
    from django.utils import timezone

    from kapcare.accounts.models import Role
    from kapcare.episodes import services as episode_services

    if getattr(actor.user, "role", None) != Role.CLINICIAN:
        raise Refused({"__all__": "Only a clinician may discharge a patient."})
    now = now or timezone.now()
    reason = override_reason.strip()
    with transaction.atomic():
        locked = _lock_for_events(record)
        _refuse_unless_under_way(locked, "a patient is discharged")
        status = discharge_status(locked, now)
        confirmed_by = None
        if status.is_ready:
            reason = ""  # nothing was overridden
        elif not reason:
            raise DischargeRefused(status.problems)
        elif rules_discharge.vitals_out_of_range(
            status.facts, discharge_settings(locked.patient.clinic, locked.drug)
        ):
            if second is None:
                raise Refused({second_person.EMAIL_FIELD: SECOND_CLINICIAN_NEEDED})
            problem = second_person.second_person_problem(
                second,
                acting_user=actor.user,
                clinic_id=locked.clinic_id,
                roles={Role.CLINICIAN},
                as_what="the second clinician",
            )
            if problem:
                raise Refused({second_person.EMAIL_FIELD: problem})
            confirmed_by = second.user
        locked.discharged_at = now
        locked.discharged_by = actor.user
        locked.discharge_override_reason = reason
        locked.discharge_confirmed_by = confirmed_by
        locked.discharge_confirmed_at = second.confirmed_at if confirmed_by else None
        locked.save(
            update_fields=[
                "discharged_at",
                "discharged_by",
                "discharge_override_reason",
                "discharge_confirmed_by",
                "discharge_confirmed_at",
                "updated_at",
            ]
        )
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
        locked.session = episode_services.complete_dosing_session(
            actor=actor, session=locked.session, at=now
        )
    return locked


# --- Dose -------------------------------------------------------------------------------------

DOSE_GATE = "dose"
THERAPIST_GATE = "therapist_present"
DOSE_GATE_TITLE = "Dose prescribed and checked by a second person"
THERAPIST_GATE_TITLE = "Therapist present"
# The fields that make the dose: changing any of them undoes the second person's check.
DOSE_FIELDS = (
    "route",
    "prescribed_mg_per_kg",
    "weight_kg",
    "weight_measured_on",
    "dose_mg",
    "infusion_minutes",
    "lot_number",
    "lot_expiry",
)


def dose_caps(clinic, route: str) -> rules_dose.DoseCaps:
    """The clinic's maximum for `route` (`Clinic.max_mg_per_kg_<route>`,
    `max_total_mg_<route>`), read here and only here."""
    return rules_dose.DoseCaps(
        route_label=rules_dose.ROUTE_ABBREVIATIONS[route],
        max_mg_per_kg=Decimal(str(getattr(clinic, f"max_mg_per_kg_{route}"))),
        max_total_mg=Decimal(str(getattr(clinic, f"max_total_mg_{route}"))),
    )


def dose_day_of(session: CareSession) -> date:
    return timezone.localdate(session.planned_start, session.patient.clinic.zone)


def latest_weight(patient_id: int, on: date) -> BodyMeasurement | None:
    """The patient's latest weight recorded by `on` (the dose's day)."""
    return (
        BodyMeasurement.objects.filter(
            patient_id=patient_id, weight_kg__isnull=False, measured_on__lte=on
        )
        .order_by("-measured_on", "-recorded_at", "-id")
        .first()
    )


def _locked_for_dose(record: DosingRecord) -> tuple[CareSession, DosingRecord]:
    """The session's row, then the record's, locked until the transaction ends (the order
    `episodes.services.start_dosing_session` takes them in), so that a dose cannot change
    while it starts; refused once the record is signed or the dose has started."""
    session = (
        CareSession.objects.select_for_update(of=("self",))
        .select_related("episode", "patient__clinic")
        .get(pk=record.session_id)
    )
    locked = DosingRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
    locked.session, locked.patient = session, session.patient
    refuse_if_signed(locked)
    if session.status != SessionStatus.PLANNED or locked.dose_started_at is not None:
        raise Refused(
            {
                "__all__": f"This dosing session is {session.get_status_display().lower()}: "
                "the dose can no longer be changed or checked."
            }
        )
    return session, locked


def prescribe_dose(
    *,
    actor: Actor,
    record: DosingRecord,
    route: str,
    mg_per_kg: Decimal,
    above_maximum_reason: str = "",
    infusion_minutes: int | None = None,
    lot_number: str,
    now: datetime | None = None,
) -> DosingRecord:
    """A clinician prescribes the dose in mg/kg; the mg come from the patient's latest
    weight (which must be recent), rounded as `rules_dose.compute_dose` says. A dose above
    the clinic's maximum for the route needs the clinician's reason. The lot is one of
    the clinic's register, in date on the dose's day and with at least the dose on hand;
    its expiry is the register's. Changing the dose undoes an earlier second-person
    check."""
    if getattr(actor.user, "role", None) != Role.CLINICIAN:
        raise Refused({"__all__": "Only a clinician may prescribe a dose."})
    now = now or timezone.now()
    reason = above_maximum_reason.strip()
    lot_number = lot_number.strip()
    problems: dict[str, str] = {}
    if route not in DoseRoute.values:
        problems["route"] = "Choose a route from the list."
    mg_problem = rules_dose.mg_per_kg_problem(mg_per_kg)
    if mg_problem:
        problems["mg_per_kg"] = mg_problem
    if route in DoseRoute.values:
        minutes_problem = rules_dose.infusion_minutes_problem(route, infusion_minutes)
        if minutes_problem:
            problems["infusion_minutes"] = minutes_problem
    with transaction.atomic():
        session, locked = _locked_for_dose(record)
        clinic = session.patient.clinic
        dose_day = dose_day_of(session)
        lot = (
            register_lots(clinic.pk, lot_number, drug=Drug.KETAMINE).get(lot_number)
            if lot_number
            else None
        )
        lot_expiry = lot[0] if lot else None
        if not lot_number:
            problems["lot_number"] = "Choose the lot from the register."
        elif lot is None:
            problems["lot_number"] = (
                f"Lot {lot_number} is not in this clinic's register: receive it first."
            )
        elif rules_dose.lot_expiry_problem(lot_expiry, dose_day):
            problems["lot_number"] = rules_dose.lot_expiry_problem(lot_expiry, dose_day)
        weight = latest_weight(session.patient_id, dose_day)
        weight_problem = rules_dose.weight_problem(weight.weight_kg if weight else None)
        if not weight_problem:
            weight_problem = rules_dose.weight_age_problem(
                weight.measured_on,
                weight.weight_kg,
                weight.measured_on,
                weight.weight_kg,
                dose_day,
                clinic.weight_recent_days,
            )
        if weight_problem:
            problems["weight_kg"] = weight_problem
        if problems:
            raise Refused(problems)
        calc = rules_dose.compute_dose(mg_per_kg, weight.weight_kg)
        if lot[1] < calc.dose_mg:
            raise Refused(
                {
                    "lot_number": f"Lot {lot_number} has {rules_substances.mg(lot[1])} on "
                    f"hand, less than the dose of {rules_substances.mg(calc.dose_mg)}: "
                    "choose another lot."
                }
            )
        above = rules_dose.cap_problems(calc, dose_caps(clinic, route))
        if above and not reason:
            raise Refused(
                {
                    "above_maximum_reason": " ".join(above)
                    + " To give it anyway, write why this dose is right for the patient."
                }
            )
        before = {name: getattr(locked, name) for name in ("drug", *DOSE_FIELDS)}
        locked.drug = Drug.KETAMINE
        locked.route = route
        locked.prescribed_mg_per_kg = mg_per_kg
        locked.weight_kg = weight.weight_kg
        locked.weight_measured_on = weight.measured_on
        locked.dose_mg = calc.dose_mg
        locked.above_maximum_reason = reason if above else ""
        locked.infusion_minutes = infusion_minutes if route == DoseRoute.IV else None
        locked.lot_number = lot_number
        locked.lot_expiry = lot_expiry
        unchanged = before == {name: getattr(locked, name) for name in ("drug", *DOSE_FIELDS)}
        if not (unchanged and locked.prescribed_by_id == actor.user.pk):
            locked.confirmed_by = None
            locked.confirmed_at = None
        locked.prescribed_by = actor.user
        locked.prescribed_at = now
        locked.save(
            update_fields=[
                "drug",
                *DOSE_FIELDS,
                "above_maximum_reason",
                "prescribed_by",
                "prescribed_at",
                "confirmed_by",
                "confirmed_at",
                "updated_at",
            ]
        )
        record_access(actor, AccessAction.UPDATE, patient=session.patient, obj=locked)
    return locked


def confirm_dose(
    *,
    actor: Actor,
    record: DosingRecord,
    checker: SecondPerson | None,
    prescribed_at: datetime | None = None,
    now: datetime | None = None,
) -> DosingRecord:
    """A second licensed person (`checker`: a clinician or nurse of the clinic, not the
    prescriber, who authenticated on the screen at the moment) checks the dose before
    it starts; `actor` is who is signed in on that screen, and may be the checker,
    who then typed their password again. `prescribed_at` is the
    prescription the checker saw: if it changed meanwhile, the check is refused and must
    be made again."""
    user = actor.user
    if getattr(user, "role", None) not in LICENSED_ROLES or user.clinic_id != record.clinic_id:
        raise Refused({"__all__": "Only a clinician or nurse of the clinic may check a dose."})
    now = now or timezone.now()
    with transaction.atomic():
        session, locked = _locked_for_dose(record)
        if locked.dose_mg is None or locked.prescribed_by_id is None:
            raise Refused({"__all__": "No dose is prescribed yet: there is nothing to check."})
        if prescribed_at is not None and prescribed_at != locked.prescribed_at:
            raise Refused(
                {"__all__": "The dose was changed since you opened the page: check it again."}
            )
        if locked.is_confirmed:
            raise Refused({"__all__": "This dose is already checked."})
        problem = licensed_second_problem(
            checker,
            acting_user=locked.prescribed_by,
            clinic_id=locked.clinic_id,
            as_what="second checker",
            not_user_id=locked.prescribed_by_id,
        )
        if problem:
            raise Refused({second_person.EMAIL_FIELD: problem})
        locked.confirmed_by = checker.user
        locked.confirmed_at = checker.confirmed_at
        locked.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=session.patient, obj=locked)
    return locked


@dataclass(frozen=True)
class SettingInput:
    music: str = ""
    eye_shades: bool = False
    lighting: str = ""
    therapist_present: bool = False
    intention: str = ""


SETTING_FIELDS = ("music", "eye_shades", "lighting", "therapist_present", "intention")


def record_set_and_setting(
    *, actor: Actor, record: DosingRecord, data: SettingInput
) -> DosingRecord:
    """The set and setting of the session (the room is the booked appointment's): music,
    eye shades, lighting, whether the therapist is present (required for the in-session
    model) and the patient's intention. A clinician records it, before or during the
    session, until the record is signed."""
    if getattr(actor.user, "role", None) != Role.CLINICIAN:
        raise Refused({"__all__": "Only a clinician may record the set and setting."})
    problems = {}
    episode = record.session.episode
    if data.therapist_present and episode.model == "in_session" and not episode.therapist_id:
        problems["therapist_present"] = (
            "No therapist is named for this episode: name the episode's therapist first, "
            "who is the one present in the in-session model."
        )
    music = data.music.strip()
    if len(music) > DosingRecord._meta.get_field("music").max_length:
        problems["music"] = "Name the music or playlist in at most 200 characters."
    if data.lighting not in ("", *Lighting.values):
        problems["lighting"] = "Choose the lighting from the list."
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = DosingRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
        refuse_if_signed(locked)
        locked.music = music
        locked.eye_shades = data.eye_shades
        locked.lighting = data.lighting
        locked.therapist_present = data.therapist_present
        # The box names the episode's therapist: who that is now is who was present.
        locked.present_therapist_id = episode.therapist_id if data.therapist_present else None
        locked.intention = data.intention.strip()
        locked.save(update_fields=[*SETTING_FIELDS, "present_therapist", "updated_at"])
        locked.session, locked.patient = record.session, record.patient
        record_access(actor, AccessAction.UPDATE, patient=record.patient, obj=locked)
    return locked


def _person(full_name: str | None, credentials: str | None) -> str:
    if not full_name:
        return ""
    return f"{full_name}, {credentials}" if credentials else full_name


def dose_gates(session: CareSession, dose_at: datetime) -> list[ExtraGate]:
    """The gates the dosing record adds (registered with `episodes.gate_registry`): the
    dose prescribed and checked by a second person, and, in the in-session model, the
    therapist present. One query, whatever the record holds; a session whose record is
    not open yet has no dose."""
    clinic = session.patient.clinic
    dose_day = timezone.localdate(dose_at, clinic.zone)
    weights = BodyMeasurement.objects.filter(
        patient_id=OuterRef("patient_id"), weight_kg__isnull=False, measured_on__lte=dose_day
    ).order_by("-measured_on", "-recorded_at", "-id")
    row = (
        DosingRecord.objects.filter(session_id=session.pk)
        .annotate(
            latest_measured_on=Subquery(weights.values("measured_on")[:1]),
            latest_weight_kg=Subquery(weights.values("weight_kg")[:1]),
        )
        .values(
            "drug",
            "route",
            "prescribed_mg_per_kg",
            "weight_kg",
            "weight_measured_on",
            "dose_mg",
            "above_maximum_reason",
            "lot_expiry",
            "therapist_present",
            "present_therapist_id",
            "present_therapist__full_name",
            "latest_measured_on",
            "latest_weight_kg",
            "prescribed_by__full_name",
            "prescribed_by__credentials",
            "confirmed_by__full_name",
            "confirmed_by__credentials",
            "confirmed_at",
        )
        .first()
    )
    prescription = None
    if row is not None and row["dose_mg"] is not None:
        prescription = rules_dose.Prescription(
            route=row["route"],
            calc=rules_dose.DoseCalculation(
                mg_per_kg=row["prescribed_mg_per_kg"],
                weight_kg=row["weight_kg"],
                dose_mg=row["dose_mg"],
            ),
            weight_measured_on=row["weight_measured_on"],
            above_maximum_reason=row["above_maximum_reason"],
            lot_expiry=row["lot_expiry"],
            prescribed_by=_person(
                row["prescribed_by__full_name"], row["prescribed_by__credentials"]
            ),
            # Checked means `confirmed_at` is set, as everywhere else.
            confirmed_by=(
                _person(row["confirmed_by__full_name"], row["confirmed_by__credentials"])
                if row["confirmed_at"] is not None
                else ""
            ),
        )
    if row is not None and row["drug"] == Drug.ESKETAMINE:
        # A fixed dose in nasal devices: no weight, no per-route maximum.
        passed, message = esketamine_facts.dose_gate_of(row, dose_day)
    else:
        passed, message = rules_dose.dose_gate(
            prescription,
            dose_caps(clinic, row["route"]) if prescription is not None else None,
            row["latest_measured_on"] if row else None,
            row["latest_weight_kg"] if row else None,
            dose_day,
            clinic.weight_recent_days,
        )
    record_url = reverse("dosing:record", args=[session.external_id])
    found = [
        ExtraGate(
            rule=DOSE_GATE,
            title=DOSE_GATE_TITLE,
            passed=passed,
            message=message,
            fix_url=record_url + "#dose",
            fix_label="Open the dose on the dosing record",
            waivable=False,
        )
    ]
    episode = session.episode
    # Read only where the rule applies, so other models cost no query.
    named = episode.therapist if episode.therapist_id and episode.model == "in_session" else None
    therapist = rules_dose.therapist_gate(
        episode.model,
        bool(row and row["therapist_present"]),
        therapist=named.full_name if named is not None else "",
        present=row["present_therapist__full_name"] or "" if row else "",
        present_is_therapist=bool(row) and row["present_therapist_id"] == episode.therapist_id,
    )
    if therapist is not None:
        found.append(
            ExtraGate(
                rule=THERAPIST_GATE,
                title=THERAPIST_GATE_TITLE,
                passed=therapist[0],
                message=therapist[1],
                fix_url=record_url + "#setting",
                fix_label="Open the set and setting on the dosing record",
                waivable=False,
            )
        )
    return found


# --- Signing, addenda, summary ----------------------------------------------------------------
# A clinician signs the record once the dose was given and the patient discharged; the
# record is then immutable (here and in the database, migration 0002) and later changes are
# addenda. The patient's own account of the session and the therapist's summary are not
# part of the signed record: the patient writes theirs after the session, and the summary
# is edited until released. The summary's draft is pure text (`rules_summary`).


def _refuse_unless_clinician(actor: Actor, record: DosingRecord, what: str) -> None:
    from kapcare.accounts.models import Role

    user = actor.user
    if getattr(user, "role", None) != Role.CLINICIAN or user.clinic_id != record.clinic_id:
        raise Refused({"__all__": f"Only a clinician of the clinic may {what}."})


def _record_locked_for_signing(record: DosingRecord) -> DosingRecord:
    """The record's row, locked until the transaction ends (not refused when signed)."""
    return (
        DosingRecord.objects.select_for_update(of=("self",))
        .select_related("session__episode", "patient__clinic")
        .get(pk=record.pk)
    )


def what_signing_needs(record: DosingRecord) -> list[str]:
    """What is missing before the record may be signed, in words; empty when nothing."""
    missing = []
    if record.dose_started_at is None:
        missing.append("the dose has not been recorded as given")
    if record.discharged_at is None:
        missing.append("the patient has not been discharged")
    return missing


def sign_record(
    *, actor: Actor, record: DosingRecord, reauthentication: Reauthentication | None, now=None
) -> DosingRecord:
    """Sign the record: a clinician, once the dose was given and the patient discharged,
    re-entering their code at that moment (`step_up`: a signature is irreversible and
    attributable, 21 CFR 11.200). From then on the record is changed only by addenda."""
    _refuse_unless_clinician(actor, record, "sign the record")
    step_up.require(reauthentication, actor, what="sign the record")
    with transaction.atomic():
        locked = _record_locked_for_signing(record)
        if locked.is_signed:
            raise Refused({"__all__": "This record is already signed: add an addendum instead."})
        missing = what_signing_needs(locked)
        if missing:
            raise Refused({"__all__": f"The record cannot be signed yet: {'; '.join(missing)}."})
        locked.signed_at = now or timezone.now()
        locked.signed_by = actor.user
        locked.save(update_fields=["signed_at", "signed_by", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def add_addendum(*, actor: Actor, record: DosingRecord, text: str):
    """A later change to a signed record, with its author and time (before signing, the
    record itself is edited)."""
    from kapcare.dosing.models import Addendum

    _refuse_unless_clinician(actor, record, "add an addendum")
    text = text.strip()
    if not text:
        raise Refused({"text": "Write what the addendum adds or corrects."})
    with transaction.atomic():
        locked = _record_locked_for_signing(record)
        if not locked.is_signed:
            raise Refused(
                {"__all__": "The record is not signed yet: change the record itself instead."}
            )
        addendum = Addendum.objects.create(record=locked, text=text, author=actor.user)
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=addendum)
    return addendum


def record_experience(
    *,
    actor: Actor,
    record: DosingRecord,
    experience: str,
    dissociation: int,
    bring_to_integration: str,
):
    """The patient's own account of a session that is over, from the portal: once per
    session, and never changed afterwards (what the patient wants to add later, they tell
    the clinic or their therapist)."""
    from kapcare.dosing.models import PatientExperience
    from kapcare.dosing.rules_summary import DISSOCIATION_MAXIMUM

    user = actor.user
    if record.patient.user_id is None or record.patient.user_id != getattr(user, "pk", None):
        raise Refused({"__all__": "Only the patient can tell us about their session."})
    if record.session.status != SessionStatus.DONE:
        raise Refused({"__all__": "You can tell us about this session once it is over."})
    if dissociation is None or not 0 <= dissociation <= DISSOCIATION_MAXIMUM:
        raise Refused({"dissociation": f"Choose a number from 0 to {DISSOCIATION_MAXIMUM}."})
    already = {"__all__": "You have already told us about this session; it cannot be changed."}
    if PatientExperience.objects.filter(record_id=record.pk).exists():
        raise Refused(already)
    try:
        with transaction.atomic():
            account = PatientExperience.objects.create(
                record=record,
                patient_id=record.patient_id,
                experience=experience.strip(),
                dissociation=dissociation,
                bring_to_integration=bring_to_integration.strip(),
            )
            record_access(actor, AccessAction.CREATE, patient=record.patient, obj=account)
    except IntegrityError:
        raise Refused(already) from None  # sent twice at the same moment: the first stands
    return account


def summary_facts(record: DosingRecord):
    """What the summary's draft is made of, read from the record: three queries (events,
    an early stop of the infusion, the patient's account)."""
    from kapcare.dosing.models import InfusionChangeKind, PatientExperience
    from kapcare.dosing.rules_summary import NotableEvent, SummaryFacts

    clinic = record.patient.clinic
    started = record.dose_started_at or record.session.started_at or record.session.planned_start
    account = PatientExperience.objects.filter(record_id=record.pk).first()
    return SummaryFacts(
        session_date=timezone.localdate(started, clinic.zone),
        route=record.route,
        mg_per_kg=record.prescribed_mg_per_kg,
        dose_mg=record.dose_mg,
        shows_exact_dose=clinic.summary_shows_exact_dose,
        events=[
            NotableEvent(kind=event.get_kind_display(), severity=event.get_severity_display())
            for event in record.events.only("record_id", "kind", "severity").order_by(
                "onset_at", "id"
            )
        ],
        infusion_stopped_early=record.infusion_changes.filter(
            kind=InfusionChangeKind.STOPPED
        ).exists(),
        dissociation=account.dissociation if account else None,
        bring_to_integration=account.bring_to_integration if account else "",
    )


def draft_summary(record: DosingRecord) -> str:
    """The therapist summary's first draft, from the record (`rules_summary`)."""
    from kapcare.dosing import rules_summary

    return rules_summary.draft_summary(summary_facts(record))


def summary_recipient(record: DosingRecord):
    """The live sharing authorisation through which the episode's therapist may read
    this record's summary (the `session_summaries` scope), or None: one query."""
    from kapcare.consents.models import SharingAuthorization
    from kapcare.policy import Scope

    therapist_id = record.session.episode.therapist_id
    if therapist_id is None:
        return None
    return (
        SharingAuthorization.objects.live(timezone.now())
        .with_scope(Scope.SESSION_SUMMARIES)
        .filter(patient_id=record.patient_id, therapist_id=therapist_id)
        .order_by("-expires_at", "-id")
        .first()
    )


def _write_summary(actor: Actor, record: DosingRecord, text: str):
    """Save the summary's text, unless it was released; inside the caller's transaction,
    with the record's row locked."""
    from kapcare.dosing.models import TherapistSummary

    text = text.strip()
    if not text:
        raise Refused({"text": "Write the summary (the draft is a starting point)."})
    summary = TherapistSummary.objects.select_for_update().filter(record_id=record.pk).first()
    if summary is not None and summary.is_released:
        raise Refused({"__all__": "This summary was released: it can no longer be changed."})
    if summary is None:
        summary = TherapistSummary(record=record, patient_id=record.patient_id)
    summary.text = text
    summary.edited_by = actor.user
    summary.edited_at = timezone.now()
    created = summary.pk is None
    summary.save()
    action = AccessAction.CREATE if created else AccessAction.UPDATE
    record_access(actor, action, patient=record.patient, obj=summary)
    return summary


def save_summary(*, actor: Actor, record: DosingRecord, text: str):
    """Save the clinician's edit of the summary; it can be edited until it is released."""
    _refuse_unless_clinician(actor, record, "edit the therapist's summary")
    with transaction.atomic():
        locked = _record_locked_for_signing(record)
        return _write_summary(actor, locked, text)


def release_summary(
    *,
    actor: Actor,
    record: DosingRecord,
    reauthentication: Reauthentication | None,
    text: str | None = None,
):
    """Release the summary (with `text`, saved first, when given) once the record is
    signed, the clinician re-entering their code (`step_up`: a disclosure outside the
    clinic that cannot be called back). The episode's therapist is told by email on
    commit, if the patient lets them read summaries (`summary_recipient`); whoever reads it
    later, the shared record shows it only under a live authorisation with that scope."""
    _refuse_unless_clinician(actor, record, "release the therapist's summary")
    step_up.require(reauthentication, actor, what="release the summary")
    with transaction.atomic():
        locked = _record_locked_for_signing(record)
        if not locked.is_signed:
            raise Refused({"__all__": "Sign the record before releasing its summary."})
        if text is not None:
            summary = _write_summary(actor, locked, text)
        else:
            from kapcare.dosing.models import TherapistSummary

            summary = (
                TherapistSummary.objects.select_for_update().filter(record_id=locked.pk).first()
            )
            if summary is None:
                raise Refused({"text": "Write the summary before releasing it."})
            if summary.is_released:
                raise Refused({"__all__": "This summary was already released."})
        summary.released_at = timezone.now()
        summary.released_by = actor.user
        summary.save(update_fields=["released_at", "released_by"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=summary)
        recipient = summary_recipient(locked)
        if recipient is not None:
            _notify_summary_ready(recipient, locked)
    return summary


def _notify_summary_ready(authorization, record) -> None:
    """Tell the therapist a summary is ready. The email carries no health information:
    not the patient's name or initials, not the session's date; only a link to the shared
    record (named by its opaque id), which asks them to sign in."""
    from django.urls import reverse

    from kapcare import policy
    from kapcare.notifications.models import NotificationKind
    from kapcare.notifications.services import notify

    patient = record.patient
    link = absolute_url(reverse("sharing:shared_record", args=[patient.external_id]))
    recipient = authorization.therapist_email
    notify(
        key=f"summary-released:{record.external_id}:{recipient.lower()}",
        kind=NotificationKind.SUMMARY_RELEASED,
        to=recipient,
        subject="A session summary is ready for you",
        template="dosing/email/summary_ready.txt",
        context={"clinic": patient.clinic, "link": link},
        # Sent only if the patient still shares summaries with them when it goes.
        therapist=authorization.therapist,
        patient=patient,
        therapist_action=policy.Action.VIEW_SESSION_SUMMARIES,
    )
