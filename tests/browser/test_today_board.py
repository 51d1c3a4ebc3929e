"""The clinician's Today board follows a dose from checked in to discharged: each change
made at the bedside appears on the board by itself (htmx polling), with no reload; the
board passes axe at phone and desktop sizes."""

import datetime as dt
import time
import uuid

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from kapcare.audit.log import Actor
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord, Observation, VitalSource
from kapcare.dosing.today import views as today_views
from kapcare.episodes.models import CareSession, SessionStatus
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import RoomFactory, open_episode, plan_session


def _earlier_today(clinic, minutes: int) -> dt.datetime:
    """`minutes` ago, but never before the clinic's midnight: the session is today's."""
    now = timezone.now()
    midnight = dt.datetime.combine(timezone.localdate(now, clinic.zone), dt.time(0, 1))
    return max(now - dt.timedelta(minutes=minutes), midnight.replace(tzinfo=clinic.zone))


@pytest.fixture
def booked(clinic, patient, clinician):
    episode = open_episode(patient, clinician, model="standalone")
    return plan_session(
        episode,
        clinician,
        starts_at=_earlier_today(clinic, 30),
        room=RoomFactory(clinic=clinic, name="Suite Belmont"),
    )


@pytest.fixture(autouse=True)
def _quick_polling(monkeypatch):
    """The board polls every second here, so that the test need not wait 20 s a step."""
    monkeypatch.setattr(today_views, "BOARD_POLL_SECONDS", 1)


def _while_the_board_polls(write):
    """Run `write` from the test, retried while the live server's poll holds the table:
    SQLite's shared in-memory database answers "table is locked" instead of waiting."""
    for _ in range(100):
        try:
            with transaction.atomic():
                return write()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    return write()


def _start(session: CareSession, clinician) -> DosingRecord:
    return _while_the_board_polls(lambda: _started(session, clinician))


def _started(session: CareSession, clinician) -> DosingRecord:
    """What the bedside does on its own pages (tested there): the session started, the
    dose under way, a reading with SpO2 under the clinic's alert."""
    now = timezone.now()
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.IN_PROGRESS, started_at=now, started_by=clinician
    )
    fresh = CareSession.objects.select_related("episode", "patient__clinic").get(pk=session.pk)
    record = recording.record_for(Actor(user=clinician, ip_address="127.0.0.1"), fresh)
    DosingRecord.objects.filter(pk=record.pk).update(dose_started_at=now)
    reading_id = uuid.uuid4()
    for vital, value, unit, threshold in (("hr", 84, "/min", ""), ("spo2", 89, "%", "< 92")):
        Observation.objects.create(
            record=record,
            patient_id=record.patient_id,
            reading_id=reading_id,
            vital=vital,
            value=value,
            unit=unit,
            taken_at=now,
            alert_threshold=threshold,
            source=VitalSource.MANUAL,
            entered_by=clinician,
        )
    return record


@pytest.mark.browser
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the live server shares SQLite's in-memory connection with the test, which "
    "cannot write while the board polls; runs on PostgreSQL",
)
def test_the_today_board_follows_a_dose_from_check_in_to_discharge(
    page, live_server, clinic, clinician, patient, booked
):
    # The live server's first answer imports every URLconf: on a busy machine it takes
    # longer than a step's 10 s.
    page.goto("/accounts/login/", timeout=60_000)
    login(page, clinician.email)
    page.goto("/clinical/")
    page.evaluate("window.boardNeverReloaded = true")
    card = page.locator(f"#today-{booked.external_id}")
    expect(card).to_contain_text("Booked")
    expect(page.get_by_role("heading", name="Suite Belmont")).to_be_visible()
    expect(card.get_by_role("link", name="gates not passed")).to_be_visible()
    assert_accessible(page)

    card.get_by_role("button", name=f"Check in {patient.display_name}").click()

    expect(page.locator("#today-board-status")).to_contain_text("is checked in")
    expect(card).to_contain_text("Checked in")

    record = _start(booked, clinician)
    expect(card).to_contain_text("Dose under way")
    expect(card.locator(".today-alert").first).to_contain_text("SpO2 89 %")

    _while_the_board_polls(
        lambda: DosingRecord.objects.filter(pk=record.pk).update(dose_ended_at=timezone.now())
    )
    expect(card).to_contain_text("In recovery")
    expect(card).to_contain_text("to the earliest discharge")

    def discharged():
        DosingRecord.objects.filter(pk=record.pk).update(
            discharged_at=timezone.now(), discharged_by=clinician
        )
        CareSession.objects.filter(pk=booked.pk).update(status=SessionStatus.DONE)

    _while_the_board_polls(discharged)
    expect(card).to_contain_text("Discharged")
    expect(card).to_contain_text("Record not signed")
    expect(page.locator(".today-to-sign")).to_contain_text(patient.display_name)
    assert page.evaluate("window.boardNeverReloaded === true")

    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert_accessible(page)
    card.get_by_role("link", name=patient.display_name).click()
    expect(page).to_have_url(f"{live_server.url}/dosing-sessions/{booked.external_id}/record/")
