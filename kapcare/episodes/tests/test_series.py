"""The series planner, edge by edge: the 48-hour interval, days without hours, a busy room
or clinician, the span, preparation and integration, and the clinic's clock across a
daylight-saving change. No database."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kapcare.episodes.series.rules import ClinicianWeek, SeriesRequest, plan_series

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS_8_TO_5 = {weekday: [(time(8, 0), time(17, 0))] for weekday in range(5)}
EVERY_DAY_9_TO_5 = {weekday: [(time(9, 0), time(17, 0))] for weekday in range(7)}
MONDAY = date(2026, 12, 7)  # December 2026: the 7th is a Monday


def at(day: int, clock: str, month: int = 12, year: int = 2026) -> datetime:
    """A moment in the clinic's zone."""
    hours, minutes = map(int, clock.split(":"))
    return datetime(year, month, day, hours, minutes, tzinfo=CHICAGO)


def request(**changes) -> SeriesRequest:
    """The clinic's defaults: 6 doses, 48 h apart, within 21 days, a 115-minute dosing
    block (check-in 15, infusion 40, recovery 60), 50-minute therapy, a 72-hour window;
    one clinician working weekdays 08:00–17:00, two rooms, nothing booked."""
    base = SeriesRequest(
        first_day=MONDAY,
        not_before=at(1, "12:00"),
        zone=CHICAGO,
        doses=6,
        minimum_interval_hours=48,
        span_days=21,
        dosing_minutes=115,
        therapy_minutes=50,
        integration_window_hours=72,
        rooms=["suite 1", "suite 2"],
        clinicians=[ClinicianWeek("cal", WEEKDAYS_8_TO_5)],
    )
    return replace(base, **changes)


def dose_starts(plan) -> list[str]:
    return [f"{d.starts_at:%a %d %H:%M}" for d in plan.doses]


def test_default_series_doses_every_other_working_day():
    plan = plan_series(request())

    assert plan.is_possible
    assert dose_starts(plan) == [
        "Mon 07 08:00",
        "Wed 09 08:00",
        "Fri 11 08:00",
        "Mon 14 08:00",  # Sunday has no hours
        "Wed 16 08:00",
        "Fri 18 08:00",
    ]


def test_each_dose_holds_a_room_and_the_clinician_for_the_whole_block():
    first = plan_series(request()).doses[0]

    assert (first.room, first.clinician) == ("suite 1", "cal")
    assert first.ends_at - first.starts_at == timedelta(minutes=115)
    assert first.starts_at.tzinfo == CHICAGO


@pytest.mark.parametrize(
    ("interval_hours", "second_dose"),
    [
        (48, "Wed 09 08:00"),  # exactly 48 hours later is allowed
        (49, "Wed 09 09:00"),
        (24, "Tue 08 08:00"),
        (72, "Thu 10 08:00"),
    ],
)
def test_second_dose_comes_at_the_minimum_interval(interval_hours, second_dose):
    plan = plan_series(request(doses=2, minimum_interval_hours=interval_hours))

    assert dose_starts(plan)[1] == second_dose


def test_previous_dose_counts_for_the_first_dose_of_the_plan():
    plan = plan_series(request(doses=1, previous_dose_at=at(6, "10:00")))

    assert dose_starts(plan) == ["Tue 08 10:00"]


@pytest.mark.parametrize(
    ("first_day", "expected"),
    [
        (date(2026, 12, 11), ["Fri 11 08:00", "Mon 14 08:00"]),  # the weekend is skipped
        (date(2026, 12, 12), ["Mon 14 08:00", "Wed 16 08:00"]),  # a Saturday start moves on
    ],
)
def test_days_without_working_hours_are_skipped(first_day, expected):
    plan = plan_series(request(doses=2, first_day=first_day))

    assert dose_starts(plan) == expected


