"""The series page: a proposal from the chosen day, adjusted and booked in one step, all or
nothing, with each problem at its row and nothing typed lost."""

import datetime as dt
from datetime import time

import pytest
import time_machine
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes.models import CareSession
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import Appointment, WorkingHours
from tests.factories import PatientFactory, RoomFactory, UserFactory, asked_coverage, open_episode

# Friday, November 20, 2026, 09:00 in the clinic (America/Chicago, UTC-6).
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite 1")


@pytest.fixture
def episode(patient, clinician, therapist, suite):
    asked_coverage(patient, clinician)  # every booking asks it first (billing.booking)
    return open_episode(patient, clinician, therapist=therapist, treating_clinician=clinician)


def plan_url(episode, **query):
    url = reverse("series:plan", kwargs={"episode_id": episode.external_id})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def rows_of(response) -> list[dict]:
    """What the proposal's rows hold, as the browser would send them back."""
    formset = response.context["formset"]
    rows = []
    for form in formset.forms:
        rows.append(
            {
                "include": "on",
                "kind": form["kind"].value(),
                "dose_number": form["dose_number"].value() or "",
                "start": f"{form['start'].value():%Y-%m-%dT%H:%M}",
                "room": form["room"].value() or "",
                "clinician": form["clinician"].value() or "",
            }
        )
    return rows


def post_data(rows: list[dict]) -> dict:
    data = {
        "sessions-TOTAL_FORMS": str(len(rows)),
        "sessions-INITIAL_FORMS": str(len(rows)),
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            if name == "include" and not value:
                continue
            data[f"sessions-{index}-{name}"] = value
    return data


def test_proposal_for_a_blended_episode_has_preparation_doses_and_integration(
    client, coordinator, episode
):
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day="2026-12-07"))

    kinds = [row["kind"] for row in rows_of(response)]
    assert kinds.count("preparation") == 1
    assert kinds.count("dosing") == 6
    assert kinds.count("integration") == 6
    assert rows_of(response)[1]["start"] == "2026-12-07T08:00"  # the first dose


def test_proposal_respects_the_clinicians_working_hours(client, coordinator, clinician, episode):
    WorkingHours.objects.create(clinician=clinician, weekday=0, starts=time(13), ends=time(17))
    WorkingHours.objects.create(clinician=clinician, weekday=2, starts=time(13), ends=time(17))
    client.force_login(coordinator)

    response = client.get(
        plan_url(episode, first_day="2026-12-07", clinician=clinician.external_id)
    )

    doses = [row["start"] for row in rows_of(response) if row["kind"] == "dosing"]
    assert doses[:2] == ["2026-12-07T13:00", "2026-12-09T13:00"]


def test_standalone_infusion_proposes_doses_only(client, coordinator, clinician, suite, clinic):
    patient = PatientFactory(clinic=clinic)
    episode = open_episode(patient, clinician, model="standalone")
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day="2026-12-07"))

    assert {row["kind"] for row in rows_of(response)} == {"dosing"}


def test_series_that_cannot_fit_is_explained(client, coordinator, clinic, episode):
    clinic.induction_span_days = 7
    clinic.save(update_fields=["induction_span_days"])
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day="2026-12-07"))

    assert "need at least 11 days" in response.content.decode()
    assert response.context["formset"].forms == []


def test_booking_all_books_every_session_and_goes_to_the_episode(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))

    response = client.post(plan_url(episode, first_day="2026-12-07"), post_data(rows))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "episodes:detail", kwargs={"episode_id": episode.external_id}
    )
    assert CareSession.objects.filter(episode=episode).count() == 13
    assert Appointment.objects.filter(patient=episode.patient).count() == 6


def test_booked_dose_starts_at_the_clinic_time_typed(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    for row in rows:
        row["include"] = "on" if row["kind"] == "dosing" and row["dose_number"] == 1 else ""
    rows[1]["start"] = "2026-12-07T09:30"

    client.post(plan_url(episode), post_data(rows))

    dose = CareSession.objects.get(episode=episode)
    assert dose.planned_start == dt.datetime(2026, 12, 7, 15, 30, tzinfo=dt.UTC)  # CST = UTC-6


def test_integration_rows_are_run_by_the_therapist_without_an_appointment(
    client, coordinator, episode, therapist
):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))

    client.post(plan_url(episode), post_data(rows))

    integration = CareSession.objects.filter(episode=episode, kind="integration")
    assert {(s.appointment_id, s.run_by_id) for s in integration} == {(None, therapist.pk)}


def test_conflict_books_nothing_and_is_named_at_its_row(
    client, coordinator, clinician, clinic, episode, suite
):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    # Someone books the third dose's room and time in the meantime.
    scheduling.book(
        actor=Actor(user=coordinator, ip_address="127.0.0.1"),
        clinic=clinic,
        slot=scheduling.Slot(
            dt.datetime(2026, 12, 11, 14, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 11, 16, 0, tzinfo=dt.UTC),
            suite,
            None,
        ),
        purpose="Room maintenance",
    )
    rows[5]["start"] = "2026-12-11T08:30"  # dose 3, moved a little by the coordinator

    response = client.post(plan_url(episode), post_data(rows))

    assert response.status_code == 200
    assert CareSession.objects.filter(episode=episode).count() == 0
    assert Appointment.objects.filter(patient=episode.patient).count() == 0
    dose_three = response.context["formset"].forms[5]
    assert dose_three.title == "Dose 3"
    assert "Suite 1 is already booked Fri Dec 11, 8:00 AM–10:00 AM (Room maintenance)" in str(
        dose_three.non_field_errors()
    )
    assert 'value="2026-12-11T08:30"' in response.content.decode()  # nothing typed is lost


