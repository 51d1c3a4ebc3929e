"""Rescheduling, cancelling and no-shows through the service: the checks booking makes, the
series moved along, the slot freed at once, the record kept, the emails queued and the
calendar feeds changed."""

import datetime as dt

import pytest
import time_machine

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents
from kapcare.episodes.models import SessionStatus
from kapcare.kept import RecordIsKept
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.refusals import Refused
from kapcare.scheduling import feeds, services, session_changes
from kapcare.scheduling.models import (
    AppointmentStatus,
    SessionChange,
    TimeOff,
    WorkingHours,
)
from kapcare.scheduling.tests.conftest import book
from tests import clock
from tests.factories import (
    PatientFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
)

NOW = clock.wall_clock(0, 8)
DOSE = clock.wall_clock(7, 9)  # a week ahead, 09:00 in the clinic


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(coordinator):
    return Actor(user=coordinator, ip_address="127.0.0.1")


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def dose(episode, clinician, suite):
    return plan_session(episode, clinician, starts_at=DOSE, room=suite)


def move(starts_at, **fields):
    return session_changes.Move(starts_at=starts_at, **fields)


def test_a_dose_moves_with_its_appointment_and_the_change_is_kept(desk, dose):
    later = DOSE + dt.timedelta(hours=2)

    session_changes.reschedule(actor=desk, session=dose, move=move(later))

    dose.refresh_from_db()
    dose.appointment.refresh_from_db()
    assert dose.planned_start == later
    assert dose.appointment.starts_at == later
    assert dose.planned_end - dose.planned_start == dt.timedelta(minutes=115)
    change = SessionChange.objects.get()
    assert (change.kind, change.from_start, change.to_start) == ("rescheduled", DOSE, later)
    assert change.changed_by == desk.user
    with pytest.raises(RecordIsKept):
        change.delete()


def test_the_patient_is_emailed_the_new_time_without_health_information(desk, dose, patient):
    session_changes.reschedule(actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=2)))

    email = Notification.objects.get(to_email=patient.user.email)
    assert email.kind == NotificationKind.APPOINTMENT_CHANGED
    assert "has moved to" in email.body
    assert "11:00 AM" in email.body
    assert "dosing" not in email.body.lower()
    assert "Patient" not in email.body


def test_moving_a_session_logs_the_write(desk, dose, patient):
    session_changes.reschedule(actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=2)))

    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.UPDATE, object_type__icontains="session"
    ).exists()


def taken_room(clinic, desk, dose, suite, clinician):
    book(clinic, desk.user, starts_at=DOSE + dt.timedelta(days=1), room=suite)
    return move(DOSE + dt.timedelta(days=1))


def taken_clinician(clinic, desk, dose, suite, clinician):
    book(
        clinic,
        desk.user,
        starts_at=DOSE + dt.timedelta(days=1),
        clinician=clinician,
        room=RoomFactory(clinic=clinic, name="Suite 9"),
    )
    return move(DOSE + dt.timedelta(days=1))


def outside_hours(clinic, desk, dose, suite, clinician):
    day = (DOSE + dt.timedelta(days=1)).astimezone(clinic.zone).weekday()
    WorkingHours.objects.create(
        clinician=clinician, weekday=day, starts=dt.time(8), ends=dt.time(10)
    )
    return move(DOSE + dt.timedelta(days=1))


def away(clinic, desk, dose, suite, clinician):
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=DOSE + dt.timedelta(days=1),
        ends_at=DOSE + dt.timedelta(days=2),
        reason="Training",
        recorded_by=desk.user,
    )
    return move(DOSE + dt.timedelta(days=1, hours=1))


def too_close_to_another_dose(clinic, desk, dose, suite, clinician):
    plan_session(dose.episode, clinician, starts_at=DOSE + dt.timedelta(days=3), room=suite)
    return move(DOSE + dt.timedelta(days=2))


def gone_by(clinic, desk, dose, suite, clinician):
    return move(NOW - dt.timedelta(hours=1))


def another_clinics_room(clinic, desk, dose, suite, clinician):
    return move(DOSE + dt.timedelta(hours=3), room=RoomFactory(name="Elsewhere"))


