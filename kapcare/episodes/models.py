"""Episodes of care and their sessions.

An episode is one course of treatment for one patient, in one of four models; its state
moves only along the edges of `rules.TRANSITIONS`, through `services.change_state`, and
every move is kept as an `EpisodeTransition`. Preparation, dosing and integration sessions
belong to the episode; a dosing session starts only when its gates pass or are waived
(`gates.py`, `services.start_dosing_session`).
"""

import uuid

from django.conf import settings
from django.db import models

from kapcare.episodes import rules
from kapcare.kept import KeptRecord, reauthentication_field
from kapcare.therapists.models import Modality


class CareModel(models.TextChoices):
    IN_SESSION = rules.IN_SESSION, rules.MODELS[rules.IN_SESSION]
    BRACKETED = rules.BRACKETED, rules.MODELS[rules.BRACKETED]
    BLENDED = rules.BLENDED, rules.MODELS[rules.BLENDED]
    STANDALONE = rules.STANDALONE, rules.MODELS[rules.STANDALONE]


class EpisodeState(models.TextChoices):
    REFERRED = rules.REFERRED, rules.STATES[rules.REFERRED]
    SCREENING = rules.SCREENING, rules.STATES[rules.SCREENING]
    ELIGIBLE = rules.ELIGIBLE, rules.STATES[rules.ELIGIBLE]
    INELIGIBLE = rules.INELIGIBLE, rules.STATES[rules.INELIGIBLE]
    CONSENTED = rules.CONSENTED, rules.STATES[rules.CONSENTED]
    PREPARING = rules.PREPARING, rules.STATES[rules.PREPARING]
    IN_TREATMENT = rules.IN_TREATMENT, rules.STATES[rules.IN_TREATMENT]
    FOLLOW_UP = rules.FOLLOW_UP, rules.STATES[rules.FOLLOW_UP]
    COMPLETED = rules.COMPLETED, rules.STATES[rules.COMPLETED]
    DISCONTINUED = rules.DISCONTINUED, rules.STATES[rules.DISCONTINUED]


# The episodes whose last dose may be awaiting its integration: open KAP episodes with a
# dose done and no integration session that counts after it. The closed states are sorted
# so that a query and the partial index that serves it spell the condition alike.
AWAITING_INTEGRATION = (
    models.Q(unintegrated_dose_planned_end__isnull=False)
    & ~models.Q(model=rules.STANDALONE)
    & ~models.Q(state__in=sorted(rules.CLOSED_STATES))
)


class DoseRoute(models.TextChoices):
    """Routes of ketamine administration, with their SNOMED CT codes (FHIR route value
    set; docs/clinical-reference.md#snomed-ct-routes)."""

    IV = "iv", "Intravenous"
    IM = "im", "Intramuscular"
    SUBLINGUAL = "sublingual", "Sublingual"
    INTRANASAL = "intranasal", "Intranasal"


ROUTE_SNOMED = {
    DoseRoute.IV: "47625008",
    DoseRoute.IM: "78421000",
    DoseRoute.SUBLINGUAL: "37839007",
    DoseRoute.INTRANASAL: "46713006",
}


