"""Esketamine's pages.

- `part_context` gives the dosing record page esketamine's part (`sections.PARTS`), for a
  record whose dose is esketamine or at a clinic that gives it: the REMS enrolment, the
  prescription (56 or 84 mg from a lot of the register), the devices as taken, the blood
  pressures the REMS form asks for (missing ones flagged), the check that the effects
  resolved, and the REMS form with its submission.
- `prescribe`, `device`, `resolution` and `submission` (POST) write through `services`; on
  bad input the record page comes back with the messages at the fields (422).
- `enrolment`: the patient's REMS enrolment, recorded by a clinician.
- `form_pdf`: the REMS Patient Monitoring Form of a session, filled from the record.
- `forms_list`: the clinic's REMS forms still to send, overdue first.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare import policy
from kapcare.audit.log import Actor, record_list_access
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.dose.views import register_lots
from kapcare.dosing.esketamine import facts, pdf, rules, services
from kapcare.dosing.esketamine.forms import (
    DeviceForm,
    EnrolmentForm,
    EsketaminePrescriptionForm,
    ResolutionForm,
    SubmissionForm,
)
from kapcare.dosing.events.forms import on_day
from kapcare.dosing.models import DosingRecord, Drug, RemsEnrolment, RemsFormSubmission
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.episodes.models import SessionStatus
from kapcare.patients.access import get_patient_for_form, log_redisplay
from kapcare.policy import Action
from kapcare.refusals import submit

ANCHOR = "#esketamine"


def _is_open(record: DosingRecord) -> bool:
    return (
        not record.is_signed
        and record.session.status == SessionStatus.PLANNED
        and record.dose_started_at is None
    )


def _is_under_way(record: DosingRecord) -> bool:
    return (
        not record.is_signed
        and record.session.status == SessionStatus.IN_PROGRESS
        and record.discharged_at is None
    )


def _rems_form_context(user, record: DosingRecord, given: bool) -> dict:
    """The REMS Patient Monitoring Form once the dose is given: when it is due, whether it
    was submitted, and the form to record its submission."""
    if not given:
        return {"due_on": None, "form_state": "", "submission": None, "submission_form": None}
    submission = RemsFormSubmission.objects.filter(record_id=record.pk).first()
    due_on = services.form_due_on(record)
    today = timezone.localdate(timezone.now(), record.patient.clinic.zone)
    return {
        "due_on": due_on,
        "form_state": rules.form_state(due_on, submission is not None, today),
        "submission": submission,
        "submission_form": SubmissionForm()
        if submission is None and policy.can(user, Action.RECORD_REMS_SUBMISSION)
        else None,
    }


def _action_urls(record: DosingRecord) -> dict:
    session_id = record.session.external_id
    return {
        "prescribe_url": reverse("esketamine:prescribe", args=[session_id]),
        "device_url": reverse("esketamine:device", args=[session_id]),
        "resolution_url": reverse("esketamine:resolution", args=[session_id]),
        "pdf_url": reverse("esketamine:form_pdf", args=[session_id]),
        "submission_url": reverse("esketamine:submission", args=[session_id]),
    }


def part_context(request: HttpRequest, record: DosingRecord) -> dict | None:
    clinic = record.patient.clinic
    is_esketamine = record.drug == Drug.ESKETAMINE
    if not is_esketamine and not services.is_esketamine_enabled(clinic):
        return None
    user, session = request.user, record.session
    enrolment = RemsEnrolment.objects.filter(patient_id=record.patient_id).first()
    devices = list(record.nasal_devices.select_related("recorded_by")) if is_esketamine else []
    prescribed = rules.devices_for(record.dose_mg) if is_esketamine and record.dose_mg else 0
    checks = list(record.resolution_checks.select_related("checked_by")) if is_esketamine else []
    can_prescribe = (
        _is_open(record)
        and services.is_esketamine_enabled(clinic)
        and policy.can(user, Action.PRESCRIBE_ESKETAMINE, session)
    )
    can_give = (
        is_esketamine
        and _is_under_way(record)
        and record.is_confirmed
        and len(devices) < prescribed
        and policy.can(user, Action.GIVE_NASAL_DEVICE, session)
    )
    can_check = (
        is_esketamine
        and _is_under_way(record)
        and record.dose_started_at is not None
        and policy.can(user, Action.RECORD_EFFECTS_RESOLVED, session)
    )
    given = is_esketamine and record.dose_started_at is not None
    return {
        "record": record,
        "is_esketamine": is_esketamine,
        "enrolment": enrolment,
        "enrolment_url": reverse("esketamine:enrolment", args=[record.patient.external_id]),
        "can_enrol": enrolment is None and policy.can(user, Action.RECORD_REMS_ENROLMENT),
        "devices": devices,
        "devices_prescribed": prescribed,
        "minutes_between": rules.MINUTES_BETWEEN_DEVICES,
        "blood_pressures": facts.blood_pressure_checks(record, timezone.now()) if given else [],
        "checks": checks,
        "form": EsketaminePrescriptionForm(
            initial={"dose_mg": str(record.dose_mg) if is_esketamine else ""},
            lots=register_lots(record, Drug.ESKETAMINE),
        )
        if can_prescribe
        else None,
        "device_form": DeviceForm() if can_give else None,
        "resolution_form": ResolutionForm() if can_check else None,
        "given": given,
        **_rems_form_context(user, record, given),
        **_action_urls(record),
    }


def _again(request: HttpRequest, record: DosingRecord, key: str, form) -> HttpResponse:
    """After `submit` refused `form`: the record page again (422) with the messages at the
    fields, nothing typed lost. A refusal of the whole record (signed, not under way), for
    which the part may no longer show the form, goes back to the record with the message on
    top, as the dose's forms do."""
    whole = form.errors.get("__all__")
    if whole and len(form.errors) == 1:
        messages.error(request, " ".join(whole))
        return back_to_record(record, ANCHOR)
    return render_refused(request, record, esketamine={key: form})


