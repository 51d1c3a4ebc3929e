"""The chart's timeline is shown a page at a time, newest first: each provider gives its
newest events of the window, merged and cut to the page, with an "Earlier" link to the next
page, so a long record costs what a short one does and no event is lost or repeated."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessLogEntry
from kapcare.patients.models import BodyMeasurement
from kapcare.patients.timeline import timeline_page

START = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def measured(patient, by, at: dt.datetime) -> BodyMeasurement:
    with time_machine.travel(at, tick=False):
        return BodyMeasurement.objects.create(
            patient=patient, measured_on=at.date(), weight_kg=70, recorded_by=by
        )


def every_page(patient, size):
    pages, until = [], None
    while True:
        events, until = timeline_page(patient, until=until, size=size)
        pages.append(events)
        if until is None:
            return pages


@pytest.fixture
def history(patient, clinician):
    """Twelve measurements, two of them at the same moment, besides the registration."""
    hours = [0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10]
    return [measured(patient, clinician, START + dt.timedelta(hours=h)) for h in hours]


def test_a_short_record_is_one_page(patient, history):
    events, earlier = timeline_page(patient, size=50)

    assert len(events) == len(history) + 1
    assert earlier is None


@pytest.mark.parametrize("size", [2, 3, 5, 7])
def test_pages_together_hold_every_event_once_newest_first(patient, history, size):
    pages = every_page(patient, size)
    events = [event for page in pages for event in page]

    assert sorted(e.when for e in events) == sorted(
        [m.recorded_at for m in history] + [patient.created_at]
    )
    assert [e.when for e in events] == sorted((e.when for e in events), reverse=True)
    assert all(0 < len(page) <= size for page in pages)


def test_events_at_the_same_moment_start_the_next_page_together(patient, history):
    # Newest first: the registration (today), hours 10, 9, 8, 7, 6, then the two at 5.
    first, earlier = timeline_page(patient, size=7)

    assert [e.when for e in first[1:]] == [START + dt.timedelta(hours=h) for h in (10, 9, 8, 7, 6)]
    assert earlier == START + dt.timedelta(hours=5)
    second, _ = timeline_page(patient, until=earlier, size=7)
    assert [e.when for e in second[:2]] == [START + dt.timedelta(hours=5)] * 2


def test_chart_links_to_the_earlier_events(client, clinician, patient, clinician_measures):
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])

    page = client.get(url).content.decode()

    assert "Earlier events" in page
    assert "?until=" in page


@pytest.fixture
def clinician_measures(patient, clinician):
    for n in range(55):
        measured(patient, clinician, START + dt.timedelta(days=n))


def test_the_earlier_page_of_the_chart_shows_the_oldest_events(
    client, clinician, patient, clinician_measures
):
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])
    _, earlier = timeline_page(patient)

    page = client.get(url, {"until": earlier.isoformat()}).content.decode()

    # The registration and 55 measurements: 50 on the first page, 6 on this one.
    assert page.count("<li><time") == 6
    assert "Earlier events" not in page


def test_with_htmx_the_earlier_link_adds_the_next_events_alone(
    client, clinician, patient, clinician_measures
):
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])
    first = client.get(url).content.decode()
    assert 'hx-target="#timeline-events"' in first
    _, earlier = timeline_page(patient)

    page = client.get(url, {"until": earlier.isoformat()}, headers={"HX-Request": "true"})

    html = page.content.decode()
    assert html.count("<li><time") == 6
    assert "<h2" not in html  # the events alone, not the chart
    assert 'id="timeline-earlier" hx-swap-oob="true"' in html
    assert "Earlier events" not in html
    assert AccessLogEntry.objects.filter(patient=patient, actor=clinician).count() == 2


def test_the_earlier_events_cost_the_same_queries_however_long_the_record(
    client, clinician, patient, clinician_measures
):
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])
    headers = {"HX-Request": "true"}

    def queries_of_the_earlier_page() -> int:
        _, earlier = timeline_page(patient)
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(url, {"until": earlier.isoformat()}, headers=headers).status_code == 200
            )
        return len(captured)

    queries_of_the_earlier_page()  # the session's first request does its own work once
    before = queries_of_the_earlier_page()
    for n in range(60):
        measured(patient, clinician, START - dt.timedelta(days=n + 1))

    assert queries_of_the_earlier_page() == before


@pytest.mark.parametrize("until", ["yesterday", "2026-01-05T15:00:00", ""])
def test_an_unreadable_earlier_link_shows_the_newest_events(client, clinician, patient, until):
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])

    response = client.get(url, {"until": until})

    assert response.status_code == 200
    assert "Registered at the clinic" in response.content.decode()