def test_clinician_with_no_hours_recorded_is_proposed_within_the_usual_clinic_day():
    plan = plan_series(
        request(doses=2, first_day=date(2026, 12, 11), clinicians=[ClinicianWeek("cal", {})])
    )

    assert dose_starts(plan) == ["Fri 11 08:00", "Mon 14 08:00"]


def test_the_whole_block_must_fit_in_the_shift():
    short_mornings = {0: [(time(8, 0), time(9, 30))], 1: [(time(8, 0), time(9, 55))]}

    plan = plan_series(request(doses=1, clinicians=[ClinicianWeek("cal", short_mornings)]))

    assert dose_starts(plan) == ["Tue 08 08:00"]


def test_split_shift_places_the_dose_after_the_break():
    split = {0: [(time(8, 0), time(9, 0)), (time(13, 0), time(17, 0))]}

    plan = plan_series(request(doses=1, clinicians=[ClinicianWeek("cal", split)]))

    assert dose_starts(plan) == ["Mon 07 13:00"]


def test_busy_room_gives_the_next_room():
    plan = plan_series(request(room_busy={"suite 1": [(at(7, "07:00"), at(7, "12:00"))]}))

    first = plan.doses[0]
    assert (f"{first.starts_at:%H:%M}", first.room) == ("08:00", "suite 2")


def test_busy_rooms_give_the_next_free_time_that_day():
    busy = [(at(7, "08:00"), at(7, "11:00"))]

    plan = plan_series(request(room_busy={"suite 1": busy, "suite 2": busy}))

    assert dose_starts(plan)[0] == "Mon 07 11:00"


def test_busy_clinician_gives_the_next_clinician():
    cal = ClinicianWeek("cal", WEEKDAYS_8_TO_5, busy=[(at(7, "08:00"), at(7, "17:00"))])
    cleo = ClinicianWeek("cleo", WEEKDAYS_8_TO_5)

    plan = plan_series(request(clinicians=[cal, cleo]))

    assert (plan.doses[0].clinician, plan.doses[1].clinician) == ("cleo", "cal")


def test_busy_everything_moves_the_series_to_the_next_day_and_says_so():
    whole_monday = [(at(7, "00:00"), at(8, "00:00"))]

    plan = plan_series(request(room_busy={"suite 1": whole_monday, "suite 2": whole_monday}))

    assert dose_starts(plan)[0] == "Tue 08 08:00"
    assert any("starts on Tue Dec 8" in note for note in plan.notes)


def test_two_doses_of_one_plan_never_share_a_room_at_once():
    plan = plan_series(request(doses=2, minimum_interval_hours=0, rooms=["suite 1"]))

    first, second = plan.doses
    assert second.starts_at >= first.ends_at


def test_earliest_time_keeps_doses_in_the_afternoon():
    plan = plan_series(request(doses=2, earliest_time=time(13, 0)))

    assert dose_starts(plan) == ["Mon 07 13:00", "Wed 09 13:00"]


def test_nothing_is_proposed_before_now():
    plan = plan_series(request(doses=1, not_before=at(7, "10:05")))

    assert dose_starts(plan) == ["Mon 07 10:15"]


def test_series_longer_than_the_span_is_refused_with_the_arithmetic():
    plan = plan_series(request(span_days=7))

    assert not plan.is_possible
    assert plan.sessions == ()
    assert plan.problem.startswith(
        "6 doses at least 48 hours apart need at least 11 days; the clinic's induction "
        "series spans 7 days."
    )


def test_series_that_fits_only_on_paper_is_refused_naming_the_dose_that_does_not_fit():
    # Both rooms are taken from the second dose's day to the end of the month.
    taken = [(at(9, "00:00"), at(31, "00:00"))]

    plan = plan_series(request(room_busy={"suite 1": taken, "suite 2": taken}))

    assert plan.sessions == ()
    assert plan.problem.startswith("Only 1 of 6 doses fit within the 21 days from Mon Dec 7")
    assert "dose 2" in plan.problem


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"rooms": []}, "The clinic has no room in use"),
        ({"clinicians": []}, "The clinic has no clinician"),
        ({"doses": 0}, "There is no dose left to plan."),
    ],
)
def test_missing_pieces_are_explained(changes, problem):
    assert plan_series(request(**changes)).problem.startswith(problem)


