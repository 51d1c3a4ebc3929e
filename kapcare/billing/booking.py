"""The coverage question on every booking: the session form, the series page and the
booking API (`POST /api/v1/episodes/{id}/sessions`). The law asks it at scheduling (45 CFR
149.610(b); docs/billing-reference.md#who-is-owed-a-good-faith-estimate), so a patient
whom nobody has asked cannot be booked until it is answered; a patient already asked sees
the answer prefilled, and a changed answer is kept as a new `CoverageRecord`. Either way
it is written in the booking's own transaction (`episodes.booking_questions`)."""

from kapcare.billing import services
from kapcare.billing.forms import CoverageForm
from kapcare.billing.models import Coverage, CoverageRecord
from kapcare.episodes.booking_questions import Asked, BookingQuestion
from kapcare.refusals import Refused

KEY = "coverage"
NOT_ASKED = (
    "Ask whether the patient is insured and will file a claim: the law requires the "
    "question when booking."
)


class BookingCoverageForm(CoverageForm):
    """The coverage answer on a booking page, its fields named `coverage-…`."""

    def __init__(self, *args, current: CoverageRecord | None, **kwargs):
        initial = (
            {"status": current.status, "insurer": current.insurer, "member_id": current.member_id}
            if current is not None
            else {}
        )
        super().__init__(*args, prefix=KEY, initial=initial, **kwargs)
        self.current = current
        del self.fields["note"]
        status = self.fields["status"]
        status.error_messages["required"] = NOT_ASKED
        # Asked before: the answer is prefilled, and a booking that sends none keeps it.
        status.required = current is None
        self.fields["insurer"].help_text = "When insured."
        self.fields["member_id"].help_text = "From the insurance card, to file a claim."

    def clean(self):
        data = super().clean()
        answer = self.coverage_input()
        if answer is not None:
            for name, problem in services.coverage_problems(answer).items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, problem)
        return data

    def coverage_input(self) -> services.CoverageInput | None:
        """The answer given, or None when none was given (the current one stands)."""
        status = self.cleaned_data.get("status") or ""
        if not status:
            return None
        insured = status != Coverage.UNINSURED
        return services.CoverageInput(
            status=status,
            insurer=(self.cleaned_data.get("insurer") or "").strip() if insured else "",
            member_id=(self.cleaned_data.get("member_id") or "").strip() if insured else "",
        )

    def changed_input(self) -> services.CoverageInput | None:
        """The answer when it differs from the current one (a new record), else None."""
        answer = self.coverage_input()
        current = self.current
        if answer is None or (
            current is not None
            and (current.status, current.insurer, current.member_id)
            == (answer.status, answer.insurer, answer.member_id)
        ):
            return None
        return answer


def _recorder(patient, answer: services.CoverageInput):
    def record(actor) -> None:
        services.record_coverage(actor=actor, patient=patient, data=answer)

    return record


def ask(episode, data) -> Asked:
    form = BookingCoverageForm(data, current=services.current_coverage(episode.patient))

    def answer_of(valid_form):
        answer = valid_form.changed_input()
        return None if answer is None else _recorder(episode.patient, answer)

    return Asked(KEY, form, "billing/_booking_coverage.html", answer_of)


def from_api(episode, value: dict | None):
    """The payload's `coverage` ({"status", "insurer"?, "member_id"?}) → the write, or None
    when nothing changes; 422 at `coverage.<field>` when it is missing or wrong."""
    current = services.current_coverage(episode.patient)
    if value is None:
        if current is None:
            raise Refused({f"{KEY}.status": NOT_ASKED})
        return None
    form = BookingCoverageForm(
        {f"{KEY}-{name}": text for name, text in value.items()}, current=current
    )
    if not form.is_valid():
        raise Refused(
            {f"{KEY}.{name}": " ".join(messages) for name, messages in form.errors.items()}
        )
    answer = form.changed_input()
    return None if answer is None else _recorder(episode.patient, answer)


QUESTION = BookingQuestion(key=KEY, ask=ask, from_api=from_api)
