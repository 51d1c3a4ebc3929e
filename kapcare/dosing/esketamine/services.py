"""Writes and reads of esketamine's part of the dosing record, each write in one
transaction with its access-log row; the pages and the API call these.

- `record_enrolment`: a clinician records the patient's Spravato REMS enrolment.
- `prescribe`: a clinician prescribes 56 or 84 mg (56 mg at the patient's first treatment)
  from a lot of esketamine in the register;
  the second person's check is the dose's own (`dosing.dose.services.confirm_dose`).
- `record_device`: a clinician records each 28 mg device as the patient takes it, at least
  5 minutes apart; each comes out of the register (drawn and given). The first starts the
  dose, the last ends it.
- `record_resolution`: a clinician records whether sedation, dissociation and respiratory
  depression have resolved; the discharge reads the last one (`effects_facts`).
- `mark_form_submitted`: the REMS Patient Monitoring Form was sent, with its confirmation.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.esketamine import facts, rules
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosingRecord,
    Drug,
    NasalDevice,
    RemsEnrolment,
    RemsFormSubmission,
    ResolutionCheck,
    SubstanceEntryKind,
)
from kapcare.dosing.substances import lots
from kapcare.dosing.substances import services as substances_services
from kapcare.episodes.gates.registry import ExtraGate
from kapcare.episodes.models import DoseRoute
from kapcare.refusals import Refused

REMS_GATE = "rems_enrolment"
REMS_GATE_TITLE = "Spravato REMS patient enrolment"
ENROLMENT_ID_MAX = RemsEnrolment._meta.get_field("enrolment_id").max_length
CONFIRMATION_MAX = RemsFormSubmission._meta.get_field("confirmation").max_length


def _refuse_unless_clinician(actor: Actor, clinic_id: int, what: str) -> None:
    user = actor.user
    if getattr(user, "role", None) != Role.CLINICIAN or user.clinic_id != clinic_id:
        raise Refused({"__all__": f"Only a clinician of the clinic may {what}."})


# --- The clinic's drugs -------------------------------------------------------------------


def drugs_of(clinic) -> list[dict]:
    """The drugs `clinic` gives, as the API lists them: ketamine always, esketamine when
    the clinic enabled it (and is REMS-certified)."""
    drugs = [
        {
            "id": Drug.KETAMINE.value,
            "name": Drug.KETAMINE.label,
            "routes": list(DoseRoute.values),
            "min_observation_minutes": clinic.discharge_observation_minutes,
            "rems": False,
        }
    ]
    if is_esketamine_enabled(clinic):
        drugs.append(
            {
                "id": Drug.ESKETAMINE.value,
                "name": Drug.ESKETAMINE.label,
                "routes": [DoseRoute.INTRANASAL.value],
                "min_observation_minutes": clinic.esketamine_observation_minutes,
                "rems": True,
            }
        )
    return drugs


def is_esketamine_enabled(clinic) -> bool:
    """Enabled, and certified: a setting saved before the certification was withdrawn
    does not make the clinic a certified setting."""
    return bool(clinic.esketamine_enabled and clinic.rems_certification_id)


# --- REMS enrolment -----------------------------------------------------------------------


def record_enrolment(*, actor: Actor, patient, enrolment_id: str, enrolled_on: date | None):
    """Record that `patient` is enrolled in the Spravato REMS (once; kept)."""
    _refuse_unless_clinician(actor, patient.clinic_id, "record a REMS enrolment")
    enrolment_id = (enrolment_id or "").strip()
    problems = {}
    if not enrolment_id:
        problems["enrolment_id"] = "Enter the patient's REMS enrolment id."
    elif len(enrolment_id) > ENROLMENT_ID_MAX:
        problems["enrolment_id"] = f"An enrolment id has at most {ENROLMENT_ID_MAX} characters."
    today = timezone.localdate(timezone.now(), patient.clinic.zone)
    if enrolled_on is None:
        problems["enrolled_on"] = "Enter the day the patient was enrolled."
    elif enrolled_on > today:
        problems["enrolled_on"] = "This day is still to come: enter the day of the enrolment."
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            enrolment = RemsEnrolment.objects.create(
                patient=patient,
                clinic_id=patient.clinic_id,
                enrolment_id=enrolment_id,
                enrolled_on=enrolled_on,
                recorded_by=actor.user,
            )
            record_access(actor, AccessAction.CREATE, patient=patient, obj=enrolment)
    except IntegrityError:
        raise Refused({"__all__": "The patient's REMS enrolment is already recorded."}) from None
    return enrolment


def rems_gates(session, dose_at: datetime) -> list[ExtraGate]:
    """The gate esketamine adds (registered with `episodes.gates.registry`): the patient's
    REMS enrolment, for a session whose dose is esketamine. One query, two for esketamine."""
    drug = DosingRecord.objects.filter(session_id=session.pk).values_list("drug", flat=True).first()
    if drug != Drug.ESKETAMINE:
        return []
    enrolment = (
        RemsEnrolment.objects.filter(patient_id=session.patient_id)
        .values_list("enrolment_id", "enrolled_on")
        .first()
    )
    dose_day = timezone.localdate(dose_at, session.patient.clinic.zone)
    passed, message = rules.rems_enrolment_gate(*(enrolment or (None, None)), dose_day)
    return [
        ExtraGate(
            rule=REMS_GATE,
            title=REMS_GATE_TITLE,
            passed=passed,
            message=message,
            fix_url=reverse("esketamine:enrolment", args=[session.patient.external_id]),
            fix_label="Record the REMS enrolment",
            waivable=False,
        )
    ]


# --- The dose -----------------------------------------------------------------------------


def prescribe(
    *, actor: Actor, record: DosingRecord, dose_mg: Decimal | None, lot_number: str, now=None
) -> DosingRecord:
    """A clinician prescribes esketamine: 56 or 84 mg intranasal (56 mg when the patient was
    never given esketamine: the label's first induction dose), from a lot of esketamine in
    the register, in date on the dose's day, with the dose on hand. Like any dose it
    needs a second person's check, which a change undoes."""
    _refuse_unless_clinician(actor, record.clinic_id, "prescribe a dose")
    now = now or timezone.now()
    lot_number = (lot_number or "").strip()
    problems: dict[str, str] = {}
    if not is_esketamine_enabled(record.patient.clinic):
        raise Refused(
            {"__all__": "This clinic does not give esketamine: enable it in the clinic settings."}
        )
    dose_problem = rules.dose_problem(dose_mg)
    if dose_problem:
        problems["dose_mg"] = dose_problem
    with transaction.atomic():
        session, locked = dose_services._locked_for_dose(record)
        first_problem = "" if dose_problem else _first_dose_problem(locked, dose_mg)
        if first_problem:
            problems["dose_mg"] = first_problem
        lot, problem = _prescribed_lot(
            locked.clinic_id,
            lot_number,
            dose_services.dose_day_of(session),
            dose_mg=None if dose_problem else dose_mg,
        )
        if problem:
            problems["lot_number"] = problem
        if problems:
            raise Refused(problems)
        _write_prescription(locked, dose_mg, lot_number, lot_expiry=lot[0], by=actor.user, at=now)
        record_access(actor, AccessAction.UPDATE, patient=session.patient, obj=locked)
    return locked


def _first_dose_problem(record: DosingRecord, dose_mg: Decimal) -> str:
    """The label's first treatment at 56 mg, for a patient never given esketamine before."""
    return rules.first_dose_problem(dose_mg, treated_before=facts.was_given_before(record))


def _prescribed_lot(
    clinic_id: int, lot_number: str, dose_day: date, *, dose_mg: Decimal | None
) -> tuple[tuple | None, str]:
    """The lot of esketamine the dose is prescribed from (its expiry and mg on hand), and
    why it cannot be ("" when it can): none chosen, not esketamine of the clinic's
    register, expired on the dose's day, or less on hand than `dose_mg` (None: not
    compared)."""
    if not lot_number:
        return None, "Choose the lot of devices from the register."
    lot = substances_services.register_lots(clinic_id, lot_number, drug=Drug.ESKETAMINE).get(
        lot_number
    )
    if lot is None:
        return None, (
            f"Lot {lot_number} is not esketamine of this clinic's register: receive it first."
        )
    if lot[0] is None or lot[0] < dose_day:
        return lot, f"Lot {lot_number} has expired: choose a lot in date."
    if dose_mg is not None and lot[1] < dose_mg:
        return lot, (
            f"Lot {lot_number} has {lot[1].normalize():f} mg on hand, less than the dose: "
            "choose another lot."
        )
    return lot, ""


def _write_prescription(
    locked: DosingRecord, dose_mg: Decimal, lot_number: str, *, lot_expiry, by, at: datetime
) -> None:
    """Save the esketamine dose on the locked record, by `by` at `at`: intranasal, with no
    weight, infusion time or reason above a maximum. A change of drug, dose or lot, or
    another prescriber, undoes the second person's check."""
    changed = (locked.drug, locked.dose_mg, locked.lot_number) != (
        Drug.ESKETAMINE,
        dose_mg,
        lot_number,
    )
    locked.drug = Drug.ESKETAMINE
    locked.route = DoseRoute.INTRANASAL
    locked.prescribed_mg_per_kg = None
    locked.weight_kg = None
    locked.weight_measured_on = None
    locked.infusion_minutes = None
    locked.above_maximum_reason = ""
    locked.dose_mg = dose_mg
    locked.lot_number = lot_number
    locked.lot_expiry = lot_expiry
    dose_services.save_prescribed(locked, changed=changed, by=by, at=at)


def record_device(*, actor: Actor, record: DosingRecord, at: datetime | None = None):
    """Record the next 28 mg device as taken at `at` (now by default), while the session is
    under way, the dose checked and the patient REMS-enrolled; the device comes out of the
    prescribed lot (drawn and given in the register). The first device starts the dose,
    the last ends it."""
    _refuse_unless_clinician(actor, record.clinic_id, "record a nasal device")
    now = timezone.now()
    at = at or now
    with transaction.atomic():
        locked = recording.lock_for_events(record)
        _refuse_unless_ready_for_devices(locked)
        given = list(NasalDevice.objects.filter(record_id=locked.pk).order_by("number"))
        prescribed = rules.devices_for(locked.dose_mg)
        problem = rules.device_problem(
            devices_given=len(given),
            devices_prescribed=prescribed,
            previous_given_at=given[-1].given_at if given else None,
            at=at,
            now=now,
            zone=locked.patient.clinic.zone,
        )
        if not problem and at < locked.session.started_at.replace(second=0, microsecond=0):
            problem = "This is before the session started."
        if problem:
            raise Refused({"at": problem})
        device = NasalDevice.objects.create(
            record=locked,
            patient_id=locked.patient_id,
            number=len(given) + 1,
            amount_mg=rules.DEVICE_MG,
            lot_number=locked.lot_number,
            given_at=at,
            recorded_by=actor.user,
        )
        _draw_device(actor, locked, device, prescribed)
        fields = []
        if device.number == 1:
            locked.dose_started_at = at
            fields.append("dose_started_at")
        if device.number == prescribed:
            locked.dose_ended_at = at
            fields.append("dose_ended_at")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=device)
    return device


