"""The patient's own portal home: one page, readable on a phone, in the order a patient
needs it — the next sessions and what to do before the next dose, the course so far and
its cost, consents and sharing, questionnaires, who viewed the record, the journal and
messages, then the patient's details and the crisis line.

Most cards come from other apps through `patients.portal` (each at its `order`); the home
adds its own three below, placed in the same sequence."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.decorators import allowed
from kapcare.patients import portal
from kapcare.patients.access import get_own_patient
from kapcare.policy import Action


def _no_query(request, patient) -> dict:
    return {}


# The home's own cards, between the registered ones: "who viewed my record" after the
# questionnaires (40) and before the journal (70); the details and the crisis line last.
HOME_CARDS = (
    portal.PortalCard(
        key="privacy", template="portal/_privacy_card.html", context=_no_query, order=60
    ),
    portal.PortalCard(
        key="details", template="portal/_details_card.html", context=_no_query, order=90
    ),
    portal.PortalCard(
        key="crisis", template="portal/_crisis_card.html", context=_no_query, order=95
    ),
)


@allowed(Action.USE_PATIENT_PORTAL)
def portal_home(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    cards = portal.cards_for(request, patient) + [
        (card, card.context(request, patient)) for card in HOME_CARDS
    ]
    cards.sort(key=lambda pair: pair[0].order)
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "patient_age": patient.age_on(timezone.localdate()),
            "cards": cards,
            "next_step": portal.next_step(cards),
        },
    )
