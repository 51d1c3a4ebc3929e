"""The patient's own portal. Later issues add sessions, consents, measures and the journal."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.decorators import allowed
from kapcare.patients import portal
from kapcare.patients.access import get_own_patient
from kapcare.policy import Action


@allowed(Action.USE_PATIENT_PORTAL)
def portal_home(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "patient_age": patient.age_on(timezone.localdate()),
            "cards": portal.cards_for(request, patient),
        },
    )