def _refuse_unless_ready_for_devices(locked: DosingRecord) -> None:
    """Devices are taken while the session is under way, once an esketamine dose is
    prescribed and checked and the patient's REMS enrolment is recorded."""
    recording.refuse_unless_under_way(locked, "devices are recorded")
    if locked.drug != Drug.ESKETAMINE or locked.dose_mg is None:
        raise Refused({"__all__": "No esketamine dose is prescribed on this record."})
    if not locked.is_confirmed:
        raise Refused({"__all__": "A second clinician or nurse checks the dose first."})
    if not RemsEnrolment.objects.filter(patient_id=locked.patient_id).exists():
        raise Refused({"__all__": "The patient's REMS enrolment is not recorded."})


def _draw_device(actor: Actor, locked: DosingRecord, device, prescribed: int) -> None:
    """The device comes out of the prescribed lot: drawn and given in the register, each
    line naming the lot as the DEA's records do (drug, strength, form)."""
    identity = {**lots.lot_identity(locked.clinic_id, locked.lot_number)}
    identity["drug"] = Drug.ESKETAMINE
    for kind in (SubstanceEntryKind.DRAWN, SubstanceEntryKind.GIVEN):
        entry = ControlledSubstanceEntry.objects.create(
            **identity,
            clinic_id=locked.clinic_id,
            lot_number=locked.lot_number,
            lot_expiry=locked.lot_expiry,
            kind=kind,
            amount_mg=rules.DEVICE_MG,
            record=locked,
            patient_id=locked.patient_id,
            recorded_by=actor.user,
            note=f"Nasal device {device.number} of {prescribed}",
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=entry)
    lots.restate(locked.clinic, [locked.lot_number])


