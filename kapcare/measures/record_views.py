"""Pages that add a measure record to a patient's chart (not a questionnaire)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.measures import scoring
from kapcare.measures.instruments import LICENSED_SCALES
from kapcare.measures.record_forms import LicensedScaleForm
from kapcare.measures.records import record_licensed_scale
from kapcare.patients.access import get_patient_for_form
from kapcare.policy import Action


@allowed(Action.RECORD_LICENSED_SCALE)
def licensed_scale_create(request: HttpRequest, patient_id) -> HttpResponse:
    """A clinician records the total of a BDI-II, BAI, HAM-A, MADRS or CADSS."""
    patient = get_patient_for_form(request, patient_id, Action.RECORD_LICENSED_SCALE)
    form = LicensedScaleForm(
        request.POST or None, initial={"administered_on": timezone.localdate()}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                result = record_licensed_scale(
                    actor=Actor.from_request(request),
                    patient=patient,
                    scale=form.cleaned_data["scale"],
                    total=form.cleaned_data["total"],
                    administered_on=form.cleaned_data["administered_on"],
                )
            except scoring.AnswerError as error:
                form.add_error("total", str(error))
            else:
                scale = LICENSED_SCALES[result.scale]
                messages.success(request, f"{scale.short_name} total {result.total} recorded.")
                return redirect("patients:chart", patient.external_id)
        # The page is shown again with the patient's name: that is a read, so it is logged.
        record_access(Actor.from_request(request), AccessAction.VIEW, patient=patient)
    return render(
        request, "measures/records/licensed_scale_form.html", {"form": form, "patient": patient}
    )