@pytest.mark.parametrize(
    ("arrange", "refusal", "field", "words"),
    [
        (taken_room, services.DoubleBooking, "__all__", "Suite 1 is already booked"),
        (taken_clinician, services.DoubleBooking, "__all__", "is already booked"),
        (outside_hours, Refused, "starts_at", "works"),
        (away, Refused, "starts_at", "is away"),
        (too_close_to_another_dose, Refused, "starts_at", "at least 48 hours apart"),
        (gone_by, Refused, "starts_at", "still to come"),
        (another_clinics_room, Refused, "room", "clinic's rooms"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_move_is_refused_as_a_booking_would_be(
    clinic, desk, dose, suite, clinician, arrange, refusal, field, words
):
    asked = arrange(clinic, desk, dose, suite, clinician)

    with pytest.raises(refusal) as refused:
        session_changes.reschedule(actor=desk, session=dose, move=asked)

    assert words in refused.value.problems[field]
    dose.refresh_from_db()
    assert dose.planned_start == DOSE
    assert not SessionChange.objects.exists()
    assert not Notification.objects.exists()


def test_a_session_no_longer_planned_is_not_moved(desk, dose):
    session_changes.cancel(actor=desk, session=dose, reason="clinic")

    with pytest.raises(session_changes.NotNow, match="only a planned session"):
        session_changes.reschedule(
            actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=2))
        )


def test_a_checked_in_session_is_neither_moved_nor_a_no_show_but_may_be_cancelled(desk, dose):
    type(dose).objects.filter(pk=dose.pk).update(
        checked_in_at=DOSE - dt.timedelta(minutes=20), checked_in_by=desk.user
    )
    dose.refresh_from_db()

    with pytest.raises(session_changes.NotNow, match="checked in"):
        session_changes.reschedule(
            actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=2))
        )
    with time_machine.travel(DOSE + dt.timedelta(hours=1), tick=False):
        with pytest.raises(session_changes.NotNow, match="checked in"):
            session_changes.no_show(actor=desk, session=dose)
        session_changes.cancel(actor=desk, session=dose, reason="clinic")
    dose.refresh_from_db()
    assert dose.status == SessionStatus.CANCELLED


def test_the_series_later_sessions_move_along_when_asked(desk, episode, clinician, suite, dose):
    second = plan_session(episode, clinician, starts_at=DOSE + dt.timedelta(days=2), room=suite)
    third = plan_session(episode, clinician, starts_at=DOSE + dt.timedelta(days=4), room=suite)
    earlier = plan_session(episode, clinician, starts_at=DOSE - dt.timedelta(days=2), room=suite)

    moved = session_changes.reschedule(
        actor=desk, session=dose, move=move(DOSE + dt.timedelta(days=1), move_later=True)
    )

    assert [s.pk for s in moved] == [dose.pk, second.pk, third.pk]
    for session, start in ((second, 3), (third, 5), (earlier, -2)):
        session.refresh_from_db()
        assert session.planned_start == DOSE + dt.timedelta(days=start)
    assert SessionChange.objects.count() == 3


def test_the_series_moves_all_or_nothing_naming_the_later_session_in_the_way(
    clinic, desk, episode, clinician, suite, dose
):
    second = plan_session(episode, clinician, starts_at=DOSE + dt.timedelta(days=2), room=suite)
    book(clinic, desk.user, starts_at=DOSE + dt.timedelta(days=3), room=suite)

    with pytest.raises(services.DoubleBooking, match="Dosing session of"):
        session_changes.reschedule(
            actor=desk, session=dose, move=move(DOSE + dt.timedelta(days=1), move_later=True)
        )

    dose.refresh_from_db()
    second.refresh_from_db()
    assert (dose.planned_start, second.planned_start) == (DOSE, DOSE + dt.timedelta(days=2))


def test_a_new_clinician_also_runs_the_session(clinic, desk, dose, clinician):
    colleague = UserFactory(clinic=clinic, role=Role.CLINICIAN, full_name="Dr Ada Moss")

    session_changes.reschedule(actor=desk, session=dose, move=move(DOSE, clinician=colleague))

    dose.refresh_from_db()
    assert dose.appointment.clinician == colleague
    assert dose.run_by == colleague


# --- Cancelling and no-shows --------------------------------------------------------------------