# --- Effects and discharge ----------------------------------------------------------------


def record_resolution(
    *,
    actor: Actor,
    record: DosingRecord,
    sedation_resolved: bool,
    dissociation_resolved: bool,
    respiratory_depression_resolved: bool,
    checked_at: datetime | None = None,
):
    """A clinician records whether esketamine's effects have resolved, after the dose."""
    _refuse_unless_clinician(actor, record.clinic_id, "record whether the effects resolved")
    now = timezone.now()
    checked_at = checked_at or now
    with transaction.atomic():
        locked = recording.lock_for_events(record)
        recording.refuse_unless_under_way(locked, "the effects are checked")
        if locked.drug != Drug.ESKETAMINE:
            raise Refused({"__all__": "This record's dose is not esketamine."})
        if locked.dose_started_at is None:
            raise Refused({"__all__": "No device is recorded yet: there is nothing to check."})
        if checked_at > now:
            raise Refused({"checked_at": "This time is still to come."})
        if checked_at < locked.dose_started_at:
            raise Refused({"checked_at": "This is before the first device."})
        check = ResolutionCheck.objects.create(
            record=locked,
            checked_at=checked_at,
            sedation_resolved=sedation_resolved,
            dissociation_resolved=dissociation_resolved,
            respiratory_depression_resolved=respiratory_depression_resolved,
            checked_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=check)
    return check


