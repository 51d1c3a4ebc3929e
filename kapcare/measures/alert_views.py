"""Safety alerts: the clinic's list, one alert's page, and the clinician's safety review.

An alert is raised by `services.complete_assessment` and closed only by
`services.review_alert`, which a clinician reaches through the form on the alert's page.
There is no other way to close one: no dismiss button, no delete.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kapcare import policy
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.measures import services
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import AlertKind, SafetyAlert
from kapcare.patients.access import parse_external_id, refused
from kapcare.policy import Action

# How far back the list page shows alerts already reviewed (a display window, not a
# clinical threshold).
RECENTLY_REVIEWED_DAYS = 30
RECENTLY_REVIEWED_LIMIT = 50
# The open alerts the list shows, oldest first: each one reviewed makes room for the next.
OPEN_ALERTS_SHOWN = 100

REVIEW_HELP = "Contact made, safety plan, referral: what was done and by whom."


class SafetyReviewForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        help_text=REVIEW_HELP,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Say what was done before recording the review: contact made, "
            "safety plan, referral."
        },
    )


@dataclass(frozen=True)
class AnswerShown:
    """One answer of the questionnaire that raised an alert, as the alert page shows it."""

    label: str
    text: str
    answer: str
    raised_alert: bool


def get_alert(
    request: HttpRequest,
    alert_id,
    action: Action = Action.VIEW_SAFETY_ALERTS,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> SafetyAlert:
    """The alert with `alert_id`, if `request.user` may do `action` on it.

    Roles that may not see alerts at all get 403; an alert of another clinic, or an
    unknown id, 404. A read is logged against the alert's patient as `log_as` (None for a
    write whose service logs it in its own transaction).
    """
    records = SafetyAlert.objects.select_related("patient__clinic")
    if not policy.can(request.user, action):
        raise refused(request, records, alert_id, PermissionDenied())
    alert = (
        SafetyAlert.objects.select_related("patient__clinic", "assessment", "reviewed_by")
        .filter(external_id=parse_external_id(alert_id))
        .first()
    )
    if alert is None or not policy.can(request.user, action, alert):
        raise refused(request, records, alert_id, Http404("No such safety alert."))
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=alert.patient, obj=alert)
    return alert


def answers_that_raised(alert: SafetyAlert) -> list[AnswerShown]:
    """The answers behind the alert: PHQ-9 item 9 with the option chosen, or every
    C-SSRS screener answer with the ones that made it high risk marked."""
    assessment = alert.assessment
    definition = INSTRUMENTS[assessment.instrument]
    answers = list(assessment.answers) + [None] * (len(definition.items) - len(assessment.answers))
    options = {option.value: option.label for option in definition.options}

    def shown(item, value, raised: bool) -> AnswerShown:
        if value is None:
            answer = "Not asked" if item.only_if_yes_to else "Unanswered"
        else:
            answer = f"{options.get(value, value)}"
            if definition.kind != "yes_no":
                answer = f"{answer} ({value})"
        return AnswerShown(item.label, item.text, answer, raised)

    if alert.kind == AlertKind.SUICIDAL_IDEATION:
        item = definition.items[8]
        return [shown(item, answers[8], raised=True)]
    triggered = {str(label) for label in assessment.details.get("triggered_by", [])}
    return [
        shown(item, value, raised=item.label in triggered)
        for item, value in zip(definition.items, answers, strict=True)
    ]


# The open alerts the home pages' banner names; past them it says there are more, and the
# alerts page lists them.
HOME_ALERTS_SHOWN = 20


def open_alerts_for_home(request: HttpRequest) -> dict:
    """The oldest open alerts of the user's clinic (`HOME_ALERTS_SHOWN` of them), for the
    banner on the clinician's and coordinator's home pages (`safety_alerts`), and whether
    there are more (`more_safety_alerts`): one query reading at most one alert more than
    it shows, and one log insert for the patients shown."""
    if not policy.can(request.user, Action.VIEW_SAFETY_ALERTS):
        return {"safety_alerts": [], "more_safety_alerts": False}
    alerts = list(
        SafetyAlert.objects.filter(clinic_id=request.user.clinic_id, reviewed_at__isnull=True)
        .select_related("patient")
        .order_by("raised_at", "pk")[: HOME_ALERTS_SHOWN + 1]
    )
    shown = alerts[:HOME_ALERTS_SHOWN]
    record_list_access(Actor.from_request(request), _distinct_patients(shown))
    return {"safety_alerts": shown, "more_safety_alerts": len(alerts) > HOME_ALERTS_SHOWN}


def _distinct_patients(alerts: list[SafetyAlert]) -> list:
    return list({alert.patient_id: alert.patient for alert in alerts}.values())


@allowed(Action.VIEW_SAFETY_ALERTS)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Open alerts, oldest first (the oldest `OPEN_ALERTS_SHOWN`), then those reviewed in
    the last 30 days, newest first."""
    alerts = SafetyAlert.objects.filter(clinic_id=request.user.clinic_id).select_related(
        "patient", "reviewed_by"
    )
    open_alerts = list(
        alerts.filter(reviewed_at__isnull=True).order_by("raised_at", "pk")[: OPEN_ALERTS_SHOWN + 1]
    )
    more_open = len(open_alerts) > OPEN_ALERTS_SHOWN
    open_alerts = open_alerts[:OPEN_ALERTS_SHOWN]
    since = timezone.now() - dt.timedelta(days=RECENTLY_REVIEWED_DAYS)
    reviewed = list(
        alerts.filter(reviewed_at__gte=since).order_by("-reviewed_at", "-pk")[
            :RECENTLY_REVIEWED_LIMIT
        ]
    )
    record_list_access(Actor.from_request(request), _distinct_patients(open_alerts + reviewed))
    return render(
        request,
        "measures/alerts/list.html",
        {
            "open_alerts": open_alerts,
            "more_open": more_open,
            "reviewed_alerts": reviewed,
            "reviewed_days": RECENTLY_REVIEWED_DAYS,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(Action.VIEW_SAFETY_ALERTS)
def alert_detail(request: HttpRequest, alert_id) -> HttpResponse:
    """What raised the alert and its review; for a clinician, while it is open, the form
    that records the safety review (the only way an alert is closed)."""
    reviewing = request.method == "POST"
    if reviewing and not policy.can(request.user, Action.REVIEW_SAFETY_ALERT):
        raise PermissionDenied
    alert = get_alert(
        request,
        alert_id,
        Action.REVIEW_SAFETY_ALERT if reviewing else Action.VIEW_SAFETY_ALERTS,
        log_as=None if reviewing else AccessAction.VIEW,
    )
    form = SafetyReviewForm(request.POST or None)
    if reviewing:
        if not alert.is_open:
            messages.error(request, "This alert was already reviewed; its review is below.")
            return redirect("measures:alert", alert.external_id)
        if form.is_valid():
            try:
                services.review_alert(
                    actor=Actor.from_request(request), alert=alert, note=form.cleaned_data["note"]
                )
            except services.AssessmentError as error:
                messages.error(request, str(error))
                return redirect("measures:alert", alert.external_id)
            messages.success(request, "Safety review recorded. The alert is closed.")
            return redirect("measures:alert", alert.external_id)
        # Shown again with the patient's details: that is a read, so it is logged.
        record_access(
            Actor.from_request(request), AccessAction.VIEW, patient=alert.patient, obj=alert
        )
    return render(
        request,
        "measures/alerts/detail.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "assessment": alert.assessment,
            "instrument": INSTRUMENTS[alert.assessment.instrument],
            "answers": answers_that_raised(alert),
            "form": form,
            "can_review": alert.is_open
            and policy.can(request.user, Action.REVIEW_SAFETY_ALERT, alert),
        },
    )
