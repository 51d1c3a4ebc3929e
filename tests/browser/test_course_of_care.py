"""The course of care in a browser: a coordinator plans a blended-model induction series
from the episode, moves one dose to the other room and a later hour, and books it all in
one step; the clinician then opens the first dose's gates and reads each rule's result in
words, with the start button disabled and the reason given, until the day-of checklist is
recorded. Every page passes axe at phone and desktop sizes."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from kapcare.audit.log import Actor
from kapcare.consents.tests.test_documents_fixtures import sign
from kapcare.episodes import services as episodes
from kapcare.episodes.models import CareSession
from kapcare.episodes.tests.test_gate_facts import make_eligible
from kapcare.scheduling import services as scheduling
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, go_to, login
from tests.factories import RoomFactory, asked_coverage, authorize, open_episode, plan_session

MONDAY_TO_SATURDAY = range(6)
# The series is planned from a week ahead, so that the whole proposal lies in the future
# whatever the day and hour the test runs.
DAYS_AHEAD = 7


def assert_accessible_at_both_sizes(page) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
        # Nothing (the therapist's email among the episode's facts) pushes it sideways.
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], f"{scroll_width} px wide at {viewport}"


@pytest.fixture
def rooms(clinic):
    return RoomFactory(clinic=clinic, name="Suite A"), RoomFactory(clinic=clinic, name="Suite B")


@pytest.fixture
def consented_episode(clinic, rooms, clinician, patient, patient_user, therapist):
    """A blended episode with an outside therapist, the patient eligible and consented; the
    clinician works Monday to Saturday, 8 to 5."""
    by = Actor(user=clinician, ip_address="127.0.0.1")
    for weekday in MONDAY_TO_SATURDAY:
        scheduling.add_working_hours(
            actor=by, clinician=clinician, weekday=weekday, starts=dt.time(8), ends=dt.time(17)
        )
    make_eligible(patient, clinician, patient_user)
    episode = open_episode(patient, clinician, therapist=therapist, treating_clinician=clinician)
    sign(patient, by=patient_user)  # the consent for this episode
    for state in ("screening", "eligible", "consented"):
        episodes.change_state(actor=by, episode=episode, to_state=state)
    return episode


def clinic_today(clinic) -> dt.date:
    return timezone.localtime(timezone.now(), clinic.zone).date()


def open_the_episode(page, patient) -> None:
    """From the menu: Patients, the patient's chart, the episode in "Course of care"."""
    go_to(page, "Patients")
    page.get_by_role("link", name=f"{patient.family_name}, {patient.given_name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient.given_name)
    course = page.get_by_role("region", name="Course of care")
    expect(course).to_contain_text("Consented")
    course.get_by_role("link", name="Blended KAP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blended KAP")


@pytest.mark.browser
def test_coordinator_books_a_blended_series_and_clinician_sees_the_first_dose_gates(
    page, live_server, clinic, rooms, coordinator, clinician, patient, consented_episode
):
    episode = consented_episode
    asked_coverage(patient, coordinator)  # the booking asks it otherwise (its own test)
    suite_b = rooms[1]
    first_day = clinic_today(clinic) + dt.timedelta(days=DAYS_AHEAD)

    # --- The coordinator plans the series ---------------------------------------------------
    login(page, coordinator.email)
    open_the_episode(page, patient)
    expect(page.get_by_role("region", name="Sessions")).to_contain_text("No sessions planned yet.")
    assert_accessible_at_both_sizes(page)

    page.get_by_role("link", name="Plan a series").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan the series")
    choice = page.get_by_role("region", name="Propose from")
    choice.get_by_label("First dose on or after").fill(first_day.isoformat())
    choice.get_by_label("Clinician").select_option(label=clinician.full_name)
    choice.get_by_role("button", name="Propose a series").click()

    proposal = page.get_by_role("region", name="The sessions to book")
    rows = proposal.get_by_role("group")
    expect(rows.filter(has=page.get_by_text(re.compile(r"^Dose \d$")))).to_have_count(6)
    expect(proposal.get_by_role("group", name=re.compile(r"^Preparation session"))).to_have_count(1)
    expect(
        proposal.get_by_role("group", name=re.compile(r"^Integration after dose"))
    ).to_have_count(6)
    assert_accessible_at_both_sizes(page)

    # The last dose moves an hour later, to the other room: typed as a person types it.
    last_dose = proposal.get_by_role("group", name="Dose 6", exact=True)
    starts = last_dose.get_by_label(re.compile(r"^Starts"))
    proposed = dt.datetime.fromisoformat(starts.input_value())
    moved = proposed + dt.timedelta(hours=1)
    starts.fill(f"{moved:%Y-%m-%dT%H:%M}")
    last_dose.get_by_label(re.compile(r"^Room")).select_option(label=suite_b.name)
    page.get_by_role("button", name="Book all").click()

    expect(page.get_by_text("13 sessions booked.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blended KAP")
    timeline = page.get_by_role("region", name="Sessions").get_by_role("list").first
    expect(timeline.get_by_role("listitem")).to_have_count(13)
    expect(timeline.get_by_role("listitem").filter(has_text="Dosing session")).to_have_count(6)
    expect(timeline.get_by_role("listitem").filter(has_text="Preparation")).to_have_count(1)
    expect(timeline.get_by_role("listitem").filter(has_text="Integration")).to_have_count(6)
    expect(timeline.get_by_role("listitem").filter(has_text=suite_b.name)).to_have_count(1)
    assert_accessible_at_both_sizes(page)

    doses = list(
        CareSession.objects.filter(episode=episode, kind="dosing")
        .select_related("appointment__room")
        .order_by("planned_start")
    )
    assert len(doses) == 6
    assert timezone.localtime(doses[-1].planned_start, clinic.zone).replace(tzinfo=None) == moved
    assert doses[-1].appointment.room == suite_b
    first_dose = doses[0]
    assert timezone.localtime(first_dose.planned_start, clinic.zone).date() >= first_day

    # --- On the morning of the first dose, the clinician opens its gates ------------------
    # (the day-of checklist and the pre-dose blood pressure count on the dose's day only)
    with time_machine.travel(first_dose.planned_start - dt.timedelta(minutes=30), tick=True):
        page.context.clear_cookies()
        login(page, clinician.email)
        open_the_episode(page, patient)
        first_dose_day = timezone.localtime(first_dose.planned_start, clinic.zone)
        page.get_by_role(
            "link", name=f"Gates for the dosing session of {first_dose_day:%b} {first_dose_day.day}"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dosing session gates")

        gates = page.get_by_role("region", name="The gates")
        for rule, result in [
            ("Eligibility", "Passed"),
            ("Treatment consent", "Passed"),
            ("Preparation", "Not passed"),
            ("Safety review", "Passed"),
            ("Day-of checklist", "Not passed"),
            ("Pre-dose blood pressure", "Not passed"),
        ]:
            expect(gates.get_by_role("heading", name=rule)).to_have_text(
                re.compile(rf"^{re.escape(rule)} {result}$")
            )
        start = page.get_by_role("button", name="Start dosing session")
        expect(start).to_be_disabled()
        expect(start).to_have_accessible_description(re.compile(r"^Cannot start yet:.*preparation"))
        assert_accessible_at_both_sizes(page)

        # --- The clinician records the day-of checklist: that rule now passes ----------------
        checklist = page.get_by_role("region", name="Day-of checklist")
        for box in checklist.get_by_role("checkbox").all():
            box.check()
        checklist.get_by_label(re.compile(r"^Pregnancy test")).select_option(label="Negative")
        checklist.get_by_label(re.compile(r"^Pre-dose systolic")).fill("124")
        checklist.get_by_label(re.compile(r"^Pre-dose diastolic")).fill("78")
        checklist.get_by_role("button", name="Save checklist").click()

        expect(gates.get_by_role("heading", name="Day-of checklist")).to_have_text(
            "Day-of checklist Passed"
        )
        expect(gates.get_by_role("heading", name="Pre-dose blood pressure")).to_have_text(
            re.compile(r"^Pre-dose blood pressure Passed")
        )
        expect(gates.get_by_role("heading", name="Preparation")).to_have_text(
            "Preparation Not passed"
        )
        expect(page.get_by_role("button", name="Start dosing session")).to_be_disabled()
        assert_accessible_at_both_sizes(page)


@pytest.mark.browser
def test_schedule_prices_rooms_hours_and_feed_pages_pass_axe(
    page,
    live_server,
    clinic,
    rooms,
    coordinator,
    clinician,
    clinic_admin,
    patient,
    therapist,
    consented_episode,
):
    working_day = clinic_today(clinic) + dt.timedelta(days=1)
    if working_day.weekday() not in MONDAY_TO_SATURDAY:
        working_day += dt.timedelta(days=1)
    ten_o_clock = timezone.make_aware(dt.datetime.combine(working_day, dt.time(10)), clinic.zone)
    plan_session(consented_episode, clinician, starts_at=ten_o_clock, room=rooms[0])
    authorize(patient, therapist, scopes=("schedule",))

    login(page, coordinator.email)
    go_to(page, "Schedule")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(today)")
    assert_accessible_at_both_sizes(page)
    page.get_by_role("link", name="Next day →").click()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("(today)")
    assert_accessible_at_both_sizes(page)
    query = page.get_by_role("form", name="Choose the date and view")
    query.get_by_label(re.compile(r"^Date")).fill(working_day.isoformat())
    query.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{working_day:%B} {working_day.day}"
    )
    booked = page.get_by_role("listitem").filter(has_text="10:00 AM–")
    expect(booked.get_by_role("link", name=patient.full_name)).to_be_visible()
    expect(page.get_by_role("heading", name="Suite A")).to_be_visible()
    page.get_by_role("link", name="By clinician").click()
    expect(page.get_by_role("heading", name=clinician.display_name)).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="10:00 AM–")).to_contain_text(rooms[0].name)
    assert_accessible_at_both_sizes(page)
    page.get_by_role("link", name="The week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("week of")
    assert_accessible_at_both_sizes(page)
    go_to(page, "Working hours")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Working hours")
    assert_accessible_at_both_sizes(page)

    page.context.clear_cookies()
    login(page, clinic_admin.email)
    for item, heading in [("Prices", "Price list"), ("Rooms", "Rooms")]:
        go_to(page, item, exact=True)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible_at_both_sizes(page)

    page.context.clear_cookies()
    login(page, therapist.email)
    go_to(page, "Calendar feed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions in your calendar")
    assert_accessible_at_both_sizes(page)
