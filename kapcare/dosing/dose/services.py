"""Writes of the dose part of the dosing record: the prescription (mg/kg of a recent
weight, within the clinic's maximum for the route, from a lot of the register), its
check by a second licensed person, the set and setting, and the gates the dose adds to
the session's start (registered with `episodes.gates.registry`)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts import second_person
from kapcare.accounts.models import LICENSED_ROLES, Role
from kapcare.accounts.second_person import SecondPerson
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.dose import rules
from kapcare.dosing.esketamine import facts as esketamine_facts
from kapcare.dosing.models import DosingRecord, Drug, Lighting
from kapcare.dosing.recording import refuse_if_signed
from kapcare.dosing.substances import rules as substances_rules
from kapcare.dosing.substances.services import licensed_second_problem, register_lots
from kapcare.episodes.gates.registry import ExtraGate
from kapcare.episodes.models import CareSession, DoseRoute, SessionStatus
from kapcare.patients.models import BodyMeasurement
from kapcare.refusals import Refused

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


def dose_caps(clinic, route: str) -> rules.DoseCaps:
    """The clinic's maximum for `route` (`Clinic.max_mg_per_kg_<route>`,
    `max_total_mg_<route>`), read here and only here."""
    return rules.DoseCaps(
        route_label=rules.ROUTE_ABBREVIATIONS[route],
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
    weight (which must be recent), rounded as `rules.compute_dose` says. A dose above
    the clinic's maximum for the route needs the clinician's reason. The lot is one of
    the clinic's register, in date on the dose's day and with at least the dose on hand;
    its expiry is the register's. Changing the dose undoes an earlier second-person
    check."""
    if getattr(actor.user, "role", None) != Role.CLINICIAN:
        raise Refused({"__all__": "Only a clinician may prescribe a dose."})
    now = now or timezone.now()
    reason = above_maximum_reason.strip()
    lot_number = lot_number.strip()
    problems = _prescription_problems(route, mg_per_kg, infusion_minutes)
    with transaction.atomic():
        session, locked = _locked_for_dose(record)
        clinic = session.patient.clinic
        dose_day = dose_day_of(session)
        lot, problem = _prescribed_lot(clinic.pk, lot_number, dose_day)
        if problem:
            problems["lot_number"] = problem
        weight, problem = _recent_weight(session.patient_id, dose_day, clinic.weight_recent_days)
        if problem:
            problems["weight_kg"] = problem
        if problems:
            raise Refused(problems)
        calc = rules.compute_dose(mg_per_kg, weight.weight_kg)
        _refuse_unless_on_hand(lot_number, on_hand_mg=lot[1], dose_mg=calc.dose_mg)
        above = rules.cap_problems(calc, dose_caps(clinic, route))
        if above and not reason:
            raise Refused(
                {
                    "above_maximum_reason": " ".join(above)
                    + " To give it anyway, write why this dose is right for the patient."
                }
            )
        prescription = {
            "drug": Drug.KETAMINE,
            "route": route,
            "prescribed_mg_per_kg": mg_per_kg,
            "weight_kg": weight.weight_kg,
            "weight_measured_on": weight.measured_on,
            "dose_mg": calc.dose_mg,
            "infusion_minutes": infusion_minutes if route == DoseRoute.IV else None,
            "lot_number": lot_number,
            "lot_expiry": lot[0],
        }
        _write_prescription(locked, prescription, reason if above else "", by=actor.user, at=now)
        record_access(actor, AccessAction.UPDATE, patient=session.patient, obj=locked)
    return locked


def _prescription_problems(route: str, mg_per_kg: Decimal, infusion_minutes) -> dict[str, str]:
    """What is wrong with the prescription as typed, by field: an unknown route, an
    implausible mg/kg, an infusion's duration missing or out of range."""
    problems: dict[str, str] = {}
    if route not in DoseRoute.values:
        problems["route"] = "Choose a route from the list."
    mg_problem = rules.mg_per_kg_problem(mg_per_kg)
    if mg_problem:
        problems["mg_per_kg"] = mg_problem
    if route in DoseRoute.values:
        minutes_problem = rules.infusion_minutes_problem(route, infusion_minutes)
        if minutes_problem:
            problems["infusion_minutes"] = minutes_problem
    return problems


def _prescribed_lot(clinic_id: int, lot_number: str, dose_day: date) -> tuple[tuple | None, str]:
    """The lot of the register the dose is prescribed from (its expiry and mg on hand), and
    why it cannot be ("" when it can): none chosen, not in the register, or out of date
    on the dose's day."""
    lot = (
        register_lots(clinic_id, lot_number, drug=Drug.KETAMINE).get(lot_number)
        if lot_number
        else None
    )
    if not lot_number:
        return lot, "Choose the lot from the register."
    if lot is None:
        return lot, f"Lot {lot_number} is not in this clinic's register: receive it first."
    return lot, rules.lot_expiry_problem(lot[0], dose_day)


def _recent_weight(
    patient_id: int, dose_day: date, recent_days: int
) -> tuple[BodyMeasurement | None, str]:
    """The patient's latest weight by the dose's day, and why the dose cannot be computed
    from it ("" when it can): none recorded, implausible, or older than `recent_days`."""
    weight = latest_weight(patient_id, dose_day)
    problem = rules.weight_problem(weight.weight_kg if weight else None)
    if not problem:
        problem = rules.weight_age_problem(
            weight.measured_on,
            weight.weight_kg,
            weight.measured_on,
            weight.weight_kg,
            dose_day,
            recent_days,
        )
    return weight, problem


