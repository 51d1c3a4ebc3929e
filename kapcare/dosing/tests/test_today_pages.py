"""The Today board on the clinician's and the front desk's home pages and its live
fragments: each of the day's dosing sessions by room and time with its state, records to
sign, the gates of the sessions not yet started, checking in from the board; the same
number of queries with 1 and with 50 sessions; the access log."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.tests.test_today_fixtures import (
    NOON,
    booked_today,
    discharged,
    in_recovery,
    reading,
    under_way,
)
from kapcare.episodes.models import CareSession
from tests.factories import PatientFactory, RoomFactory, UserFactory


@pytest.fixture(autouse=True)
def _noon_in_the_clinic():
    with time_machine.travel(NOON, tick=False):
        yield


def board_of(client, user, seen=""):
    client.force_login(user)
    url = reverse("today:board") + (f"?seen={seen}" if seen else "")
    return client.get(url)


def card(html: str, session) -> str:
    """The board's card of `session`."""
    match = re.search(rf'<li[^>]*id="today-{session.external_id}".*?</li>', html, re.S)
    assert match, f"no card for {session}"
    return match.group(0)


def test_the_clinicians_home_shows_todays_sessions_by_room(client, clinician, patient, clinic):
    suite = RoomFactory(clinic=clinic, name="Suite B")
    session = booked_today(patient, clinician, hour=9, room=suite)
    client.force_login(clinician)

    html = client.get(reverse("clinician_home")).content.decode()

    assert "will appear here as they are built" not in html
    assert "Suite B" in html
    assert "Booked" in card(html, session)
    assert reverse("dosing:record", args=[session.external_id]) in card(html, session)


def test_a_dose_under_way_shows_minutes_and_last_vitals_with_its_alert(client, clinician, patient):
    session = booked_today(patient, clinician, hour=11)
    record = under_way(session, clinician, minutes_ago=35)
    reading(record, clinician, minutes_ago=20, hr=70)
    reading(record, clinician, minutes_ago=4, hr=72, spo2=(88, "< 92"))

    shown = card(board_of(client, clinician).content.decode(), session)

    assert "Dose under way" in shown
    assert "35 minutes since the dose started" in shown
    assert "HR 72 /min" in shown
    assert "HR 70" not in shown
    assert 'class="today-alert"' in shown
    assert "SpO2 88 %" in shown
    assert "alert &lt; 92" in shown


def test_recovery_shows_the_minutes_to_the_earliest_discharge(client, clinician, patient):
    session = booked_today(patient, clinician, hour=10)
    in_recovery(session, clinician, ended_minutes_ago=20)  # the clinic observes 60 min

    shown = card(board_of(client, clinician).content.decode(), session)

    assert "In recovery" in shown
    assert "40 minutes to the earliest discharge" in shown


def test_a_discharged_patients_unsigned_record_is_flagged_and_listed_to_sign(
    client, clinician, patient
):
    session = booked_today(patient, clinician, hour=8)
    discharged(session, clinician)

    html = board_of(client, clinician).content.decode()

    assert "Discharged" in card(html, session)
    assert "Record not signed" in card(html, session)
    to_sign = html[html.index("Records to sign") :]
    assert patient.display_name in to_sign


def test_another_clinics_sessions_are_not_on_the_board(client, clinician, other_clinic):
    stranger = PatientFactory(clinic=other_clinic, given_name="Ursula", family_name="Elsewhere")
    colleague = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    booked_today(stranger, colleague, hour=9)

    html = board_of(client, clinician).content.decode()

    assert "Elsewhere" not in html
    assert "No dosing sessions are booked today" in html


def test_the_board_logs_each_patient_it_lists(client, clinician, patient):
    booked_today(patient, clinician, hour=9)

    board_of(client, clinician)

    assert AccessLogEntry.objects.filter(
        actor=clinician, patient=patient, action=AccessAction.LIST
    ).exists()


def test_an_unchanged_board_answers_204_and_logs_nothing(client, clinician, patient):
    booked_today(patient, clinician, hour=9)
    first = board_of(client, clinician).content.decode()
    seen = re.search(r"\?seen=([0-9a-f]+)", first).group(1)
    logged = AccessLogEntry.objects.count()

    response = board_of(client, clinician, seen=seen)

    assert response.status_code == 204
    assert AccessLogEntry.objects.count() == logged


