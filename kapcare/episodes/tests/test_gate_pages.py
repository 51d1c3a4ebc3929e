"""The gates page: each rule in words with its link, the day-of checklist, waivers and the
start button; and its POST-only actions, who may use them and what they log."""

from html import unescape

import pytest
import time_machine
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes import services
from kapcare.episodes.models import DayOfChecklist, GateWaiver, SessionStatus
from kapcare.episodes.tests.test_gate_facts import (
    GOOD_CHECKLIST,
    NOW,
    actor,
    fetched,
    ready_session,
)
from kapcare.scopes import Scope
from tests.factories import PASSWORD, UserFactory, authorize, plan_session, raise_alert
from tests.second_factor import code_for, give_authenticator

GOOD_FORM = {
    "fasting_confirmed": "on",
    "escort_confirmed": "on",
    "pregnancy_test": "negative",
    "medication_changes_reviewed": "on",
    "medication_changes": "Started sertraline 50 mg.",
    "blood_pressure_systolic": "124",
    "blood_pressure_diastolic": "78",
}


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(patient, clinician, patient_user):
    return ready_session(patient, clinician, patient_user)


@pytest.fixture
def alerted(session, patient, clinician):
    raise_alert(clinician, patient)
    return session


@pytest.fixture
def held(session, clinician):
    """The ready session, its pre-dose blood pressure at the hold level: a rule a clinician
    may waive."""
    data = {**GOOD_CHECKLIST.__dict__, "blood_pressure_systolic": 172}
    services.record_day_of_checklist(
        actor=actor(clinician), session=session, data=services.ChecklistInput(**data)
    )
    return fetched(session)


def page_url(session):
    return reverse("gates:session", args=[session.external_id])


def action_url(name, session):
    return reverse(f"gates:{name}", args=[session.external_id])


def text(response) -> str:
    return unescape(response.content.decode())


# --- The page ---------------------------------------------------------------------------------


def test_each_rule_is_shown_with_its_result_in_words(client, clinician, alerted):
    client.force_login(clinician)

    html = text(client.get(page_url(alerted)))

    assert '<span class="badge badge-danger">Not passed</span>' in html
    assert '<span class="badge badge-ok">Passed</span>' in html
    assert "1 safety alert, the first raised Dec 1, 2026, 8:30 AM" in html
    assert "Review the safety alert" in html


def test_start_button_is_disabled_with_the_reason_while_a_rule_fails(client, clinician, alerted):
    client.force_login(clinician)

    html = text(client.get(page_url(alerted)))

    assert 'disabled aria-describedby="start-help"' in html
    assert "Cannot start yet:" in html
    assert "(safety review)" in html


def test_start_button_is_enabled_when_every_rule_passes(client, clinician, session):
    client.force_login(clinician)

    html = text(client.get(page_url(session)))

    assert '<button type="submit" class="primary">Start dosing session</button>' in html


def test_coordinator_sees_the_gates_but_no_checklist_waiver_or_start_form(
    client, coordinator, held
):
    client.force_login(coordinator)

    html = text(client.get(page_url(held)))

    # The blood pressure and the pregnancy result are clinical findings.
    assert action_url("checklist", held) not in html
    assert action_url("waive", held) not in html
    assert action_url("start", held) not in html


def test_the_safety_review_is_not_offered_for_a_waiver(client, clinician, alerted):
    client.force_login(clinician)

    html = text(client.get(page_url(alerted)))

    assert "Review the safety alert" in html
    assert 'name="rule" value="safety_review"' not in html
    assert action_url("waive", alerted) not in html


def test_a_posted_safety_review_waiver_is_refused(client, clinician, alerted):
    client.force_login(clinician)

    response = client.post(
        action_url("waive", alerted),
        {"rule": "safety_review", "reason": "Seen; safe.", "reauthentication": PASSWORD},
        follow=True,
    )

    assert "“Safety review” cannot be waived" in text(response)
    assert not GateWaiver.objects.exists()


def test_admin_sees_the_gates_without_forms(client, clinic_admin, alerted):
    client.force_login(clinic_admin)

    html = text(client.get(page_url(alerted)))

    assert "Not passed" in html
    assert '<form method="post" action="/dosing-sessions/' not in html


def test_a_preparation_session_has_no_gates_page(client, clinician, session):
    preparation = plan_session(session.episode, clinician, kind="preparation", starts_at=NOW)
    client.force_login(clinician)

    assert client.get(page_url(preparation)).status_code == 404


def test_the_page_is_logged_as_a_view_of_the_patient(client, clinician, session, patient):
    client.force_login(clinician)

    client.get(page_url(session))

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.patient_id, entry.object_type) == (
        AccessAction.VIEW,
        patient.pk,
        "caresession",
    )