# --- The REMS Patient Monitoring Form -----------------------------------------------------


@dataclass(frozen=True)
class FormDue:
    record: DosingRecord
    due_on: date
    state: str


def form_due_on(record: DosingRecord) -> date:
    clinic = record.patient.clinic
    day = timezone.localdate(record.session.planned_start, clinic.zone)
    return rules.form_due_on(day, clinic.rems_form_due_days)


def forms_of(clinic, today: date | None = None) -> list[FormDue]:
    """Every esketamine session given at `clinic` whose form is not sent yet, with its due
    day, the oldest first. One query."""
    today = today or timezone.localdate(timezone.now(), clinic.zone)
    records = (
        DosingRecord.objects.filter(
            clinic_id=clinic.pk,
            drug=Drug.ESKETAMINE,
            dose_started_at__isnull=False,
            rems_submission__isnull=True,
        )
        .select_related("session", "patient__clinic")
        .order_by("session__planned_start", "id")
    )
    found = []
    for record in records:
        due_on = form_due_on(record)
        found.append(FormDue(record, due_on, rules.form_state(due_on, False, today)))
    return found


def rems_forms_for_home(user) -> dict | None:
    """What a staff home shows of the REMS forms: how many are overdue and due, at a
    clinic that gives esketamine or has given it (None elsewhere)."""
    clinic = user.clinic
    forms = forms_of(clinic)
    if not forms and not is_esketamine_enabled(clinic):
        return None
    overdue = sum(1 for form in forms if form.state == rules.FORM_OVERDUE)
    return {"overdue": overdue, "due": len(forms) - overdue}


def mark_form_submitted(
    *, actor: Actor, record: DosingRecord, confirmation: str, submitted_at: datetime | None = None
):
    """Record that the session's REMS Patient Monitoring Form was sent (once)."""
    user = actor.user
    if (
        getattr(user, "role", None) not in (Role.CLINICIAN, Role.NURSE, Role.COORDINATOR)
        or user.clinic_id != record.clinic_id
    ):
        raise Refused({"__all__": "Only the clinic's staff may record a REMS submission."})
    now = timezone.now()
    submitted_at = submitted_at or now
    confirmation = (confirmation or "").strip()
    problems = {}
    if record.drug != Drug.ESKETAMINE or record.dose_started_at is None:
        problems["__all__"] = "Only a session where esketamine was given has a REMS form."
    if not confirmation:
        problems["confirmation"] = "Enter the confirmation number the REMS gave."
    elif len(confirmation) > CONFIRMATION_MAX:
        problems["confirmation"] = f"At most {CONFIRMATION_MAX} characters."
    if submitted_at > now:
        problems["submitted_at"] = "This time is still to come."
    elif record.dose_started_at is not None and submitted_at < record.dose_started_at:
        problems["submitted_at"] = "This is before the dose was given."
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            submission = RemsFormSubmission.objects.create(
                record=record,
                submitted_at=submitted_at,
                confirmation=confirmation,
                submitted_by=user,
            )
            record_access(actor, AccessAction.CREATE, patient=record.patient, obj=submission)
    except IntegrityError:
        raise Refused(
            {"__all__": "This session's REMS form is already recorded as sent."}
        ) from None
    return submission
