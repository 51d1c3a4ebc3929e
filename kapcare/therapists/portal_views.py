"""The therapist's portal pages: record a preparation or integration session (a
planned one, or one that was not planned), and send the patient a questionnaire.

Thin views: fetch through the helpers that ask the policy and log the read in one step
(`episodes.therapy_sessions.get_therapy_*`, `patients.access.get_patient`), call the one
service, show the page again with each refusal at its field. Every session or patient that
is not the therapist's to work with answers 404. The therapist's home page is
`kapcare.views.therapist_home`; its attention list is `therapists.attention`.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.episodes import therapy_sessions
from kapcare.episodes.access import log_redisplay, reading
from kapcare.measures import links
from kapcare.measures.completion_forms import SendLinkForm
from kapcare.patients.access import get_patient
from kapcare.patients.access import log_redisplay as log_patient_redisplay
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems
from kapcare.therapists.portal_forms import NOTE_GUIDANCE, TherapySessionForm


def _shared_record_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


def _record(request: HttpRequest, episode, session, form: TherapySessionForm):
    """Call the service with a valid form; the recorded session, or None with the problems
    put at their fields."""
    try:
        return therapy_sessions.record_therapy_session(
            actor=Actor.from_request(request),
            episode=episode,
            session=session,
            data=form.session_input(),
        )
    except Refused as refusal:
        add_problems(form, refusal.problems)
        return None


def _recorded(request: HttpRequest, recorded) -> HttpResponse:
    messages.success(
        request,
        f"{recorded.get_kind_display()} recorded as {recorded.get_status_display().lower()}.",
    )
    return redirect(_shared_record_url(recorded.patient))


def _render(request, episode, form, session=None) -> HttpResponse:
    with timezone.override(episode.clinic.zone):
        return render(
            request,
            "therapists/portal/session_record.html",
            {
                "patient": episode.patient,
                "clinic": episode.clinic,
                "episode": episode,
                "session": session,
                "form": form,
                "note_guidance": NOTE_GUIDANCE,
                "back_url": _shared_record_url(episode.patient),
            },
        )


@allowed(Action.RECORD_THERAPY_SESSION)
def record_new_session(request: HttpRequest, patient_id) -> HttpResponse:
    """A preparation or integration session that was not planned with the clinic."""
    episode = therapy_sessions.get_therapy_episode(request, patient_id, log_as=reading(request))
    form = TherapySessionForm(request.POST if request.method == "POST" else None, asks_kind=True)
    if request.method == "POST":
        if form.is_valid() and (recorded := _record(request, episode, None, form)):
            return _recorded(request, recorded)
        log_patient_redisplay(request, episode.patient)
    return _render(request, episode, form)


@allowed(Action.RECORD_THERAPY_SESSION)
def record_planned_session(request: HttpRequest, session_id) -> HttpResponse:
    """A planned preparation or integration session: held (and when), or missed."""
    session = therapy_sessions.get_therapy_session(request, session_id, log_as=reading(request))
    initial = {}
    if session.is_open:
        with timezone.override(session.episode.clinic.zone):
            start = timezone.localtime(session.planned_start)
        initial = {
            "held_on": start.date(),
            "start_time": start.time(),
            "duration_minutes": int(
                (session.planned_end - session.planned_start).total_seconds() // 60
            ),
        }
    form = TherapySessionForm(
        request.POST if request.method == "POST" else None, asks_kind=False, initial=initial
    )
    if request.method == "POST":
        if form.is_valid() and (recorded := _record(request, session.episode, session, form)):
            return _recorded(request, recorded)
        log_redisplay(request, session)
    return _render(request, session.episode, form, session)


@allowed(Action.SEND_MEASURE_AS_THERAPIST)
def send_questionnaire(request: HttpRequest, patient_id) -> HttpResponse:
    """Email the patient a single-use questionnaire link (the clinic's mechanism,
    `measures.links`), within the measures scope. The email names the clinic only."""
    writing = request.method == "POST"
    patient = get_patient(
        request,
        patient_id,
        Action.SEND_MEASURE_AS_THERAPIST,
        log_as=None if writing else AccessAction.VIEW,
    )
    form = SendLinkForm(request.POST if writing else None)
    if writing:
        link = links.send_from_form(
            form,
            actor=Actor.from_request(request),
            patient=patient,
        )
        if link is not None:
            messages.success(
                request,
                f"{link.get_instrument_display()} link sent to the email address the "
                "clinic has for the patient. It works once and expires on "
                f"{links.link_expiry_in_words(link)}.",
            )
            return redirect(_shared_record_url(patient))
        log_patient_redisplay(request, patient)
    return render(
        request,
        "therapists/portal/send_questionnaire.html",
        {"patient": patient, "form": form, "back_url": _shared_record_url(patient)},
    )