class Episode(KeptRecord):
    kept_message = "An episode of care is never deleted; close it instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="episodes"
    )
    model = models.CharField("model of care", max_length=12, choices=CareModel.choices)
    state = models.CharField(
        max_length=14, choices=EpisodeState.choices, default=EpisodeState.REFERRED
    )
    state_changed_at = models.DateTimeField()
    diagnosis_code = models.CharField(
        "diagnosis (ICD-10-CM code)", max_length=8, help_text="For example F33.2."
    )
    diagnosis_text = models.CharField("diagnosis", max_length=200, blank=True)
    treating_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treated_episodes",
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="therapy_episodes",
        help_text="The outside therapist who does preparation and integration (KAP models).",
    )
    has_trauma_history = models.BooleanField(
        "trauma history",
        default=False,
        help_text="Longer preparation is suggested (Dore et al. 2019).",
    )
    goals = models.TextField("goals and intentions", blank=True)
    # What the course is planned to be, for the estimate and for series planning.
    dose_route = models.CharField(
        "planned route", max_length=12, choices=DoseRoute.choices, default=DoseRoute.IV
    )
    planned_doses = models.PositiveSmallIntegerField(default=6)
    # Esketamine (intranasal) only: the dose planned from the second treatment, 56 or 84 mg
    # (the first is always 56 mg: Spravato label, induction); empty reads as 56 mg. The
    # estimate codes its sessions by it: HCPCS G2082 up to 56 mg, G2083 above
    # (docs/billing-reference.md#esketamine-by-planned-dose).
    planned_esketamine_mg = models.PositiveSmallIntegerField(
        "planned esketamine dose",
        null=True,
        blank=True,
        choices=[(56, "56 mg (2 devices)"), (84, "84 mg (3 devices)")],
        help_text="Esketamine (intranasal) only: the dose from the second treatment; the "
        "first is 56 mg.",
    )
    planned_preparation_sessions = models.PositiveSmallIntegerField(default=1)
    planned_integration_sessions = models.PositiveSmallIntegerField(default=6)
    therapist_fee = models.DecimalField(
        "therapist's fee per session (USD)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Paid to the therapist, not the clinic; part of the whole-course estimate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The planned end of the last dose done while no integration session that counts
    # (`counted_therapy_sessions`) has followed it; empty otherwise. Kept by database
    # triggers on every write of a session or of the episode's therapist, in the same
    # transaction (episodes migration 0008), so that the overdue integrations of a clinic
    # are read through an index, not worked out for each of its open episodes.
    unintegrated_dose_planned_end = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "state"]),
            # The API's list, newest first a page at a time: read backwards from the key.
            models.Index(fields=["created_at", "id"], name="episode_created_idx"),
            # Overdue integrations (`queries.overdue_integrations`): only open KAP episodes
            # with a dose awaiting its integration.
            models.Index(
                fields=["clinic", "unintegrated_dose_planned_end"],
                name="episode_awaits_integration_idx",
                condition=AWAITING_INTEGRATION,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_model_display()} ({self.diagnosis_code})"

    @property
    def is_kap(self) -> bool:
        return rules.is_kap(self.model)

    @property
    def is_closed(self) -> bool:
        return self.state in rules.CLOSED_STATES

    @property
    def next_states(self) -> list[tuple[str, str]]:
        return [(s, rules.STATES[s]) for s in rules.next_states(self.state, self.model)]


