"""The vitals part of the record page: bedside entry, the alert shown at once, the
readings with values out of range marked in words, the reminder of the next reading, and
the live chart polled by htmx."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.dosing.tests.test_vitals_service import DOSE, NOW, dosing_record, take
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def at_twenty_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(patient, clinician):
    return dosing_record(patient, clinician)


def page_url(record) -> str:
    return reverse("dosing:record", args=[record.session.external_id])


def post_url(record) -> str:
    return reverse("vitals:record", args=[record.session.external_id])


def live_url(record) -> str:
    return reverse("vitals:live", args=[record.session.external_id])


def vitals_part(html: str) -> str:
    return html[html.index('id="vitals"') : html.index('id="vitals-live"')]


def test_the_entry_form_has_a_labelled_numeric_input_per_vital_and_the_time_now(
    client, clinician, record
):
    client.force_login(clinician)

    html = client.get(page_url(record)).content.decode()

    for name, label in [
        ("hr", "HR (/min)"),
        ("sbp", "SBP (mmHg)"),
        ("dbp", "DBP (mmHg)"),
        ("spo2", "SpO2 (%)"),
        ("rr", "RR (/min)"),
    ]:
        assert f'<label for="vitals_{name}">{label}</label>' in html
        assert re.search(rf'<input[^>]*inputmode="numeric"[^>]*id="vitals_{name}"', html)
    assert '<label for="vitals_sedation">MOAA/S</label>' in html
    assert 'value="09:20"' in html  # now, in the clinic's time zone


def test_a_reading_is_stored_and_the_page_shows_it(client, clinician, record):
    client.force_login(clinician)

    response = client.post(
        post_url(record),
        {"taken_at": "09:15", "hr": "76", "sbp": "132", "dbp": "84", "spo2": "97", "rr": "14"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(page_url(record) + "?reading=")
    assert dict(Observation.objects.values_list("vital", "value")) == {
        "hr": 76,
        "sbp": 132,
        "dbp": 84,
        "spo2": 97,
        "rr": 14,
    }
    stored = Observation.objects.first()
    assert stored.taken_at == dt.datetime(2026, 12, 1, 15, 15, tzinfo=dt.UTC)
    assert (stored.source, stored.entered_by_id) == ("manual", clinician.pk)


def test_a_high_blood_pressure_is_shown_as_an_alert_at_once(client, clinician, record):
    client.force_login(clinician)

    response = client.post(
        post_url(record), {"taken_at": "09:18", "sbp": "186", "dbp": "104"}, follow=True
    )

    html = response.content.decode()
    alert = re.search(r'<div[^>]*role="alert"[^>]*id="vitals-new-alerts">(.*?)</div>', html, re.S)
    alert = alert.group(1)
    assert "Systolic blood pressure 186 mmHg" in alert
    assert "▲ High" in alert
    assert "≥ 180" in alert
    assert "Diastolic" not in alert


def test_a_reading_in_range_raises_no_alert(client, clinician, record):
    client.force_login(clinician)

    response = client.post(post_url(record), {"taken_at": "09:18", "sbp": "130"}, follow=True)

    assert 'id="vitals-new-alerts"' not in response.content.decode()
    assert "No value out of the clinic's range in this session." in response.content.decode()


def test_an_implausible_value_is_refused_at_its_field_keeping_what_was_typed(
    client, clinician, record
):
    client.force_login(clinician)

    response = client.post(
        post_url(record), {"taken_at": "09:18", "hr": "77", "sbp": "20", "spo2": "140"}
    )

    assert response.status_code == 422
    html = vitals_part(response.content.decode())
    assert "Systolic blood pressure 20 mmHg cannot be right" in html
    assert "Oxygen saturation (SpO2) 140 % cannot be right" in html
    assert re.search(r'value="77"[^>]*id="vitals_hr"', html)
    assert re.search(r'value="20"[^>]*id="vitals_sbp"', html)
    assert not Observation.objects.exists()


def test_a_reading_without_values_is_refused_with_a_message(client, clinician, record):
    client.force_login(clinician)

    response = client.post(post_url(record), {"taken_at": "09:18"})

    assert response.status_code == 422
    assert "Enter at least one vital sign." in response.content.decode()


def test_a_time_not_yet_come_is_refused_at_the_time(client, clinician, record):
    client.force_login(clinician)

    response = client.post(post_url(record), {"taken_at": "09:40", "hr": "80"})

    assert response.status_code == 422
    assert "This time is still to come" in response.content.decode()


def test_a_refused_reading_still_logs_that_the_record_was_shown(client, clinician, record, patient):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(post_url(record), {"taken_at": "09:18", "sbp": "20"})

    actions = AccessLogEntry.objects.order_by("id").values_list("action", "patient_id")[before:]
    assert list(actions) == [(AccessAction.VIEW, patient.pk)]


def test_a_coordinator_may_not_record_vitals(client, coordinator, record):
    client.force_login(coordinator)

    response = client.post(post_url(record), {"taken_at": "09:18", "hr": "80"})

    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_a_clinician_of_another_clinic_gets_404(client, record):
    stranger = UserFactory(role="clinician")  # a clinic of their own
    client.force_login(stranger)

    response = client.post(post_url(record), {"taken_at": "09:18", "hr": "80"})

    assert response.status_code == 404


def test_a_signed_record_shows_no_form_and_refuses_a_reading(client, clinician, record):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)
    client.force_login(clinician)

    page = client.get(page_url(record)).content.decode()
    response = client.post(post_url(record), {"taken_at": "09:18", "hr": "80"})

    assert 'id="vitals_hr"' not in page
    assert "readings can no longer be added" in page
    assert response.status_code == 422
    assert not Observation.objects.exists()


def test_values_out_of_range_are_marked_in_words_in_the_readings(client, clinician, record):
    take(record, clinician, hr=45, sbp=120, spo2=97)
    client.force_login(clinician)

    html = client.get(live_url(record)).content.decode()

    row = html[html.index("<tbody>") : html.index("</tbody>")]
    assert '<strong>45</strong> <span class="badge badge-danger">▼ Low</span>' in row
    assert "<td>120</td>" in row


def test_the_next_reading_is_due_ten_minutes_after_the_last_during_the_dose(
    client, clinician, record
):
    DosingRecord.objects.filter(pk=record.pk).update(dose_started_at=DOSE)
    take(record, clinician, taken_at=NOW - dt.timedelta(minutes=5), hr=80)
    client.force_login(clinician)

    html = client.get(live_url(record)).content.decode()

    assert re.search(r"Next reading due at <strong><time[^>]*>9:25 AM</time>", html)
    assert "Overdue" not in html


def test_an_overdue_reading_is_said_in_words(client, clinician, record):
    DosingRecord.objects.filter(pk=record.pk).update(dose_started_at=DOSE)
    take(record, clinician, taken_at=NOW - dt.timedelta(minutes=12), hr=80)
    client.force_login(clinician)

    html = client.get(live_url(record)).content.decode()

    assert "⚠ Overdue" in html
    assert re.search(r"was due at <time[^>]*>9:18 AM</time>", html)


def test_the_live_part_polls_with_what_it_shows(client, clinician, record):
    take(record, clinician, hr=80, sbp=130)
    client.force_login(clinician)

    html = client.get(live_url(record)).content.decode()

    assert re.search(r'hx-get="[^"]+/vitals/live/\?seen=[0-9a-f]{16}" hx-trigger="every 15s"', html)
    assert 'id="vitals-chart-data"' in html
    assert 'role="img"' in html


def test_nothing_new_answers_204_and_is_not_logged(client, clinician, record):
    take(record, clinician, hr=80)
    client.force_login(clinician)
    html = client.get(live_url(record)).content.decode()
    seen = re.search(r"seen=([0-9a-f]{16})", html).group(1)
    before = AccessLogEntry.objects.count()

    response = client.get(live_url(record), {"seen": seen})

    assert response.status_code == 204
    assert AccessLogEntry.objects.count() == before


def test_a_new_reading_is_sent_to_the_poll_and_logged(client, clinician, record, patient):
    take(record, clinician, hr=80)
    client.force_login(clinician)
    html = client.get(live_url(record)).content.decode()
    seen = re.search(r"seen=([0-9a-f]{16})", html).group(1)
    take(record, clinician, hr=132)
    before = AccessLogEntry.objects.count()

    response = client.get(live_url(record), {"seen": seen})

    assert response.status_code == 200
    assert "132" in response.content.decode()
    entry = AccessLogEntry.objects.latest("id")
    assert AccessLogEntry.objects.count() == before + 1
    assert (entry.action, entry.patient_id) == (AccessAction.VIEW, patient.pk)


def test_a_signed_record_is_no_longer_polled(client, clinician, record):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)
    client.force_login(clinician)

    html = client.get(live_url(record)).content.decode()

    assert "hx-trigger" not in html


def test_the_live_part_takes_the_same_queries_however_many_readings(
    client, clinician, record, django_assert_max_num_queries
):
    client.force_login(clinician)
    take(record, clinician, hr=80, sbp=120)
    client.get(live_url(record))  # warm the session and the record
    with django_assert_max_num_queries(12) as few:
        client.get(live_url(record))
    for minutes in range(2, 14):
        take(record, clinician, taken_at=NOW - dt.timedelta(minutes=minutes), hr=80, sbp=120)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(live_url(record))

    assert response.status_code == 200


# --- Saved without reloading the page (htmx) --------------------------------------------------

HTMX = {"HX-Request": "true"}


def test_the_bedside_form_posts_through_htmx_into_the_vitals_part(client, clinician, record):
    client.force_login(clinician)

    html = client.get(page_url(record)).content.decode()

    assert 'hx-post="' + post_url(record) + '" hx-target="#vitals-part"' in html
    assert '<div id="vitals-part">' in html


def test_a_reading_through_htmx_answers_the_vitals_part_with_its_alert(client, clinician, record):
    client.force_login(clinician)

    response = client.post(
        post_url(record), {"taken_at": "09:18", "sbp": "186", "dbp": "104"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div id="vitals-part">' in html
    assert "<html" not in html  # the part alone, not the page
    assert 'id="vitals-new-alerts"' in html
    assert "Systolic blood pressure 186 mmHg" in html
    assert 'id="vitals-chart-data"' in html  # the chart's new data
    assert 'value="09:20"' in html  # a fresh form, at the time now
    assert Observation.objects.filter(vital="sbp", value=186).exists()


def test_a_reading_in_range_through_htmx_says_it_was_recorded(client, clinician, record):
    client.force_login(clinician)

    response = client.post(post_url(record), {"taken_at": "09:18", "hr": "72"}, headers=HTMX)

    html = response.content.decode()
    assert 'role="status" id="vitals-saved">Reading recorded.' in html
    assert 'id="vitals-new-alerts"' not in html


def test_a_refused_reading_through_htmx_keeps_what_was_typed(client, clinician, record, patient):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    response = client.post(
        post_url(record), {"taken_at": "09:18", "hr": "77", "sbp": "20"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "Systolic blood pressure 20 mmHg cannot be right" in html
    assert re.search(r'value="77"[^>]*id="vitals_hr"', html)
    assert not Observation.objects.exists()
    actions = AccessLogEntry.objects.order_by("id").values_list("action", "patient_id")[before:]
    assert list(actions) == [(AccessAction.VIEW, patient.pk)]


def test_a_reading_through_htmx_is_logged_as_written_then_shown(client, clinician, record, patient):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(post_url(record), {"taken_at": "09:18", "hr": "72"}, headers=HTMX)

    actions = AccessLogEntry.objects.order_by("id").values_list("action", flat=True)[before:]
    assert list(actions)[-1] == AccessAction.VIEW
    assert AccessAction.CREATE in list(actions)


def test_saving_a_reading_through_htmx_takes_the_same_queries_however_many_readings(
    client, clinician, record, django_assert_max_num_queries
):
    client.force_login(clinician)
    client.post(post_url(record), {"taken_at": "09:00", "hr": "72"}, headers=HTMX)
    with django_assert_max_num_queries(40) as few:
        client.post(post_url(record), {"taken_at": "09:01", "hr": "72"}, headers=HTMX)
    for minutes in range(2, 30):
        take(record, clinician, taken_at=NOW - dt.timedelta(minutes=minutes), hr=80, sbp=120)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.post(post_url(record), {"taken_at": "09:02", "hr": "72"}, headers=HTMX)

    assert response.status_code == 200
