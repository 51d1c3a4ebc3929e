"""The patient's choice about long-term follow-up questionnaires: in the portal, and on
the patient's record for staff recording it on their behalf."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.follow_up import rules, services
from kapcare.follow_up.forms import FollowUpChoiceForm
from kapcare.follow_up.models import FollowUpSend
from kapcare.patients.access import get_own_patient, get_patient_for_form, log_redisplay
from kapcare.policy import Action


def _choose(request: HttpRequest, patient, *, template: str, done_url: str) -> HttpResponse:
    opted_out = services.is_opted_out(patient)
    writing = request.method == "POST"
    form = FollowUpChoiceForm(
        request.POST if writing else None, initial={"receive": "no" if opted_out else "yes"}
    )
    if writing:
        if form.is_valid():
            services.record_preference(
                actor=Actor.from_request(request),
                patient=patient,
                opted_out=not form.cleaned_data["receive"],
            )
            messages.success(request, "Your choice about follow-up questionnaires is saved.")
            return redirect(done_url)
        log_redisplay(request, patient)
    sends = list(
        FollowUpSend.objects.filter(episode__patient=patient)
        .select_related("link")
        .order_by("-sent_at", "-id")[:20]
    )
    return render(
        request,
        template,
        {
            "patient": patient,
            "form": form,
            "opted_out": opted_out,
            "sends": sends,
            "schedule": rules.parse_schedule(patient.clinic.follow_up_months),
            "now": timezone.now(),
        },
    )


@allowed(Action.RECORD_FOLLOW_UP_CHOICE)
def patient_follow_up(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient_for_form(request, patient_id, Action.RECORD_FOLLOW_UP_CHOICE)
    return _choose(
        request,
        patient,
        template="follow_up/patient.html",
        done_url=request.path,
    )


@allowed(Action.CHOOSE_OWN_FOLLOW_UP)
def portal_follow_up(request: HttpRequest) -> HttpResponse:
    writing = request.method == "POST"
    patient = get_own_patient(
        request, Action.CHOOSE_OWN_FOLLOW_UP, log_as=None if writing else AccessAction.VIEW
    )
    return _choose(request, patient, template="follow_up/portal.html", done_url=request.path)