def test_doses_closer_than_the_minimum_interval_are_refused_at_the_later_dose(
    client, coordinator, episode
):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    rows[3]["start"] = "2026-12-08T09:00"  # dose 2, only 25 hours after dose 1

    response = client.post(plan_url(episode), post_data(rows))

    assert CareSession.objects.filter(episode=episode).count() == 0
    errors = response.context["formset"].forms[3].errors["start"]
    assert errors == [
        "Less than 48 hours after the dose of Mon Dec 7, 08:00; doses are at least 48 hours apart."
    ]


def test_dose_without_a_room_is_refused_at_its_room(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    rows[1]["room"] = ""

    response = client.post(plan_url(episode), post_data(rows))

    assert response.context["formset"].forms[1].errors["room"] == ["A dose needs a room."]
    assert CareSession.objects.count() == 0


def test_unticked_row_is_neither_checked_nor_booked(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    rows[0].update(include="", start="not a date")

    response = client.post(plan_url(episode), post_data(rows))

    assert response.status_code == 302
    assert not CareSession.objects.filter(episode=episode, kind="preparation").exists()


def test_nothing_ticked_is_refused(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    for row in rows:
        row["include"] = ""

    response = client.post(plan_url(episode), post_data(rows))

    assert response.context["formset"].non_form_errors() == ["Tick at least one session to book."]


def test_opening_the_page_is_logged_against_the_patient(client, coordinator, episode):
    client.force_login(coordinator)

    client.get(plan_url(episode))

    assert AccessLogEntry.objects.filter(
        actor=coordinator, patient=episode.patient, action=AccessAction.VIEW
    ).exists()


def test_refused_booking_logs_the_redisplay(client, coordinator, episode):
    client.force_login(coordinator)
    rows = rows_of(client.get(plan_url(episode, first_day="2026-12-07")))
    rows[1]["room"] = ""
    before = AccessLogEntry.objects.filter(action=AccessAction.VIEW).count()

    client.post(plan_url(episode), post_data(rows))

    assert AccessLogEntry.objects.filter(action=AccessAction.VIEW).count() == before + 1


def test_page_query_count_does_not_grow_with_bookings_rooms_or_clinicians(
    client, coordinator, clinic, episode, django_assert_max_num_queries
):
    client.force_login(coordinator)
    url = plan_url(episode, first_day="2026-12-07")
    client.get(url)  # warm the session and caches
    # 21: the booking warnings of the apps above episodes (coverage) and the patient's
    # readiness (screened, eligible, consented) each read once.
    with django_assert_max_num_queries(21) as few:
        client.get(url)
    for n in range(4):
        room = RoomFactory(clinic=clinic)
        doctor = UserFactory(role="clinician", clinic=clinic)
        WorkingHours.objects.create(clinician=doctor, weekday=n + 1, starts=time(8), ends=time(12))
        scheduling.book(
            actor=Actor(user=coordinator, ip_address="127.0.0.1"),
            clinic=clinic,
            slot=scheduling.Slot(
                dt.datetime(2026, 12, 8 + n, 14, 0, tzinfo=dt.UTC),
                dt.datetime(2026, 12, 8 + n, 16, 0, tzinfo=dt.UTC),
                room,
                doctor,
            ),
            purpose="Dosing session",
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_invalid_first_day_is_shown_at_its_field_with_no_proposal(client, coordinator, episode):
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day="next-monday"))

    assert response.context["choice_form"].errors["first_day"] == ["Enter a date, e.g. 2026-12-07."]
    assert response.context["formset"].forms == []


def test_the_page_warns_before_booking_when_the_patient_is_not_ready(client, coordinator, episode):
    client.force_login(coordinator)

    html = client.get(plan_url(episode)).content.decode()

    assert "Before booking: this patient is not ready to be dosed yet." in html
    assert "No medical screening has been completed yet." in html
    assert "The treatment consent is not signed yet." in html


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (
            {"is_screened": True, "is_eligible": True, "consent_status": "current"},
            [],
        ),
        (
            {"is_screened": False, "is_eligible": True, "consent_status": "current"},
            ["No medical screening has been completed yet."],
        ),
        (
            {"is_screened": True, "is_eligible": False, "consent_status": "current"},
            ["Eligibility: Not decided."],
        ),
        (
            {"is_screened": True, "is_eligible": True, "consent_status": "outdated"},
            ["The treatment consent must be signed again (a new version)."],
        ),
    ],
)
def test_readiness_warnings_name_each_missing_step(facts, expected):
    from kapcare.episodes.series.readiness import readiness_warnings

    assert readiness_warnings(eligibility_label="Not decided", **facts) == expected


def test_a_clinic_open_tuesday_to_saturday_gets_a_saturday_dose_and_none_on_monday(
    client, coordinator, clinician, clinic, episode
):
    """The page passes the clinic's own working days (its setting) to the planner."""
    clinic.working_days = "12345"
    clinic.save(update_fields=["working_days"])
    for weekday in range(7):
        WorkingHours.objects.create(
            clinician=clinician, weekday=weekday, starts=time(9), ends=time(17)
        )
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day="2026-12-07"))

    rows = rows_of(response)
    days = {dt.date.fromisoformat(row["start"][:10]).weekday() for row in rows}
    doses = {
        dt.date.fromisoformat(row["start"][:10]).weekday()
        for row in rows
        if row["kind"] == "dosing"
    }
    assert 5 in doses  # a Saturday dose
    assert not days & {0, 6}  # nothing on a Monday or a Sunday
