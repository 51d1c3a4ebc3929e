"""The money reports: the registry's pages, the report "Estimates due or late" (its rules
table-driven; owed and not issued, due today, issued late), its CSV (no formula reaches
a spreadsheet), the access log, and the page's queries flat as the estimates grow."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.billing import rules, services
from kapcare.billing.reports import rules as report_rules
from kapcare.billing.reports.views import safe_cell
from tests.clock import wall_clock
from tests.factories import (
    PatientFactory,
    RoomFactory,
    asked_coverage,
    open_episode,
    plan_session,
)

D = dt.date

# --- The rules ---------------------------------------------------------------------------------

# 2026-12-07 is a Monday; 2026-12-25 (Friday) is Christmas Day, a federal holiday.
LATENESS = [
    # due, issued, today → status, business days late (None: nothing to report)
    (None, None, D(2026, 12, 7), None),
    (D(2026, 12, 8), None, D(2026, 12, 7), None),
    (D(2026, 12, 7), None, D(2026, 12, 7), (report_rules.DUE_TODAY, 0)),
    (D(2026, 12, 4), None, D(2026, 12, 7), (report_rules.OVERDUE, 1)),
    (D(2026, 12, 24), None, D(2026, 12, 28), (report_rules.OVERDUE, 1)),
    (D(2026, 12, 7), D(2026, 12, 7), D(2026, 12, 9), None),
    (D(2026, 12, 7), D(2026, 12, 3), D(2026, 12, 9), None),
    (D(2026, 12, 4), D(2026, 12, 9), D(2026, 12, 10), (report_rules.ISSUED_LATE, 3)),
    (D(2026, 12, 24), D(2026, 12, 26), D(2027, 1, 4), (report_rules.ISSUED_LATE, 0)),
]


@pytest.mark.parametrize(
    ("due_on", "issued_on", "today", "expected"),
    LATENESS,
    ids=[
        "no-deadline",
        "not-due-yet",
        "due-today",
        "overdue-over-a-weekend",
        "overdue-over-christmas",
        "issued-on-the-day",
        "issued-early",
        "issued-three-business-days-late",
        "issued-on-a-holiday-weekend",
    ],
)
def test_lateness(due_on, issued_on, today, expected):
    found = report_rules.lateness(due_on, issued_on, today)

    if expected is None:
        assert found is None
    else:
        assert (found.status, found.business_days_late) == expected


@pytest.mark.parametrize(
    ("booked_on", "services_on", "due_on"),
    [
        (D(2026, 12, 7), [D(2026, 12, 10)], D(2026, 12, 8)),  # 3 business days ahead: 1
        (D(2026, 12, 7), [D(2026, 12, 28), D(2026, 12, 10)], D(2026, 12, 8)),  # the first
        (D(2026, 12, 7), [D(2026, 12, 22)], D(2026, 12, 10)),  # 10 ahead: 3
        (D(2026, 12, 7), [D(2026, 12, 8)], None),  # fewer than 3 ahead: no deadline
        (D(2026, 12, 7), [D(2026, 12, 1)], None),  # only a past session
    ],
    ids=["three-ahead", "the-first-ahead", "ten-ahead", "next-day", "past"],
)
def test_an_unissued_estimate_is_due_by_the_scheduling_rule(booked_on, services_on, due_on):
    assert report_rules.unissued_due(booked_on, services_on).due_on == due_on


def test_a_cell_starting_a_formula_is_written_as_text():
    assert [safe_cell(v) for v in ["=1+1", "+1", "-2", "@SUM(A1)", "Pat", 3, None]] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "Pat",
        "3",
        "",
    ]


# --- The pages --------------------------------------------------------------------------------


def actor(user):
    return Actor(user=user, ip_address="127.0.0.1")


def late_estimate(patient, by, days_ago=15):
    """An estimate issued today for a request taken `days_ago` days ago: past its deadline."""
    episode = open_episode(patient, by, model="standalone")
    scheduled_on = (wall_clock(0, 12) - dt.timedelta(days=days_ago)).date()
    return services.issue_estimate(
        actor=actor(by), episode=episode, reason="Asked", requested=True, scheduled_on=scheduled_on
    )


def report_url():
    return reverse("billing:report", args=["estimates-due"])


def test_the_report_lists_an_estimate_owed_and_not_issued(client, clinic_admin, clinician, patient):
    asked_coverage(patient, clinician, status="uninsured")
    episode = open_episode(patient, clinician, model="standalone")
    booked_at = wall_clock(-12, 9)
    with time_machine.travel(booked_at, tick=False):
        plan_session(
            episode, clinician, starts_at=wall_clock(20, 9), room=RoomFactory(clinic=episode.clinic)
        )
    client.force_login(clinic_admin)

    response = client.get(report_url())

    rows = [row for _, row in response.context["rows"]]
    assert len(rows) == 1
    name, status, scheduled_on, *_ = rows[0]
    assert (name, status) == (patient.display_name, report_rules.OVERDUE)
    assert scheduled_on == booked_at.astimezone(episode.clinic.zone).date()
    estimates_page = reverse("billing:patient_estimates", args=[patient.external_id])
    assert estimates_page in response.content.decode()


def test_an_estimate_due_today_is_listed_as_due_today(client, clinic_admin, clinician, patient):
    asked_coverage(patient, clinician, status="self_pay")
    episode = open_episode(patient, clinician, model="standalone")
    booked_at, service_at = wall_clock(2, 9), wall_clock(9, 9)
    with time_machine.travel(booked_at, tick=False):
        plan_session(
            episode, clinician, starts_at=service_at, room=RoomFactory(clinic=episode.clinic)
        )
    zone = episode.clinic.zone
    due = rules.estimate_due(booked_at.astimezone(zone).date(), service_at.astimezone(zone).date())

    noon = dt.datetime.combine(due.due_on, dt.time(12), tzinfo=zone)
    with time_machine.travel(noon, tick=False):
        client.force_login(clinic_admin)  # signed in on the day (idle sign-outs)
        response = client.get(report_url())

    [(_, row)] = response.context["rows"]
    assert row[1] == report_rules.DUE_TODAY
    assert row[4] == due.due_on


def test_an_issued_estimate_is_not_owed_and_one_issued_late_is_listed(
    client, clinic_admin, clinician, patient, other_patient
):
    asked_coverage(other_patient, clinician, status="uninsured")
    on_time = open_episode(other_patient, clinician, model="standalone")
    plan_session(
        on_time, clinician, starts_at=wall_clock(20, 9), room=RoomFactory(clinic=on_time.clinic)
    )
    services.issue_estimate(actor=actor(clinician), episode=on_time, reason="Booked")
    late = late_estimate(patient, clinician)
    client.force_login(clinic_admin)

    response = client.get(report_url())

    [(_, row)] = response.context["rows"]
    assert row[0] == patient.display_name
    assert row[1] == report_rules.ISSUED_LATE
    assert row[4] == late.due_on
    assert row[6] == rules.business_days_between(
        late.due_on, late.issued_at.astimezone(late.clinic.zone).date()
    )


def test_the_csv_has_every_row_and_no_formula(client, clinic_admin, clinician, clinic):
    patient = PatientFactory(clinic=clinic, given_name='=HYPERLINK("x")', family_name="Doe")
    late_estimate(patient, clinician)
    client.force_login(clinic_admin)

    response = client.get(reverse("billing:report_csv", args=["estimates-due"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[:2] == ["Patient", "Status"]
    assert row[0].startswith("'=HYPERLINK")
    assert row[1] == report_rules.ISSUED_LATE


def test_each_patient_listed_is_logged(client, coordinator, clinician, patient, other_patient):
    late_estimate(patient, clinician)
    late_estimate(other_patient, clinician)
    client.force_login(coordinator)

    client.get(report_url())

    listed = AccessLogEntry.objects.filter(actor=coordinator, action=AccessAction.LIST)
    assert set(listed.values_list("patient_id", flat=True)) == {patient.pk, other_patient.pk}


def test_the_list_of_reports_links_each_report(client, clinic_admin):
    client.force_login(clinic_admin)

    html = client.get(reverse("billing:reports")).content.decode()

    assert report_url() in html
    assert "Money reports" in html


def test_an_unknown_report_is_not_found(client, clinic_admin):
    client.force_login(clinic_admin)

    assert client.get(reverse("billing:report", args=["no-such-report"])).status_code == 404


def add_late_and_owed(clinic, clinician, first, last):
    """Patients `first`..`last - 1`, each with an estimate issued late; every other one also
    with a session booked 12 days ago and no estimate since (owed, overdue)."""
    for index in range(first, last):
        patient = PatientFactory(clinic=clinic, family_name=f"Late{index}")
        late_estimate(patient, clinician)
        if index % 2:
            asked_coverage(patient, clinician, status="uninsured")
            episode = open_episode(patient, clinician, model="standalone")
            with time_machine.travel(wall_clock(-12, 9), tick=False):
                plan_session(
                    episode,
                    clinician,
                    starts_at=wall_clock(20 + index, 9),
                    room=RoomFactory(clinic=clinic),
                )


def test_the_report_reads_as_many_queries_for_thirty_estimates_as_for_one(
    client, clinic_admin, clinician, clinic
):
    client.force_login(clinic_admin)
    counts = []
    for first, last in [(0, 2), (2, 45)]:
        add_late_and_owed(clinic, clinician, first, last)
        client.get(report_url())  # the session's first reads
        with CaptureQueriesContext(connection) as queries:
            response = client.get(report_url())
        assert len(response.context["rows"]) == last + last // 2
        counts.append(len(queries))

    assert counts[0] == counts[1]