def test_a_cancelled_slot_can_be_booked_again_at_once(clinic, desk, dose, suite, clinician):
    session_changes.cancel(actor=desk, session=dose, reason="patient", note="Unwell")

    dose.refresh_from_db()
    assert dose.status == SessionStatus.CANCELLED
    assert dose.status_note == "Unwell"
    assert dose.appointment.status == AppointmentStatus.CANCELLED
    again = plan_session(
        open_episode(PatientFactory(clinic=clinic), clinician),
        clinician,
        starts_at=DOSE,
        room=suite,
    )
    assert again.appointment.is_booked
    change = SessionChange.objects.get()
    assert (change.kind, change.reason) == ("cancelled", "patient")


def test_a_late_cancellation_is_kept_as_such(desk, episode, clinician, suite):
    soon = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(hours=5), room=suite)

    with pytest.raises(Refused) as refused:
        session_changes.cancel(actor=desk, session=soon, reason="patient")
    assert "late cancellation" in refused.value.problems["reason"]

    session_changes.cancel(actor=desk, session=soon, reason="late_cancel")
    assert SessionChange.objects.get().get_reason_display() == "Late cancellation by the patient"


def test_a_no_show_frees_the_slot_once_the_start_has_passed(clinic, desk, dose, suite, clinician):
    with pytest.raises(session_changes.NotNow):
        session_changes.no_show(actor=desk, session=dose)

    with time_machine.travel(DOSE + dt.timedelta(minutes=20), tick=False):
        session_changes.no_show(actor=desk, session=dose)
        dose.refresh_from_db()
        assert dose.status == SessionStatus.MISSED
        assert dose.appointment.status == AppointmentStatus.NO_SHOW
        services.book(
            actor=desk,
            clinic=clinic,
            slot=services.Slot(
                DOSE + dt.timedelta(minutes=30), DOSE + dt.timedelta(hours=2), suite
            ),
            purpose="Walk-in",
        )
    assert SessionChange.objects.get().kind == "no_show"


# --- The therapist and the calendar feeds --------------------------------------------------------


def shares_schedule(patient, therapist, clinician):
    return authorize(patient, therapist, scopes=("schedule",), by=clinician)


def test_the_therapist_is_told_only_under_the_schedule_scope(
    desk, dose, patient, therapist, clinician
):
    session_changes.reschedule(actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=2)))
    assert not Notification.objects.filter(
        to_email=therapist.email, kind="appointment_changed"
    ).exists()

    shares_schedule(patient, therapist, clinician)
    session_changes.reschedule(actor=desk, session=dose, move=move(DOSE + dt.timedelta(hours=3)))

    email = Notification.objects.get(to_email=therapist.email, kind="appointment_changed")
    assert email.therapist_action == "sharing.view_schedule"
    assert patient.family_name not in email.body


def test_a_therapist_revoked_a_second_ago_is_not_told(desk, dose, patient, therapist, clinician):
    authorization = shares_schedule(patient, therapist, clinician)
    consents.revoke_authorization(
        actor=Actor(user=clinician, ip_address="127.0.0.1"),
        authorization=authorization,
        reason="Patient asked",
    )

    session_changes.cancel(actor=desk, session=dose, reason="clinic")

    assert not Notification.objects.filter(
        to_email=therapist.email, kind="appointment_changed"
    ).exists()


def test_the_therapists_feed_shows_the_new_time(desk, dose, patient, therapist, clinician):
    shares_schedule(patient, therapist, clinician)
    later = DOSE + dt.timedelta(days=1)

    session_changes.reschedule(actor=desk, session=dose, move=move(later))

    events = feeds.therapist_feed(therapist).events
    assert [event.starts_at for event in events] == [later]


def test_a_session_at_the_therapists_practice_moves_without_a_room(desk, episode, clinician, suite):
    therapy = plan_session(
        episode, clinician, kind="integration", starts_at=DOSE + dt.timedelta(days=1)
    )

    with pytest.raises(Refused) as refused:
        session_changes.reschedule(
            actor=desk, session=therapy, move=move(DOSE + dt.timedelta(days=2), room=suite)
        )
    assert "therapist's practice" in refused.value.problems["room"]

    session_changes.reschedule(actor=desk, session=therapy, move=move(DOSE + dt.timedelta(days=2)))
    therapy.refresh_from_db()
    assert therapy.planned_start == DOSE + dt.timedelta(days=2)
    assert therapy.appointment is None
