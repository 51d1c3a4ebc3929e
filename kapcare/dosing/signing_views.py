"""The record page's "Signature and addenda" and "Summary for the therapist" parts (their
context functions, listed in `sections.PARTS`), the actions they post to, and the patient's
account of a session in the portal.

Every action fetches the record through `access.get_record` with its own policy action;
the services write and log inside their transaction. A refused or invalid form shows the
record page again (422) with the message at the field and what was typed kept.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.accounts.second_factor_forms import StepUpForm
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.dosing import services
from kapcare.dosing.access import get_record
from kapcare.dosing.models import DosingRecord, PatientExperience, TherapistSummary
from kapcare.dosing.rules_summary import DISSOCIATION_MAXIMUM
from kapcare.dosing.signing_forms import AddendumForm, ExperienceForm, SignForm, SummaryForm
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.episodes.access import get_session, log_redisplay, reading
from kapcare.episodes.models import SessionStatus
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems

# --- The parts of the record page ---------------------------------------------------------


def signature_context(request: HttpRequest, record: DosingRecord) -> dict:
    """The signature, or what signing still needs; the addenda, oldest first. Two queries
    (the signer, the addenda with their authors), and one more while it can be signed
    (whether the clinician re-enters a code or the password)."""
    user = request.user
    can_sign = policy.can(user, Action.SIGN_DOSING_RECORD, record)
    return {
        "record": record,
        "signed_by": record.signed_by if record.is_signed else None,
        "missing": [] if record.is_signed else services.what_signing_needs(record),
        "can_sign": can_sign,
        "can_add_addendum": record.is_signed and policy.can(user, Action.ADD_ADDENDUM, record),
        "addenda": list(record.addenda.select_related("author").order_by("written_at", "id")),
        "addendum_form": AddendumForm(),
        # Whether to ask for a code or the password costs a query: only when it is asked.
        "sign_form": SignForm(user=user) if can_sign and not record.is_signed else None,
        "problems": [],
    }


def summary_context(request: HttpRequest, record: DosingRecord) -> dict:
    """The summary as saved (or, for a clinician, the draft from the record), whether it
        was released, whether the episode's therapist may receive it, and the patient's own
    account of the session (from the portal). At most seven queries,
        whatever the length of the record."""
    summary = (
        TherapistSummary.objects.filter(record_id=record.pk)
        .select_related("edited_by", "released_by")
        .first()
    )
    is_released = summary is not None and summary.is_released
    can_edit = not is_released and policy.can(request.user, Action.EDIT_THERAPIST_SUMMARY, record)
    form = None
    if can_edit:
        text = summary.text if summary is not None else services.draft_summary(record)
        form = SummaryForm(initial={"text": text})
    return {
        "record": record,
        "summary": summary,
        "is_draft": summary is None,
        "is_released": is_released,
        "can_edit": can_edit,
        "can_release": can_edit and record.is_signed,
        "form": form,
        "release_form": release_form(request) if can_edit and record.is_signed else None,
        "account": PatientExperience.objects.filter(record_id=record.pk).first(),
        "dissociation_maximum": DISSOCIATION_MAXIMUM,
        "therapist": record.session.episode.therapist,
        "recipient": services.summary_recipient(record),
        "problems": [],
    }


# --- Actions on the record ----------------------------------------------------------------


@require_POST
@allowed(Action.SIGN_DOSING_RECORD)
def sign(request: HttpRequest, session_id) -> HttpResponse:
    """Sign, re-entering the current authenticator code (or password) in the same form."""
    record = get_record(request, session_id, Action.SIGN_DOSING_RECORD, log_as=None)
    form = SignForm(request.POST, user=request.user)
    if not form.is_valid():
        return render_refused(request, record, signature={"sign_form": form})
    try:
        services.sign_record(
            actor=Actor.from_request(request),
            record=record,
            reauthentication=form.cleaned_data[step_up.FIELD],
        )
    except Refused as refusal:
        add_problems(form, only(refusal.problems, step_up.FIELD))
        problems = [v for k, v in refusal.problems.items() if k != step_up.FIELD]
        return render_refused(request, record, signature={"problems": problems, "sign_form": form})
    messages.success(request, "Record signed. Later changes are addenda.")
    return back_to_record(record, "#signature")


@require_POST
@allowed(Action.ADD_ADDENDUM)
def addendum(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.ADD_ADDENDUM, log_as=None)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.add_addendum(
                actor=Actor.from_request(request), record=record, text=form.cleaned_data["text"]
            )
        except Refused as refusal:
            add_problems(form, refusal.problems)
        else:
            messages.success(request, "Addendum added to the signed record.")
            return back_to_record(record, "#signature")
    return render_refused(request, record, signature={"addendum_form": form})


@require_POST
@allowed(Action.EDIT_THERAPIST_SUMMARY)
def summary_save(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.EDIT_THERAPIST_SUMMARY, log_as=None)
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            services.save_summary(
                actor=Actor.from_request(request), record=record, text=form.cleaned_data["text"]
            )
        except Refused as refusal:
            add_problems(form, refusal.problems)
        else:
            messages.success(request, "Summary saved; it is not released yet.")
            return back_to_record(record, "#summary")
    return render_refused(request, record, summary={"form": form})


def release_form(request: HttpRequest, data=None) -> StepUpForm:
    """The code re-entered to release, inside the summary's form (saving ignores it)."""
    return StepUpForm(data, user=request.user, auto_id="release_%s")


