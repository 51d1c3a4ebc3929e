"""Completing questionnaires: by a patient in the portal, by a patient through a
single-purpose link, and by staff on a patient's behalf; and sending that link.

The patient's form is one page that works without JavaScript. On a wide screen every
question shows at once; on a phone a media query shows only the current question with
Next and Back buttons (`templates/measures/completion/questionnaire.html`). Each step
posts every answer and saves them before the next question shows, so a patient who leaves
halfway finds their answers kept and picks up at the first one unanswered.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from kapcare import ratelimits
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.clinics.models import Clinic
from kapcare.decorators import allowed
from kapcare.measures import links, scoring, services
from kapcare.measures.completion_forms import (
    SELF_REPORT_INSTRUCTIONS,
    AnswersForm,
    SendLinkForm,
    applicable_numbers,
    apply_skip_logic,
    next_item,
    previous_item,
    resume_item,
)
from kapcare.measures.instruments import INSTRUMENTS, Instrument
from kapcare.measures.models import AssessmentStatus, Source
from kapcare.measures.scoring import AnswerError
from kapcare.patients.access import get_own_patient, get_patient
from kapcare.policy import Action

# Where the page after a completion finds what to show; kept in the session so that the
# crisis resources are shown to the person who answered, and never through a URL.
DONE_SESSION_KEY = "kapcare_questionnaire_done"
REVIEW = "review"


def _counts_items(instrument: Instrument) -> bool:
    """Whether "Question 3 of 9" makes sense: not when some questions may be skipped."""
    return not any(item.only_if_yes_to for item in instrument.items)


def _instrument(instrument_id: str) -> Instrument:
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise Http404("No such questionnaire.")
    return instrument


# --- the patient's form, shared by the portal and the link ----------------------------------


@dataclass
class Questionnaire:
    """One patient's questionnaire as the shared form handler needs it."""

    instrument: Instrument
    clinic: Clinic
    saved: list
    save: Callable[[list], object]
    complete: Callable[[list], services.Completion]
    page_url: str
    is_portal: bool


def _step_url(page_url: str, item: int | None) -> str:
    return f"{page_url}?{urlencode({'item': item if item is not None else REVIEW})}"


def _current_step(request: HttpRequest, questionnaire: Questionnaire) -> int | str:
    """The question asked on a phone: `?item=N` when it is asked, else where the patient
    left off, else the review step."""
    answers = questionnaire.saved
    wanted = request.GET.get("item", "")
    if wanted == REVIEW:
        return REVIEW
    if wanted.isdigit():
        number = int(wanted)
        if number in applicable_numbers(questionnaire.instrument, answers):
            return number
    return resume_item(questionnaire.instrument, answers) or REVIEW


def _render_questionnaire(
    request: HttpRequest,
    questionnaire: Questionnaire,
    form: AnswersForm,
    current: int | str,
) -> HttpResponse:
    instrument = questionnaire.instrument
    chosen = form.chosen()
    rows = form.rows()
    unanswered = [row for row in rows if row.is_applicable and chosen[row.number - 1] is None]
    try:
        scoring.score(
            instrument.id,
            apply_skip_logic(instrument, chosen),
            **services.scoring_options(instrument.id, questionnaire.clinic),
        )
        can_send = True
    except AnswerError:
        can_send = False
    context = {
        "instrument": instrument,
        "instructions": SELF_REPORT_INSTRUCTIONS.get(instrument.id, instrument.instructions),
        "clinic": questionnaire.clinic,
        "form": form,
        "rows": rows,
        "current": current,
        "is_review": current == REVIEW,
        "previous": previous_item(instrument, chosen, None if current == REVIEW else current),
        "asked_count": len(applicable_numbers(instrument, chosen)),
        "unanswered": unanswered,
        "can_send": can_send,
        "stepped": "1" not in (request.GET.get("all"), request.POST.get("all")),
        "page_url": questionnaire.page_url,
        "is_portal": questionnaire.is_portal,
        "show_count": _counts_items(instrument),
    }
    return render(request, "measures/completion/questionnaire.html", context)


