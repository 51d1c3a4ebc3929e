"""The discharge part of the dosing record.

- `discharge_context` gives the record page what is still unmet in words, the last
  discharge check, the check's form (the modified Aldrete items with their worded scores)
  and the discharge button with a clinician's override.
- The POST views write through `services` (which log inside their transaction) and go
  back to the record page; on bad input or a refusal the record page comes back with the
  messages at the fields (422) and nothing typed lost, and the redisplay is logged.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.accounts import second_person, step_up
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.discharge import services
from kapcare.dosing.discharge.forms import DischargeCheckForm, DischargeForm
from kapcare.dosing.events.views import is_under_way
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.policy import Action
from kapcare.refusals import Refused, submit

# --- The part of the record page ------------------------------------------------------------


def discharge_context(request: HttpRequest, record: DosingRecord) -> dict:
    """The discharge part: what is unmet, the last check and the forms."""
    status = services.discharge_status(record, timezone.now())
    clinic = record.patient.clinic
    session_id = record.session.external_id
    can_discharge = (
        not record.is_signed
        and is_under_way(record)
        and policy.can(request.user, Action.DISCHARGE_PATIENT, record)
    )
    return {
        "record": record,
        "status": status,
        "facts": status.facts,
        "settings": services.discharge_settings(clinic, record.drug),
        "assessment": status.assessment,
        "is_discharged": record.discharged_at is not None,
        "can_discharge": can_discharge,
        # Blank every time: each check is made afresh at the bedside, not copied.
        "check_form": DischargeCheckForm(),
        # Whether to ask for a code or the password costs a query: only when it may be asked.
        "discharge_form": DischargeForm(user=request.user) if can_discharge else None,
        "check_url": reverse("discharge:assessment", args=[session_id]),
        "discharge_url": reverse("discharge:discharge", args=[session_id]),
    }


# --- Writes ------------------------------------------------------------------------------------


@require_POST
@allowed(Action.DISCHARGE_PATIENT)
def assessment(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.DISCHARGE_PATIENT, log_as=None)
    form = DischargeCheckForm(request.POST)

    def write(data):
        return services.record_discharge_assessment(
            actor=Actor.from_request(request), record=record, data=form.to_input()
        )

    if submit(form, write) is not None:
        messages.success(request, "Discharge check recorded.")
        return back_to_record(record, "#discharge")
    return render_refused(request, record, discharge={"check_form": form})


@require_POST
@allowed(Action.DISCHARGE_PATIENT)
def discharge(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.DISCHARGE_PATIENT, log_as=None)
    form = DischargeForm(request.POST, user=request.user)

    def write(data):
        second = (
            second_person.confirm_second_person(
                request,
                email=data["second_email"],
                password=data["second_password"],
                acting_user=request.user,
            )
            if form.has_second_person
            else None
        )
        try:
            return services.discharge(
                actor=Actor.from_request(request),
                record=record,
                override_reason=data["override_reason"],
                second=second,
                reauthentication=data[step_up.FIELD],
            )
        except services.DischargeRefused as refusal:
            unmet = len(refusal.unmet)
            raise Refused(
                {
                    "override_reason": f"Not discharged: {unmet} "
                    f"criteri{'on is' if unmet == 1 else 'a are'} unmet (listed "
                    "above). Meet them, or write why the patient may go anyway."
                }
            ) from refusal

    if submit(form, write) is not None:
        messages.success(request, "Patient discharged; the session is done.")
        return back_to_record(record, "#discharge")
    return render_refused(request, record, discharge={"discharge_form": form})