@require_POST
@allowed(Action.PRESCRIBE_ESKETAMINE)
def prescribe(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.PRESCRIBE_ESKETAMINE, log_as=None)
    form = EsketaminePrescriptionForm(request.POST, lots=register_lots(record, Drug.ESKETAMINE))

    def write(data):
        return services.prescribe(
            actor=Actor.from_request(request), record=record, **form.arguments()
        )

    prescribed = submit(form, write)
    if prescribed is None:
        return _again(request, record, "form", form)
    messages.success(
        request,
        f"Esketamine {prescribed.dose_mg.normalize():f} mg prescribed. A second clinician or "
        "nurse checks it next.",
    )
    return back_to_record(record, ANCHOR)


@require_POST
@allowed(Action.GIVE_NASAL_DEVICE)
def device(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.GIVE_NASAL_DEVICE, log_as=None)
    form = DeviceForm(request.POST)
    zone = record.patient.clinic.zone
    day = timezone.localdate(record.session.planned_start, zone)

    def write(data):
        return services.record_device(
            actor=Actor.from_request(request), record=record, at=on_day(data["at"], day, zone)
        )

    taken = submit(form, write)
    if taken is None:
        return _again(request, record, "device_form", form)
    messages.success(request, f"Device {taken.number} recorded.")
    return back_to_record(record, ANCHOR)


@require_POST
@allowed(Action.RECORD_EFFECTS_RESOLVED)
def resolution(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_EFFECTS_RESOLVED, log_as=None)
    form = ResolutionForm(request.POST)  # three boxes: always valid

    def write(data):
        return services.record_resolution(actor=Actor.from_request(request), record=record, **data)

    if submit(form, write) is None:
        return _again(request, record, "resolution_form", form)
    messages.success(request, "The check of esketamine's effects is recorded.")
    return back_to_record(record, ANCHOR)


@require_POST
@allowed(Action.RECORD_REMS_SUBMISSION)
def submission(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_REMS_SUBMISSION, log_as=None)
    form = SubmissionForm(request.POST)

    def write(data):
        return services.mark_form_submitted(
            actor=Actor.from_request(request), record=record, confirmation=data["confirmation"]
        )

    if submit(form, write) is None:
        return _again(request, record, "submission_form", form)
    messages.success(request, "The REMS form is recorded as sent.")
    return back_to_record(record, ANCHOR)


@require_GET
@allowed(Action.VIEW_REMS_FORMS)
def form_pdf(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.VIEW_REMS_FORMS)
    if record.drug != Drug.ESKETAMINE or record.dose_started_at is None:
        messages.error(request, "Only a session where esketamine was given has a REMS form.")
        return back_to_record(record, ANCHOR)
    response = HttpResponse(pdf.monitoring_form_pdf(record), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.filename(record)}"'
    return response


@require_http_methods(["GET", "POST"])
@allowed(Action.RECORD_REMS_ENROLMENT)
def enrolment(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient_for_form(request, patient_id, Action.RECORD_REMS_ENROLMENT)
    existing = RemsEnrolment.objects.filter(patient_id=patient.pk).first()
    form = EnrolmentForm(request.POST if request.method == "POST" and not existing else None)
    status = 200
    if form.is_bound:

        def write(data):
            return services.record_enrolment(
                actor=Actor.from_request(request), patient=patient, **data
            )

        if submit(form, write) is not None:
            messages.success(request, "The REMS enrolment is recorded.")
            return redirect(reverse("patients:chart", args=[patient.external_id]))
        log_redisplay(request, patient)
        status = 422
    return render(
        request,
        "dosing/esketamine/enrolment.html",
        {"patient": patient, "enrolment": existing, "form": form},
        status=status,
    )


@require_GET
@allowed(Action.VIEW_REMS_FORMS)
def forms_list(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    forms = services.forms_of(clinic)
    record_list_access(Actor.from_request(request), [form.record.patient for form in forms])
    return render(
        request,
        "dosing/esketamine/forms.html",
        {
            "clinic": clinic,
            "overdue": [form for form in forms if form.state == rules.FORM_OVERDUE],
            "due": [form for form in forms if form.state == rules.FORM_DUE],
            "due_days": clinic.rems_form_due_days,
        },
    )
