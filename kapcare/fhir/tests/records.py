"""A patient's record with a row behind every FHIR resource type, made through the services
as the pages make it, and the helpers to read it over /fhir/r4/.

The clock is frozen twenty minutes into a dosing session planned for tomorrow morning
(`tests.clock`), so the vital signs taken "now" are in their session."""

import datetime as dt
import json
from functools import cache
from pathlib import Path

import jsonschema_rs
import time_machine

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.vitals import services as vitals_services
from kapcare.measures import services as measures_services
from kapcare.measures.models import Source as AnswerSource
from tests.clock import wall_clock
from tests.factories import authorize, open_episode, plan_session

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "fhir.schema.json"
FHIR_JSON = "application/fhir+json"


def dose_time() -> dt.datetime:
    return wall_clock(days=1, hour=9)


def frozen_in_session(dose_at: dt.datetime):
    """The clock stopped twenty minutes after `dose_at` (taken before the clock stops:
    `tests.clock` counts days from the day the clock shows)."""
    return time_machine.travel(dose_at + dt.timedelta(minutes=20), tick=False)


@cache
def schema_validator():
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))


def schema_errors(resource: dict) -> list[str]:
    return [
        f"{error.instance_path}: {error.message}"
        for error in schema_validator().iter_errors(resource)
    ]


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "fhir tests")
    return {"Authorization": f"Bearer {token}"}


def get(client, path: str, user=None, **params):
    headers = bearer(user) if user is not None else {}
    return client.get(path, params, headers=headers)


def entries(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def next_link(bundle: dict) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


def full_record(patient, clinician, dose_at, therapist=None, scopes=("measures",)):
    """Everything kapcare serves about `patient`: an episode (EpisodeOfCare, Condition,
    CarePlan) with a dosing session (Encounter, Appointment) whose dose was started
    (MedicationAdministration) and vitals taken (Observation, vital-signs), a PHQ-9
    (QuestionnaireResponse, Observation survey), and a signed authorisation for
    `therapist` (Consent), when given. Call inside `frozen_in_session(dose_at)`."""
    episode = open_episode(patient, clinician)
    session = plan_session(episode, clinician, starts_at=dose_at)
    record = recording.record_for(actor(clinician), session)
    # The dose itself goes through the prescription, its second check and its start, each
    # tested in kapcare/dosing; here only its outcome matters: a dose started at the
    # session's start, by IV.
    DosingRecord.objects.filter(pk=record.pk).update(
        route="iv", dose_mg=35, dose_started_at=dose_at, prescribed_by=clinician
    )
    vitals_services.record_vitals(
        actor=actor(clinician),
        record=record,
        taken_at=dose_at + dt.timedelta(minutes=15),
        values={"hr": 72, "sbp": 128, "dbp": 82, "spo2": 98, "rr": 14, "sedation": 4},
        source="manual",
    )
    measures_services.record_assessment(
        actor=actor(clinician),
        patient=patient,
        instrument="phq9",
        answers=[2, 2, 1, 1, 2, 1, 1, 0, 0],
        source=AnswerSource.STAFF,
    )
    if therapist is not None:
        authorize(patient, therapist, scopes=scopes, by=clinician)
    return episode
