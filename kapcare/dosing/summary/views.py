"""The record page's "Summary for the therapist" part (its context function, listed in
`sections.PARTS`) and the actions it posts to: save the summary, release it.

Every action fetches the record through `access.get_record` with its own policy action;
the services write and log inside their transaction. A refused or invalid form shows the
record page again (422) with the message at the field and what was typed kept.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.accounts.second_factor_forms import StepUpForm
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.models import DosingRecord, PatientExperience, TherapistSummary
from kapcare.dosing.signing.views import only
from kapcare.dosing.summary import services
from kapcare.dosing.summary.forms import SummaryForm
from kapcare.dosing.summary.rules import DISSOCIATION_MAXIMUM
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems, submit

# --- The part of the record page -----------------------------------------------------------


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
@allowed(Action.EDIT_THERAPIST_SUMMARY)
def summary_save(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.EDIT_THERAPIST_SUMMARY, log_as=None)
    form = SummaryForm(request.POST)

    def write(data):
        return services.save_summary(
            actor=Actor.from_request(request), record=record, text=data["text"]
        )

    if submit(form, write) is not None:
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