# --- POST-only actions: who may ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["checklist", "waive", "start"])
def test_actions_answer_405_to_a_get(client, clinician, session, name):
    client.force_login(clinician)

    assert client.get(action_url(name, session)).status_code == 405


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        ("checklist", "coordinator", 403),
        ("checklist", "patient_user", 403),
        ("checklist", "therapist", 403),
        ("checklist", "clinic_admin", 403),
        ("checklist", "outsider", 404),
        ("waive", "coordinator", 403),
        ("waive", "patient_user", 403),
        ("waive", "outsider", 404),
        ("start", "coordinator", 403),
        ("start", "clinic_admin", 403),
        ("start", "therapist", 403),
    ],
)
def test_actions_refuse_who_may_not(client, request, session, name, role, expected):
    if role == "outsider":
        # A clinician of another clinic may waive and start in their own clinic only.
        user = UserFactory(
            role=Role.CLINICIAN,
            clinic=request.getfixturevalue("other_clinic"),
        )
    else:
        user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(action_url(name, session), {**GOOD_FORM, "rule": "x", "reason": "y"})

    assert response.status_code == expected
    assert fetched(session).status == SessionStatus.PLANNED


# --- Day-of checklist -------------------------------------------------------------------------


def test_clinician_saves_the_checklist(client, clinician, session):
    client.force_login(clinician)

    response = client.post(action_url("checklist", session), GOOD_FORM)

    assert response.status_code == 302
    checklist = DayOfChecklist.objects.get(session=session)
    assert (checklist.blood_pressure, checklist.recorded_by_id) == ("124/78", clinician.pk)
    assert checklist.medication_changes == "Started sertraline 50 mg."


def test_implausible_blood_pressure_is_shown_at_its_field_and_kept(client, clinician, session):
    client.force_login(clinician)

    response = client.post(
        action_url("checklist", session), {**GOOD_FORM, "blood_pressure_systolic": "1240"}
    )

    html = text(response)
    assert response.status_code == 422
    assert 'id="checklist_blood_pressure_systolic_error"' in html
    assert "Enter a systolic value from 60 to 260 mmHg." in html
    assert 'value="1240"' in html
    assert "Started sertraline 50 mg." in html
    assert DayOfChecklist.objects.get(session=session).blood_pressure == "126/80"


def test_a_checklist_shown_again_is_logged_as_a_view(client, clinician, session, patient):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(action_url("checklist", session), {**GOOD_FORM, "blood_pressure_diastolic": "x"})

    rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.patient_id) for r in rows] == [(AccessAction.VIEW, patient.pk)]


# --- Waivers and start ------------------------------------------------------------------------


def test_waiver_without_a_reason_is_refused_at_the_field(client, clinician, held):
    client.force_login(clinician)

    response = client.post(
        action_url("waive", held),
        {"rule": "blood_pressure", "reason": "", "reauthentication": PASSWORD},
    )

    assert response.status_code == 422
    assert 'id="waive_blood_pressure_reason_error"' in text(response)
    assert not GateWaiver.objects.exists()


def test_waiver_without_re_entering_the_code_is_refused_at_the_field(client, clinician, held):
    give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(
        action_url("waive", held), {"rule": "blood_pressure", "reason": "Seen; safe."}
    )

    assert response.status_code == 422
    assert 'id="waive_blood_pressure_reauthentication_error"' in text(response)
    assert "Your current authenticator code" in text(response)
    assert not GateWaiver.objects.exists()


def test_a_wrong_reason_does_not_use_up_the_code(client, clinician, held):
    device = give_authenticator(clinician)
    client.force_login(clinician)
    code = code_for(device)

    client.post(
        action_url("waive", held),
        {
            "rule": "blood_pressure",
            "reason": "",
            "reauthentication": PASSWORD,
            "reauthentication_code": code,
        },
    )
    response = client.post(
        action_url("waive", held),
        {
            "rule": "blood_pressure",
            "reason": "Seen; safe.",
            "reauthentication": PASSWORD,
            "reauthentication_code": code,
        },
    )

    assert response.status_code == 302
    assert GateWaiver.objects.get().waived_by_id == clinician.pk


def test_clinician_waives_then_starts_the_dose(client, clinician, held):
    client.force_login(clinician)

    waived = client.post(
        action_url("waive", held),
        {"rule": "blood_pressure", "reason": "Seen; safe.", "reauthentication": PASSWORD},
    )
    page = text(client.get(page_url(held)))
    started = client.post(action_url("start", held))

    assert waived.status_code == 302
    assert '<span class="badge badge-warn">Waived</span>' in page
    assert "Seen; safe." in page
    assert started.status_code == 302
    assert fetched(held).status == SessionStatus.IN_PROGRESS


def test_start_refused_shows_the_failing_rules(client, clinician, alerted):
    client.force_login(clinician)

    response = client.post(action_url("start", alerted))

    assert response.status_code == 422
    assert "The dosing session did not start." in text(response)
    assert "Safety review: 1 safety alert" in text(response)
    assert fetched(alerted).status == SessionStatus.PLANNED


def test_waiving_a_rule_that_passes_now_says_so(client, clinician, session):
    client.force_login(clinician)

    response = client.post(
        action_url("waive", session),
        {"rule": "consent", "reason": "Why not.", "reauthentication": PASSWORD},
        follow=True,
    )

    assert "“Treatment consent” passes; there is nothing to waive." in text(response)
    assert not GateWaiver.objects.exists()


def test_a_therapist_the_patient_authorised_is_still_refused(client, therapist, patient, session):
    authorize(patient, therapist, scopes=Scope.values)
    client.force_login(therapist)

    assert client.get(page_url(session)).status_code == 403
    assert client.post(action_url("checklist", session), GOOD_FORM).status_code == 403