def _show_questionnaire(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponse:
    form = AnswersForm(questionnaire.instrument, saved=questionnaire.saved)
    return _render_questionnaire(
        request, questionnaire, form, _current_step(request, questionnaire)
    )


def _take_answers(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponse:
    """One step of the patient's form: save and move on, or complete.

    `move` is the button pressed: next/back (a phone's steps), save (finish later) or
    finish. Answers are saved at every step; a finish that cannot be scored saves them too
    and shows why, at the top and at each item named.
    """
    instrument = questionnaire.instrument
    form = AnswersForm(instrument, request.POST, saved=questionnaire.saved)
    step = request.POST.get("item", "")
    at = int(step) if step.isdigit() else None
    if not form.is_valid():
        errors = form.error_numbers()
        return _render_questionnaire(request, questionnaire, form, errors[0] if errors else REVIEW)
    answers = form.answers()
    move = request.POST.get("move", "next")
    try:
        if move == "finish":
            try:
                completion = questionnaire.complete(answers)
            except AnswerError as error:
                questionnaire.save(answers)
                form.add_answer_error(error)
                return _render_questionnaire(request, questionnaire, form, REVIEW)
            request.session[DONE_SESSION_KEY] = {
                "clinic": questionnaire.clinic.pk,
                "crisis": completion.needs_crisis_resources,
                "portal": questionnaire.is_portal,
            }
            return redirect("measures:questionnaire_done")
        questionnaire.save(answers)
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return redirect(questionnaire.page_url)
    if move == "save":
        messages.success(
            request,
            "Your answers are saved. Come back to this page to finish; nothing you chose is lost.",
        )
        if request.POST.get("all") == "1":
            return redirect(f"{questionnaire.page_url}?all=1")
        return redirect(_step_url(questionnaire.page_url, resume_item(instrument, answers)))
    if move == "back":
        before = None if step == REVIEW else at
        target = previous_item(instrument, answers, before) or next_item(instrument, answers, None)
        return redirect(_step_url(questionnaire.page_url, target))
    return redirect(_step_url(questionnaire.page_url, next_item(instrument, answers, at)))


@never_cache
def questionnaire_done(request: HttpRequest) -> HttpResponse:
    """The page after a completion: thanks, and crisis resources when an answer raised a
    safety alert. No scores: the clinician interprets them."""
    done = request.session.get(DONE_SESSION_KEY)
    if not done:
        return redirect("home")
    clinic = Clinic.objects.filter(pk=done["clinic"]).first()
    return render(
        request,
        "measures/completion/done.html",
        {"clinic": clinic, "needs_crisis_resources": done["crisis"], "is_portal": done["portal"]},
    )


# --- single-purpose link ----------------------------------------------------------------------


@never_cache
def link_questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    """The questionnaire a link opens, without signing in, and nothing else.

    A network address that has opened QUESTIONNAIRE_LINK_MISSES_PER_ADDRESS links that do
    not work must wait before opening any: the brake on guessing or replaying links. A
    patient opening their own link never counts against it."""
    misses = _link_misses(request, increment=False)
    if misses.is_limited:
        return ratelimits.too_many_requests(
            request, "measures/completion/link_problem.html", {"reason": "limited"}, misses
        )
    actor = links.link_actor(request)
    try:
        link = links.open_link(actor=actor, token=token, log_view=request.method != "POST")
    except links.LinkError as error:
        _link_misses(request, increment=True)
        return _link_problem(request, error)
    assessment = link.assessment
    page_url = reverse("measures:link", args=[token])
    questionnaire = Questionnaire(
        instrument=assessment.definition,
        clinic=link.patient.clinic,
        saved=list(assessment.answers),
        save=lambda answers: services.save_progress(
            actor=actor, assessment=assessment, answers=answers
        ),
        complete=lambda answers: links.complete_link(actor=actor, token=token, answers=answers),
        page_url=page_url,
        is_portal=False,
    )
    if request.method == "POST":
        try:
            return _take_answers(request, questionnaire)
        except links.LinkError as error:  # it expired while the patient was answering
            _link_misses(request, increment=True)
            return _link_problem(request, error)
    response = _show_questionnaire(request, questionnaire)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_misses(request: HttpRequest, *, increment: bool) -> ratelimits.Usage:
    return ratelimits.count(
        request,
        group="questionnaire-link-misses",
        key="ip",
        rate=settings.QUESTIONNAIRE_LINK_MISSES_PER_ADDRESS,
        increment=increment,
    )


def _link_problem(request: HttpRequest, error: links.LinkError) -> HttpResponse:
    """A clear page for a link that does not work: 404 unknown, 410 used or expired."""
    link = getattr(error, "link", None)
    if isinstance(error, links.LinkUsed):
        reason, status = "used", 410
    elif isinstance(error, links.LinkExpired):
        reason, status = "expired", 410
    else:
        reason, status = "unknown", 404
    clinic = link.patient.clinic if link is not None else None
    return render(
        request,
        "measures/completion/link_problem.html",
        {"reason": reason, "clinic": clinic, "link": link},
        status=status,
    )


# --- the patient portal -----------------------------------------------------------------------


@allowed(Action.COMPLETE_OWN_QUESTIONNAIRE)
def portal_questionnaires(request: HttpRequest) -> HttpResponse:
    """The questionnaires a signed-in patient can fill in, with any they started."""
    patient = get_own_patient(request, Action.COMPLETE_OWN_QUESTIONNAIRE)
    in_progress = {
        a.instrument: a
        for a in patient.assessments.filter(
            source=Source.PORTAL, status=AssessmentStatus.IN_PROGRESS
        ).order_by("started_at")
    }
    last_completed = dict(
        patient.assessments.filter(status=AssessmentStatus.COMPLETED)
        .order_by()
        .values("instrument")
        .annotate(last=Max("completed_at"))
        .values_list("instrument", "last")
    )
    rows = []
    for instrument in INSTRUMENTS.values():
        started = in_progress.get(instrument.id)
        rows.append(
            {
                "instrument": instrument,
                "answered": sum(a is not None for a in started.answers) if started else None,
                "last_completed": last_completed.get(instrument.id),
            }
        )
    return render(
        request,
        "measures/completion/portal_list.html",
        {"patient": patient, "clinic": patient.clinic, "rows": rows},
    )


@never_cache
@allowed(Action.COMPLETE_OWN_QUESTIONNAIRE)
def portal_questionnaire(request: HttpRequest, instrument: str) -> HttpResponse:
    """A signed-in patient fills in a questionnaire; started at the first saved answer."""
    definition = _instrument(instrument)
    patient = get_own_patient(request, Action.COMPLETE_OWN_QUESTIONNAIRE)
    actor = Actor.from_request(request)
    unfinished = (
        patient.assessments.filter(
            instrument=definition.id, source=Source.PORTAL, status=AssessmentStatus.IN_PROGRESS
        )
        .order_by("-started_at")
        .first()
    )

    started = [unfinished] if unfinished else []

    def assessment():
        if not started:
            started.append(
                services.start_assessment(
                    actor=actor, patient=patient, instrument=definition.id, source=Source.PORTAL
                )
            )
        return started[0]

    questionnaire = Questionnaire(
        instrument=definition,
        clinic=patient.clinic,
        saved=list(unfinished.answers) if unfinished else [None] * definition.item_count,
        save=lambda answers: services.save_progress(
            actor=actor, assessment=assessment(), answers=answers
        ),
        complete=lambda answers: services.complete_assessment(
            actor=actor, assessment=assessment(), answers=answers
        ),
        page_url=reverse("measures:portal_questionnaire", args=[definition.id]),
        is_portal=True,
    )
    if request.method == "POST":
        return _take_answers(request, questionnaire)
    return _show_questionnaire(request, questionnaire)


# --- staff ------------------------------------------------------------------------------------


@allowed(Action.SEND_QUESTIONNAIRE_LINK)
def send_link(request: HttpRequest, patient_id) -> HttpResponse:
    """Email the patient a single-purpose link to one questionnaire."""
    writing = request.method == "POST"
    patient = get_patient(
        request,
        patient_id,
        Action.SEND_QUESTIONNAIRE_LINK,
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
                f"{link.get_instrument_display()} link sent to {link.sent_to}. It works "
                f"once and expires on {links.link_expiry_in_words(link)}.",
            )
            return redirect("patients:chart", patient.external_id)
        record_access(Actor.from_request(request), AccessAction.VIEW, patient=patient)
    sent = list(patient.assessment_links.select_related("sent_by")[:10])
    return render(
        request,
        "measures/completion/send_link.html",
        {"patient": patient, "form": form, "sent": sent, "now": timezone.now()},
    )


@allowed(Action.ENTER_ASSESSMENT_FOR_PATIENT)
def enter_for_patient(request: HttpRequest, patient_id, instrument: str) -> HttpResponse:
    """Staff type in a patient's answers (given on paper or by phone), all on one page."""
    definition = _instrument(instrument)
    writing = request.method == "POST"
    patient = get_patient(
        request,
        patient_id,
        Action.ENTER_ASSESSMENT_FOR_PATIENT,
        log_as=None if writing else AccessAction.VIEW,
    )
    form = AnswersForm(definition, request.POST if writing else None)
    if writing:
        if form.is_valid():
            try:
                completion = services.record_assessment(
                    actor=Actor.from_request(request),
                    patient=patient,
                    instrument=definition.id,
                    answers=form.answers(),
                    source=Source.STAFF,
                )
            except AnswerError as error:
                form.add_answer_error(error)
            else:
                return _after_staff_entry(request, patient, completion)
        record_access(Actor.from_request(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "measures/completion/staff_entry.html",
        {
            "patient": patient,
            "instrument": definition,
            "form": form,
            "rows": form.rows(),
            "show_count": _counts_items(definition),
        },
    )


def _after_staff_entry(request: HttpRequest, patient, completion) -> HttpResponse:
    assessment = completion.assessment
    if assessment.total is None:
        result = assessment.band
    else:
        result = f"total {assessment.total} ({assessment.band})"
    messages.success(
        request,
        f"{assessment.get_instrument_display()} recorded for {patient.display_name}: {result}.",
    )
    if completion.needs_crisis_resources:
        messages.error(
            request,
            "These answers raised a safety alert. The clinical team has been emailed; follow "
            "the clinic's safety procedure now, and a clinician records the safety review.",
        )
    return redirect("patients:chart", patient.external_id)