@pytest.mark.parametrize(
    ("first_dose", "second_dose_clock", "hours"),
    [
        # Daylight-saving time begins Sunday March 8, 2026: 48 hours after Saturday 09:00
        # CST is Monday 10:00 CDT.
        (date(2026, 3, 7), "10:00", 48),
        # It ends Sunday November 1, 2026: 48 hours after Saturday 09:00 CDT is Monday
        # 08:00 CST, before the 09:00 shift, so the shift's start.
        (date(2026, 10, 31), "09:00", 49),
    ],
)
def test_minimum_interval_is_elapsed_time_across_daylight_saving(
    first_dose, second_dose_clock, hours
):
    plan = plan_series(
        request(
            first_day=first_dose,
            not_before=datetime(2026, 1, 1, tzinfo=CHICAGO),
            doses=2,
            clinicians=[ClinicianWeek("cal", EVERY_DAY_9_TO_5)],
            working_days=frozenset(range(7)),  # a clinic open every day
        )
    )

    first, second = plan.doses
    assert f"{first.starts_at:%a %H:%M}" == "Sat 09:00"
    assert f"{second.starts_at:%a %H:%M}" == f"Mon {second_dose_clock}"
    elapsed = second.starts_at.astimezone(UTC) - first.starts_at.astimezone(UTC)
    assert elapsed == timedelta(hours=hours)


def test_preparation_sessions_take_the_weekdays_just_before_the_first_dose():
    plan = plan_series(request(doses=1, preparation_sessions=2))

    preparation = [s for s in plan.sessions if s.kind == "preparation"]
    assert [f"{s.starts_at:%a %d %H:%M}" for s in preparation] == [
        "Thu 03 08:00",
        "Fri 04 08:00",
    ]
    assert all(s.room is None and s.clinician is None for s in preparation)
    assert preparation[0].ends_at - preparation[0].starts_at == timedelta(minutes=50)


def test_first_dose_moves_later_to_leave_room_for_preparation():
    plan = plan_series(
        request(
            doses=1, preparation_sessions=2, not_before=at(3, "09:00"), first_day=date(2026, 12, 4)
        )
    )

    assert [f"{s.kind} {s.starts_at:%a %d}" for s in plan.sessions] == [
        "preparation Fri 04",
        "preparation Mon 07",
        "dosing Tue 08",
    ]
    assert any("cannot be on Fri Dec 4" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # The next weekday at the dose's clock time.
        ({}, ["Tue 08 08:00", "Thu 10 08:00", "Mon 14 08:00"]),
        # A shorter window after a Friday dose: right after the dose, not on the Saturday.
        ({"integration_window_hours": 48}, ["Tue 08 08:00", "Thu 10 08:00", "Fri 11 10:00"]),
    ],
)
def test_integration_follows_each_dose_inside_its_window(changes, expected):
    plan = plan_series(request(doses=3, integration_sessions=3, **changes))

    integration = [s for s in plan.sessions if s.kind == "integration"]
    assert [f"{s.starts_at:%a %d %H:%M}" for s in integration] == expected
    assert [s.dose_number for s in integration] == [1, 2, 3]


def test_integration_comes_before_the_next_dose_when_doses_are_a_day_apart():
    plan = plan_series(request(doses=2, integration_sessions=1, minimum_interval_hours=24))

    integration = next(s for s in plan.sessions if s.kind == "integration")
    assert f"{integration.starts_at:%a %d %H:%M}" == "Mon 07 10:00"  # right after the dose


