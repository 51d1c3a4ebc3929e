"""The dose and the set and setting, two parts of the dosing record.

- `part_context` / `setting_context` give the record page its parts (`sections.PARTS`): the
  dose with its arithmetic ("0.5 mg/kg × 72.4 kg = 36.2 mg"), the clinic's maximum per
  route, the weight it was computed from, who prescribed and who checked it; the
  prescription form (clinicians; the lot chosen from the register), the second person's
  check (a clinician or nurse other than the prescriber, who types their own email and
  password); the set and setting with its form (clinicians).
- `prescribe`, `confirm` and `setting` (POST) write through `services`, the functions the
  gates read and any other caller uses; on bad input the record page comes back with the
  messages at the fields (422), nothing typed lost. A refusal of the whole record (signed,
  dose started) goes back to the page with the message on top.

Each part runs a fixed number of queries.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.accounts import second_person
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.dose import rules, services
from kapcare.dosing.dose.forms import ConfirmDoseForm, PrescriptionForm, SettingForm
from kapcare.dosing.esketamine import rules as esketamine_rules
from kapcare.dosing.models import DosingRecord, Drug
from kapcare.dosing.substances import rules as substances_rules
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.episodes.models import DoseRoute, SessionStatus
from kapcare.episodes.rules import IN_SESSION
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems


def _is_open(record: DosingRecord) -> bool:
    """The dose may still be prescribed and checked: not signed, not started."""
    return (
        not record.is_signed
        and record.session.status == SessionStatus.PLANNED
        and record.dose_started_at is None
    )


def calculation_of(record: DosingRecord) -> rules.DoseCalculation | None:
    """The mg/kg arithmetic of a ketamine dose (None before one is prescribed, and for
    esketamine's fixed dose in devices)."""
    if record.dose_mg is None or record.prescribed_mg_per_kg is None:
        return None
    return rules.DoseCalculation(
        mg_per_kg=record.prescribed_mg_per_kg, weight_kg=record.weight_kg, dose_mg=record.dose_mg
    )


def esketamine_dose_text(record: DosingRecord) -> str:
    """An esketamine dose in words ("esketamine 84 mg, 3 devices of 28 mg"); "" if none."""
    if record.drug != Drug.ESKETAMINE or record.dose_mg is None:
        return ""
    devices = esketamine_rules.devices_for(record.dose_mg)
    return f"esketamine {record.dose_mg.normalize():f} mg, {devices} devices of 28 mg"


def _weight_and_cap_problems(record: DosingRecord, calc, latest, dose_day) -> tuple[str, list]:
    """What stands against a prescribed dose (the age of the weight it was computed from, the
    route's maximum) or, before one is prescribed, against the patient's latest weight."""
    clinic = record.patient.clinic
    if record.drug == Drug.ESKETAMINE:
        return "", []  # a fixed dose in devices: no weight, no cap
    if calc is not None:
        weight_problem = rules.weight_age_problem(
            record.weight_measured_on,
            record.weight_kg,
            latest.measured_on if latest else None,
            latest.weight_kg if latest else None,
            dose_day,
            clinic.weight_recent_days,
        )
        return weight_problem, rules.cap_problems(calc, services.dose_caps(clinic, record.route))
    weight_problem = rules.weight_problem(latest.weight_kg if latest else None)
    if latest is not None and not weight_problem:
        weight_problem = rules.weight_age_problem(
            latest.measured_on,
            latest.weight_kg,
            latest.measured_on,
            latest.weight_kg,
            dose_day,
            clinic.weight_recent_days,
        )
    return weight_problem, []


def _what_user_may_do(user, record: DosingRecord) -> dict:
    """Whether the dose is still open, and whether `user` may prescribe or check it."""
    session = record.session
    is_open = _is_open(record)
    return {
        "is_open": is_open,
        "is_prescriber": record.prescribed_by_id is not None and record.prescribed_by_id == user.pk,
        "can_prescribe": is_open and policy.can(user, Action.PRESCRIBE_DOSE, session),
        "can_confirm": is_open
        and record.dose_mg is not None
        and not record.is_confirmed
        and policy.can(user, Action.CONFIRM_DOSE, session),
    }


def part_context(request: HttpRequest, record: DosingRecord) -> dict:
    clinic = record.patient.clinic
    dose_day = services.dose_day_of(record.session)
    latest = services.latest_weight(record.patient_id, dose_day)
    calc = calculation_of(record)
    weight_problem, above = _weight_and_cap_problems(record, calc, latest, dose_day)
    may = _what_user_may_do(request.user, record)
    return {
        "record": record,
        "calc": calc,
        "dose_text": calc.arithmetic if calc is not None else esketamine_dose_text(record),
        "route_label": DoseRoute(record.route).label if record.route else "",
        "is_iv": record.route == DoseRoute.IV,
        "above": above,
        "caps": [
            (route.label, services.dose_caps(clinic, route), route == record.route)
            for route in DoseRoute
        ],
        # For the live arithmetic as the dose is typed (static/kapcare/dose-arithmetic.js).
        "caps_by_route": [(route.value, services.dose_caps(clinic, route)) for route in DoseRoute],
        "latest_weight": latest,
        "weight_problem": weight_problem,
        "body_measurement_url": reverse(
            "patients:body_measurement_create", args=[record.patient.external_id]
        ),
        "prescribed_by": record.prescribed_by if record.prescribed_by_id else None,
        "confirmed_by": record.confirmed_by if record.confirmed_by_id else None,
        **may,
        "form": PrescriptionForm(
            initial=PrescriptionForm.initial_from(record, clinic.infusion_minutes),
            lots=register_lots(record),
        )
        if may["can_prescribe"]
        else None,
        "confirm_form": confirm_form_for(record) if may["can_confirm"] else None,
    }


def setting_context(request: HttpRequest, record: DosingRecord) -> dict:
    session = record.session
    can_record = not record.is_signed and policy.can(
        request.user, Action.RECORD_SET_AND_SETTING, session
    )
    appointment = session.appointment if session.appointment_id else None
    return {
        "record": record,
        "room": appointment.room if appointment and appointment.room_id else None,
        "therapist_required": session.episode.model == IN_SESSION,
        "can_record": can_record,
        "form": SettingForm(initial=SettingForm.initial_from(record)) if can_record else None,
    }


def register_lots(record: DosingRecord, drug: str = Drug.KETAMINE) -> list[tuple[str, str]]:
    """The lots of `drug` with some on hand in the record's clinic's register (and the lot
    the record names), latest expiry first, each with its expiry and what is on hand, as
    choices."""
    return [
        (
            number,
            f"{number} — expires {expiry:%b} {expiry.day}, {expiry.year}, "
            f"{substances_rules.mg(on_hand)} on hand"
            if expiry
            else f"{number} — no expiry recorded, {substances_rules.mg(on_hand)} on hand",
        )
        for number, (expiry, on_hand) in substances_services.register_lots(
            record.clinic_id, drug=drug, in_stock=True, keep=record.lot_number
        ).items()
    ]


def confirm_form_for(record: DosingRecord, data=None) -> ConfirmDoseForm:
    return ConfirmDoseForm(data, initial={"prescribed_at": record.prescribed_at.isoformat()})


@require_POST
@allowed(Action.PRESCRIBE_DOSE)
def prescribe(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.PRESCRIBE_DOSE, log_as=None)
    form = PrescriptionForm(request.POST, lots=register_lots(record))
    if form.is_valid():
        try:
            record = services.prescribe_dose(
                actor=Actor.from_request(request), record=record, **form.arguments()
            )
        except Refused as refusal:
            if set(refusal.problems) == {"__all__"}:
                messages.error(request, refusal.problems["__all__"])
                return back_to_record(record, "#dose")
            add_problems(form, refusal.problems)
        else:
            messages.success(
                request,
                f"Dose prescribed: {calculation_of(record).arithmetic}. A second clinician "
                "or nurse checks it next.",
            )
            return back_to_record(record, "#dose")
    return render_refused(request, record, dose={"form": form})


@require_POST
@allowed(Action.CONFIRM_DOSE)
def confirm(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.CONFIRM_DOSE, log_as=None)
    form = confirm_form_for(record, request.POST)
    if form.is_valid():
        try:
            checker = second_person.confirm_second_person(
                request,
                email=form.cleaned_data["second_email"],
                password=form.cleaned_data["second_password"],
                # The checker may be who is signed in, never the prescriber.
                acting_user=record.prescribed_by,
            )
            services.confirm_dose(
                actor=Actor.from_request(request),
                record=record,
                checker=checker,
                prescribed_at=form.cleaned_data["prescribed_at"],
            )
        except Refused as refusal:
            if set(refusal.problems) == {"__all__"}:
                messages.error(request, refusal.problems["__all__"])
                return back_to_record(record, "#dose")
            add_problems(form, refusal.problems)
        else:
            messages.success(request, "Dose checked: it may start once every gate passes.")
            return back_to_record(record, "#dose")
    elif "prescribed_at" in form.errors:
        messages.error(request, "Open the dose again and check it.")
        return back_to_record(record, "#dose")
    return render_refused(request, record, dose={"confirm_form": form})


@require_POST
@allowed(Action.RECORD_SET_AND_SETTING)
def setting(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_SET_AND_SETTING, log_as=None)
    form = SettingForm(request.POST)
    if form.is_valid():
        try:
            services.record_set_and_setting(
                actor=Actor.from_request(request), record=record, data=form.to_input()
            )
        except Refused as refusal:
            if set(refusal.problems) == {"__all__"}:
                messages.error(request, refusal.problems["__all__"])
                return back_to_record(record, "#setting")
            add_problems(form, refusal.problems)
        else:
            messages.success(request, "Set and setting saved.")
            return back_to_record(record, "#setting")
    return render_refused(request, record, setting={"form": form})