@require_POST
@allowed(Action.EDIT_THERAPIST_SUMMARY)
def summary_release(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.EDIT_THERAPIST_SUMMARY, log_as=None)
    form = SummaryForm(request.POST)
    # The code is checked (and used up) only once the text is valid.
    step_up_form = release_form(request, request.POST) if form.is_valid() else release_form(request)
    if form.is_valid() and step_up_form.is_valid():
        try:
            services.release_summary(
                actor=Actor.from_request(request),
                record=record,
                text=form.cleaned_data["text"],
                reauthentication=step_up_form.cleaned_data[step_up.FIELD],
            )
        except Refused as refusal:
            add_problems(step_up_form, only(refusal.problems, step_up.FIELD))
            add_problems(form, {k: v for k, v in refusal.problems.items() if k != step_up.FIELD})
        else:
            messages.success(request, "Summary released.")
            return back_to_record(record, "#summary")
    return render_refused(request, record, summary={"form": form, "release_form": step_up_form})


def only(problems: dict[str, str], field: str) -> dict[str, str]:
    return {name: message for name, message in problems.items() if name == field}


# --- The patient's account, in the portal ---------------------------------------------------

OVER = {SessionStatus.MISSED, SessionStatus.CANCELLED}


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(Action.RECORD_OWN_SESSION_EXPERIENCE)
def experience(request: HttpRequest, session_id) -> HttpResponse:
    """The patient's own dosing session: the form once it is done (once only), what they
    wrote after that, and a word to come back before it is. 404 for another patient's
    session, for a session that is not a dosing session, or one missed or cancelled."""
    session = get_session(
        request, session_id, Action.RECORD_OWN_SESSION_EXPERIENCE, log_as=reading(request)
    )
    if not session.is_dosing or session.status in OVER:
        raise Http404("No such dosing session.")
    account = PatientExperience.objects.filter(record__session_id=session.pk).first()
    form = None
    status = 200
    if session.is_done and account is None:
        form = ExperienceForm(request.POST if request.method == "POST" else None)
        if form.is_bound:
            if form.is_valid():
                actor = Actor.from_request(request)
                try:
                    services.record_experience(
                        actor=actor,
                        record=services.record_for(actor, session),
                        **form.cleaned_data,
                    )
                except Refused as refusal:
                    add_problems(form, refusal.problems)
                else:
                    messages.success(request, "Thank you: the clinic has your account.")
                    return redirect("portal:home")
            status = 422
    if request.method == "POST" and status == 200:
        status = 422  # nothing to write: not done yet, or already written
        messages.error(request, "Nothing was saved: see below.")
    if status == 422:
        log_redisplay(request, session)
    return render(
        request,
        "dosing/experience.html",
        {
            "session": session,
            "clinic": session.patient.clinic,
            "account": account,
            "form": form,
            "maximum": DISSOCIATION_MAXIMUM,
        },
        status=status,
    )