class EpisodeTransition(KeptRecord):
    """One move of an episode's state: who, when, why. Never edited."""

    kept_message = "An episode's history is never deleted."

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=14, choices=EpisodeState.choices, blank=True)
    to_state = models.CharField(max_length=14, choices=EpisodeState.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


class SessionKind(models.TextChoices):
    PREPARATION = rules.PREPARATION, rules.SESSION_KINDS[rules.PREPARATION]
    DOSING = rules.DOSING, rules.SESSION_KINDS[rules.DOSING]
    INTEGRATION = rules.INTEGRATION, rules.SESSION_KINDS[rules.INTEGRATION]


class SessionStatus(models.TextChoices):
    PLANNED = rules.PLANNED, rules.SESSION_STATUSES[rules.PLANNED]
    IN_PROGRESS = rules.IN_PROGRESS, rules.SESSION_STATUSES[rules.IN_PROGRESS]
    DONE = rules.DONE, rules.SESSION_STATUSES[rules.DONE]
    MISSED = rules.MISSED, rules.SESSION_STATUSES[rules.MISSED]
    CANCELLED = rules.CANCELLED, rules.SESSION_STATUSES[rules.CANCELLED]


class CareSession(KeptRecord):
    """A preparation, dosing or integration session of an episode.

    Sessions at the clinic hold an appointment (room and clinician for the whole block);
    sessions the outside therapist runs in their own practice have none. `patient` repeats
    the episode's patient so that the policy and the access log can name it directly.
    """

    kept_message = "A care session is never deleted; cancel it instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_sessions"
    )
    kind = models.CharField(max_length=12, choices=SessionKind.choices)
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_session",
    )
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The clinician or therapist who runs the session.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The patient arrived for a session at the clinic (the front desk, a clinician or a
    # nurse checked them in); the session stays "planned" until it starts. Kept on the
    # session, not its appointment: the Today board, the gates and the dosing record all
    # read the session, and a session keeps its check-in when its slot is moved.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_note = models.TextField(
        blank=True, help_text="Why it was missed or cancelled; a brief note when done."
    )
    # Recorded by the outside therapist for a preparation or integration session:
    # how it was held, never what was said (psychotherapy notes stay in their own records).
    modality = models.CharField(max_length=15, choices=Modality.choices, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # When clinic staff, not the episode's therapist, record a KAP preparation or
    # integration session as done: how and when the therapist confirmed it was held. Without
    # it the session does not count towards gates 3 and 4 (see `counted_therapy_session`).
    therapist_confirmation = models.CharField(
        max_length=300,
        blank=True,
        help_text="How and when the therapist confirmed the session, e.g. "
        '"email from R. Kim, Dec 3".',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["planned_start", "id"]
        indexes = [
            models.Index(fields=["episode", "kind", "planned_start"]),
            models.Index(fields=["patient", "planned_start"]),
            # The API's dosing-session list, by start a page at a time.
            models.Index(fields=["kind", "planned_start", "id"], name="session_kind_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="care_session_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.planned_start:%Y-%m-%d %H:%M}"

    @property
    def is_dosing(self) -> bool:
        return self.kind == SessionKind.DOSING

    @property
    def is_done(self) -> bool:
        return self.status == SessionStatus.DONE

    @property
    def is_checked_in(self) -> bool:
        return self.checked_in_at is not None

    @property
    def is_open(self) -> bool:
        return self.status in {SessionStatus.PLANNED, SessionStatus.IN_PROGRESS}


class PregnancyTest(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Does not apply"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    NOT_DONE = "not_done", "Not done yet"


class DayOfChecklist(KeptRecord):
    """The day-of checklist of one dosing session (gate 8 and gate 9's pre-dose blood
    pressure; docs/clinical-reference.md#day-of-checklist). Weight comes from the patient's
    body measurements. Kept as one record per session, editable until the session starts."""

    kept_message = "A day-of checklist is never deleted."

    session = models.OneToOneField(
        CareSession, on_delete=models.PROTECT, related_name="day_of_checklist"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    fasting_confirmed = models.BooleanField(
        "fasting confirmed", default=False, help_text="Nothing to eat for 4 hours, no fluids for 2."
    )
    escort_confirmed = models.BooleanField(
        "escort or ride home confirmed",
        default=False,
        help_text="No driving until the next day.",
    )
    pregnancy_test = models.CharField(
        max_length=14, choices=PregnancyTest.choices, default=PregnancyTest.NOT_DONE
    )
    medication_changes_reviewed = models.BooleanField(
        "medication changes since the last visit reviewed", default=False
    )
    medication_changes = models.TextField("medication changes", blank=True)
    blood_pressure_systolic = models.PositiveSmallIntegerField(
        "pre-dose systolic (mmHg)", null=True, blank=True
    )
    blood_pressure_diastolic = models.PositiveSmallIntegerField(
        "pre-dose diastolic (mmHg)", null=True, blank=True
    )
    blood_pressure_taken_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Day-of checklist for {self.session}"

    @property
    def blood_pressure(self) -> str:
        if self.blood_pressure_systolic is None or self.blood_pressure_diastolic is None:
            return ""
        return f"{self.blood_pressure_systolic}/{self.blood_pressure_diastolic}"


class GateWaiver(KeptRecord):
    """A clinician's decision to start a dosing session although one gate fails, with
    the reason. Recorded for that session only, listed on the episode, never edited. It
    covers the failure it was given for: when the facts change (a new reading, a new
    alert), the rule fails again and needs a new waiver."""

    kept_message = "A gate waiver is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(CareSession, on_delete=models.PROTECT, related_name="waivers")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=40)
    reason = models.TextField()
    failure = models.TextField(help_text="What the rule said when it was waived.")
    basis = models.CharField(
        max_length=500,
        blank=True,
        help_text="The facts the rule stood on; the waiver holds only while they are unchanged.",
    )
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField()
    waived_with = reauthentication_field()

    class Meta:
        ordering = ["waived_at", "id"]

    def __str__(self) -> str:
        return f"{self.rule} waived for {self.session}"


def counted_therapy_sessions() -> models.Q:
    """The preparation and integration sessions that count towards gates 3 and 4 of a KAP
    episode, as a filter on `CareSession` (the database twin of
    `rules.therapy_session_counts`): recorded by the episode's therapist, who runs it, or
    recorded by clinic staff with the therapist's confirmation attached."""
    return models.Q(
        run_by_id=models.F("episode__therapist_id"),
        status_changed_by_id=models.F("episode__therapist_id"),
    ) | ~models.Q(therapist_confirmation="")