def test_dose_with_no_time_for_integration_is_noted():
    plan = plan_series(request(doses=1, integration_sessions=1, integration_window_hours=0))

    assert [s.kind for s in plan.sessions] == ["dosing"]
    assert len(plan.notes) == 1
    assert "No integration session fits" in plan.notes[0]


def test_standalone_infusion_plans_doses_only():
    plan = plan_series(request(preparation_sessions=0, integration_sessions=0))

    assert {s.kind for s in plan.sessions} == {"dosing"}


def test_sessions_come_in_time_order():
    plan = plan_series(request(preparation_sessions=1, integration_sessions=6))

    starts = [s.starts_at for s in plan.sessions]
    assert starts == sorted(starts)
    assert len(plan.sessions) == 13


def test_same_request_gives_the_same_plan():
    busy = {"suite 1": [(at(9, "08:00"), at(9, "10:00"))]}

    assert plan_series(request(room_busy=busy)) == plan_series(request(room_busy=busy))


def test_a_clinician_working_weekends_gets_no_weekend_session_on_the_clinic_working_days():
    plan = plan_series(
        request(
            first_day=date(2026, 12, 11),  # a Friday
            not_before=at(1, "12:00"),
            doses=2,
            integration_sessions=2,
            clinicians=[ClinicianWeek("cal", EVERY_DAY_9_TO_5)],
        )
    )

    weekdays = {f"{s.starts_at:%a}" for s in plan.sessions}
    assert plan.is_possible
    assert not weekdays & {"Sat", "Sun"}


TUESDAY_TO_SATURDAY = frozenset(range(1, 6))


@pytest.mark.parametrize(
    ("working_days", "hours", "expected"),
    [
        # Monday to Friday (the default): the weekend is skipped.
        (None, EVERY_DAY_9_TO_5, ["Mon 07 09:00", "Wed 09 09:00", "Fri 11 09:00", "Mon 14 09:00"]),
        # Open Tuesday to Saturday: a Saturday dose, never a Monday one.
        (
            TUESDAY_TO_SATURDAY,
            EVERY_DAY_9_TO_5,
            ["Tue 08 09:00", "Thu 10 09:00", "Sat 12 09:00", "Tue 15 09:00"],
        ),
        # A clinician with no hours recorded works the usual day on the clinic's days.
        (TUESDAY_TO_SATURDAY, {}, ["Tue 08 08:00", "Thu 10 08:00", "Sat 12 08:00", "Tue 15 08:00"]),
        # Open every day: Sunday too.
        (
            frozenset(range(7)),
            EVERY_DAY_9_TO_5,
            ["Mon 07 09:00", "Wed 09 09:00", "Fri 11 09:00", "Sun 13 09:00"],
        ),
        # Monday, Wednesday and Friday only: the 48 hours are not the limit, the days are.
        (
            frozenset({0, 2, 4}),
            EVERY_DAY_9_TO_5,
            ["Mon 07 09:00", "Wed 09 09:00", "Fri 11 09:00", "Mon 14 09:00"],
        ),
        # The clinic's days and the clinician's hours both count: Saturday hours are not
        # enough when the clinic is closed, and Tuesday is closed for this clinician.
        (
            TUESDAY_TO_SATURDAY,
            {day: [(time(9, 0), time(17, 0))] for day in (0, 2, 3, 4, 5, 6)},
            ["Wed 09 09:00", "Fri 11 09:00", "Wed 16 09:00", "Fri 18 09:00"],
        ),
    ],
    ids=["weekdays", "tue-to-sat", "no-hours-recorded", "every-day", "mon-wed-fri", "both"],
)
def test_doses_keep_to_the_clinic_working_days(working_days, hours, expected):
    changes = {"working_days": working_days} if working_days is not None else {}
    plan = plan_series(request(doses=4, clinicians=[ClinicianWeek("cal", hours)], **changes))

    assert plan.is_possible
    assert dose_starts(plan) == expected