def _refuse_unless_on_hand(lot_number: str, *, on_hand_mg: Decimal, dose_mg: Decimal) -> None:
    """The lot must hold at least the dose."""
    if on_hand_mg < dose_mg:
        raise Refused(
            {
                "lot_number": f"Lot {lot_number} has {substances_rules.mg(on_hand_mg)} on "
                f"hand, less than the dose of {substances_rules.mg(dose_mg)}: "
                "choose another lot."
            }
        )


def _write_prescription(
    locked: DosingRecord, prescription: dict, above_maximum_reason: str, *, by, at: datetime
) -> None:
    """Save the prescription (the drug and `DOSE_FIELDS`) on the locked record, by `by` at
    `at`. A change of any of its fields, or another prescriber, undoes the second
    person's check."""
    before = {name: getattr(locked, name) for name in ("drug", *DOSE_FIELDS)}
    for name, value in prescription.items():
        setattr(locked, name, value)
    locked.above_maximum_reason = above_maximum_reason
    unchanged = before == {name: getattr(locked, name) for name in ("drug", *DOSE_FIELDS)}
    save_prescribed(locked, changed=not unchanged, by=by, at=at)


def save_prescribed(locked: DosingRecord, *, changed: bool, by, at: datetime) -> None:
    """Save the prescription now set on the locked record (the drug, `DOSE_FIELDS` and
    the reason above a maximum) as `by`'s at `at`. A changed prescription, or another
    prescriber, undoes the second person's check. Ketamine and esketamine alike."""
    if changed or locked.prescribed_by_id != by.pk:
        locked.confirmed_by = None
        locked.confirmed_at = None
    locked.prescribed_by = by
    locked.prescribed_at = at
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
    """The gates the dosing record adds (registered with `episodes.gates.registry`): the
    dose prescribed and checked by a second person, and, in the in-session model, the
    therapist present. One query, whatever the record holds; a session whose record is
    not open yet has no dose."""
    clinic = session.patient.clinic
    dose_day = timezone.localdate(dose_at, clinic.zone)
    row = _gate_row(session, dose_day)
    prescription = _prescription_of(row)
    if row is not None and row["drug"] == Drug.ESKETAMINE:
        # A fixed dose in nasal devices: no weight, no per-route maximum.
        passed, message = esketamine_facts.dose_gate_of(row, dose_day)
    else:
        passed, message = rules.dose_gate(
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
    therapist = _therapist_gate(session, row, record_url)
    if therapist is not None:
        found.append(therapist)
    return found


def _gate_row(session: CareSession, dose_day: date) -> dict | None:
    """The record's dose, its prescriber and checker, the therapist present, and the
    patient's latest weight by `dose_day`, in one query; None before the record is
    open."""
    weights = BodyMeasurement.objects.filter(
        patient_id=OuterRef("patient_id"), weight_kg__isnull=False, measured_on__lte=dose_day
    ).order_by("-measured_on", "-recorded_at", "-id")
    return (
        DosingRecord.objects.filter(session_id=session.pk)
        .annotate(
            latest_measured_on=Subquery(weights.values("measured_on")[:1]),
            latest_weight_kg=Subquery(weights.values("weight_kg")[:1]),
            esketamine_given_before=esketamine_facts.given_before(),
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
            "esketamine_given_before",
        )
        .first()
    )


def _prescription_of(row: dict | None) -> rules.Prescription | None:
    """The prescription as the dose gate reads it; None when no dose is prescribed."""
    if row is None or row["dose_mg"] is None:
        return None
    return rules.Prescription(
        route=row["route"],
        calc=rules.DoseCalculation(
            mg_per_kg=row["prescribed_mg_per_kg"],
            weight_kg=row["weight_kg"],
            dose_mg=row["dose_mg"],
        ),
        weight_measured_on=row["weight_measured_on"],
        above_maximum_reason=row["above_maximum_reason"],
        lot_expiry=row["lot_expiry"],
        prescribed_by=_person(row["prescribed_by__full_name"], row["prescribed_by__credentials"]),
        # Checked means `confirmed_at` is set, as everywhere else.
        confirmed_by=(
            _person(row["confirmed_by__full_name"], row["confirmed_by__credentials"])
            if row["confirmed_at"] is not None
            else ""
        ),
    )


def _therapist_gate(session: CareSession, row: dict | None, record_url: str) -> ExtraGate | None:
    """The "therapist present" gate of the in-session model; None for the other models."""
    episode = session.episode
    # Read only where the rule applies, so other models cost no query.
    named = episode.therapist if episode.therapist_id and episode.model == "in_session" else None
    therapist = rules.therapist_gate(
        episode.model,
        bool(row and row["therapist_present"]),
        therapist=named.full_name if named is not None else "",
        present=row["present_therapist__full_name"] or "" if row else "",
        present_is_therapist=bool(row) and row["present_therapist_id"] == episode.therapist_id,
    )
    if therapist is None:
        return None
    return ExtraGate(
        rule=THERAPIST_GATE,
        title=THERAPIST_GATE_TITLE,
        passed=therapist[0],
        message=therapist[1],
        fix_url=record_url + "#setting",
        fix_label="Open the set and setting on the dosing record",
        waivable=False,
    )
