"""What a patient may choose to share with an outside therapist, each separately, and the
field of a sharing authorisation that holds each choice. Below both `policy` (which
checks a therapist's action against the scope it needs) and `consents.models` (which
stores the choices), so that neither imports the other; nothing here imports a model."""

from django.db import models


class Scope(models.TextChoices):
    """What a patient may choose to share with an outside therapist, each separately."""

    SCHEDULE = "schedule", "Dates and times of dosing sessions"
    SESSION_SUMMARIES = "session_summaries", "Dosing session summaries"
    MEASURES = "measures", "Questionnaire scores and trends"
    SAFETY_ALERTS = "safety_alerts", "Safety alerts"


# The `SharingAuthorization` boolean field of each scope.
SCOPE_FIELDS = {
    Scope.SCHEDULE: "share_schedule",
    Scope.SESSION_SUMMARIES: "share_session_summaries",
    Scope.MEASURES: "share_measures",
    Scope.SAFETY_ALERTS: "share_safety_alerts",
}
