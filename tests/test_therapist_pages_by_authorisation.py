"""Every page of the therapist's portal that concerns one patient, under every state of the
patient's sharing authorisation: all scopes, a scope missing, expired, revoked a second ago,
and given to another therapist only. In force, each page answers; the questionnaire page
needs the measures scope; in any other state, every page answers 404 (the record "does not
exist" for the therapist), and nothing of the patient is on it.

The pages' own behaviour is tested with each app (kapcare/therapists/tests,
kapcare/messaging/tests, kapcare/journal/tests); this table holds them to one rule.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents import services as consents
from kapcare.consents.models import SharingAuthorization
from kapcare.messaging.tests.factories import therapist_thread
from kapcare.scopes import Scope
from tests.factories import UserFactory, authorize, open_episode, plan_session

OK, MISSING = 200, 404

# url name -> the record its address names
PAGES = {
    "sharing:shared_record": "patient",
    "therapist_portal:record_new_session": "patient",
    "therapist_portal:record_planned_session": "session",
    "therapist_portal:send_questionnaire": "patient",
    "messaging:therapist_new": "patient",
    "messaging:thread": "thread",
}

ALL_SCOPES = list(Scope.values)
WITHOUT_MEASURES = [Scope.SCHEDULE, Scope.SESSION_SUMMARIES, Scope.SAFETY_ALERTS]


def expected(state: str, url_name: str) -> int:
    if state == "all scopes":
        return OK
    if state == "measures not shared":
        return MISSING if url_name == "therapist_portal:send_questionnaire" else OK
    return MISSING


STATES = [
    "all scopes",
    "measures not shared",
    "expired",
    "revoked a second ago",
    "another therapist's",
]


@pytest.fixture
def colleague():
    return UserFactory(role=Role.THERAPIST, clinic=None, full_name="Colleague Therapist")


def arrange(state, patient, therapist, colleague, clinician):
    """The patient's episode (naming `therapist`, or the colleague in the last state), a
    planned integration session, a message thread, and the authorisation in `state`."""
    named = colleague if state == "another therapist's" else therapist
    episode = open_episode(patient, clinician, therapist=named)
    session = plan_session(
        episode, clinician, kind="integration", starts_at=timezone.now() + dt.timedelta(days=3)
    )
    scopes = WITHOUT_MEASURES if state == "measures not shared" else ALL_SCOPES
    authorization = authorize(patient, named, scopes=scopes, by=clinician)
    thread = therapist_thread(patient, named, by=clinician)
    if state == "expired":
        SharingAuthorization.objects.filter(pk=authorization.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    if state == "revoked a second ago":
        consents.revoke_authorization(
            actor=Actor(user=patient.user or clinician, ip_address="127.0.0.1"),
            authorization=authorization,
            reason="Stopped seeing this therapist.",
        )
    return {
        "patient": {"patient_id": patient.external_id},
        "session": {"session_id": session.external_id},
        "thread": {"thread_id": thread.external_id},
    }


@pytest.mark.parametrize("url_name", sorted(PAGES))
@pytest.mark.parametrize("state", STATES)
def test_each_therapist_page_answers_by_the_state_of_the_authorisation(
    client, patient, patient_user, therapist, colleague, clinician, state, url_name
):
    records = arrange(state, patient, therapist, colleague, clinician)
    client.force_login(therapist)

    response = client.get(reverse(url_name, kwargs=records[PAGES[url_name]]))

    assert response.status_code == expected(state, url_name), f"{url_name} when {state}"
    if response.status_code == MISSING:
        assert patient.family_name not in response.content.decode()


def test_the_table_covers_every_therapist_page_that_names_a_patient():
    from tests.test_therapist_access import THERAPIST_PAGES

    patient_pages = {
        name
        for name in THERAPIST_PAGES
        if name not in {"home", "accounts:profile", "therapist_home"}
    }
    assert patient_pages <= set(PAGES), sorted(patient_pages - set(PAGES))