def test_the_board_changes_when_a_patient_is_checked_in(client, coordinator, clinician, patient):
    session = booked_today(patient, clinician, hour=9)
    seen = re.search(r"\?seen=([0-9a-f]+)", board_of(client, coordinator).content.decode())[1]

    response = client.post(
        reverse("check_in:check_in", args=[session.external_id]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "today-board-changed"
    assert "is checked in" in response.content.decode()
    again = board_of(client, coordinator, seen=seen)
    assert again.status_code == 200
    assert "Checked in" in card(again.content.decode(), session)


def test_checking_in_without_htmx_goes_back_home_with_the_refusal(
    client, coordinator, patient, clinician
):
    session = booked_today(patient, clinician, hour=9)
    CareSession.objects.filter(pk=session.pk).update(checked_in_at=NOON)
    client.force_login(coordinator)

    response = client.post(reverse("check_in:check_in", args=[session.external_id]), follow=True)

    assert response.redirect_chain[-1][0] == "/desk/"
    assert "already checked in" in response.content.decode()


def test_the_check_in_button_is_only_on_booked_sessions(client, coordinator, clinician, patient):
    session = booked_today(patient, clinician, hour=9)
    client.force_login(coordinator)

    html = client.get(reverse("coordinator_home")).content.decode()

    assert "Check in" in card(html, session)
    CareSession.objects.filter(pk=session.pk).update(checked_in_at=NOON)
    assert "Check in<" not in card(board_of(client, coordinator).content.decode(), session)


def test_the_gates_of_a_booked_session_say_how_many_fail(client, clinician, patient):
    session = booked_today(patient, clinician, hour=13)
    client.force_login(clinician)

    response = client.get(reverse("today:gates", args=[session.external_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"\d+ gates? not passed", html)
    assert reverse("gates:session", args=[session.external_id]) in html
    assert AccessLogEntry.objects.filter(
        actor=clinician, action=AccessAction.VIEW, object_id=str(session.external_id)
    ).exists()


def test_unchanged_gates_answer_204_and_log_nothing(client, clinician, patient):
    session = booked_today(patient, clinician, hour=13)
    client.force_login(clinician)
    url = reverse("today:gates", args=[session.external_id])
    seen = re.search(r"\?seen=([a-z_,]+)", client.get(url).content.decode()).group(1)
    logged = AccessLogEntry.objects.count()

    response = client.get(f"{url}?seen={seen}")

    assert response.status_code == 204
    assert AccessLogEntry.objects.count() == logged


def _day_of(clinic, clinician, count: int) -> None:
    """`count` sessions today in rooms of their own, booked with clinicians of their own,
    in every state the board shows (the first one under way: every query runs), each dose
    with two readings."""
    states = [under_way, None, "checked_in", in_recovery, discharged]
    for number in range(count):
        patient = PatientFactory(clinic=clinic)
        colleague = UserFactory(role=Role.CLINICIAN, clinic=clinic)
        session = booked_today(patient, colleague, hour=8 + number % 8)
        state = states[number % len(states)]
        if state == "checked_in":
            CareSession.objects.filter(pk=session.pk).update(checked_in_at=NOON)
        elif state is not None:
            record = state(session, clinician)
            reading(record, clinician, minutes_ago=15, hr=70, sbp=120)
            reading(record, clinician, minutes_ago=3, hr=75, spo2=(90, "< 92"))


def _queries_of_the_board(client, user) -> int:
    client.force_login(user)
    client.get(reverse("today:board"))  # the session and the user are read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("today:board")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [1, 50])
def test_the_board_reads_a_fixed_number_of_queries(
    client, clinic, clinician, django_assert_max_num_queries, count
):
    _day_of(clinic, clinician, 1)
    one = _queries_of_the_board(client, clinician)
    _day_of(clinic, clinician, count - 1)

    with django_assert_max_num_queries(one):
        assert client.get(reverse("today:board")).status_code == 200


@pytest.mark.parametrize(
    ("home", "persona"), [("clinician_home", "clinician"), ("coordinator_home", "coordinator")]
)
def test_the_home_pages_read_as_many_queries_with_50_sessions_as_with_1(
    client, request, clinic, clinician, home, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    _day_of(clinic, clinician, 1)
    client.get(reverse(home))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(home)).status_code == 200
    _day_of(clinic, clinician, 49)

    with CaptureQueriesContext(connection) as fifty:
        html = client.get(reverse(home)).content.decode()

    assert html.count('class="today-session ') == 50
    assert len(fifty) == len(one)
