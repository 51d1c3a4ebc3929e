import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.measures import chart, services
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import Source
from kapcare.measures.records import record_licensed_scale
from kapcare.patients.timeline import timeline_for

# A PHQ-9 course: baseline 18, then 12, 9 (item 9 answered "Several days") and 4.
PHQ9_COURSE = [
    ([3, 3, 2, 2, 2, 2, 2, 2, 0], dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC)),
    ([2, 2, 1, 1, 2, 1, 2, 1, 0], dt.datetime(2026, 1, 19, 17, tzinfo=dt.UTC)),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1], dt.datetime(2026, 2, 2, 17, tzinfo=dt.UTC)),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], dt.datetime(2026, 2, 16, 17, tzinfo=dt.UTC)),
]
CSSRS_LOW_RISK = [True, False, None, None, None, False, None]


def record(patient, instrument, answers, when, user=None):
    with time_machine.travel(when, tick=False):
        return services.record_assessment(
            actor=Actor(user=user, ip_address=None),
            patient=patient,
            instrument=instrument,
            answers=answers,
            source=Source.STAFF,
        )


@pytest.fixture
def course(patient, clinician):
    for answers, when in PHQ9_COURSE:
        record(patient, "phq9", answers, when, clinician)
    record(patient, "cssrs_screen", CSSRS_LOW_RISK, dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC))
    return patient


def section_for(user, patient):
    request = RequestFactory().get("/")
    request.user = user
    return chart.measures_section(request, patient)


def phq9_history(section):
    return next(h for h in section["histories"] if h.instrument.id == "phq9")


@pytest.mark.parametrize(
    ("baseline", "current", "fall", "below", "expected"),
    [
        (18, 9, 50, 5, (-50, True, False)),
        (18, 10, 50, 5, (-44, False, False)),
        (18, 4, 50, 5, (-78, True, True)),
        (18, 9, 60, 10, (-50, False, True)),
        (10, 12, 50, 5, (20, False, False)),
    ],
)
def test_phq9_outcome_uses_the_clinics_settings(baseline, current, fall, below, expected):
    outcome = chart.phq9_outcome(baseline, current, fall_percent=fall, remission_below=below)

    assert (outcome.change_percent, outcome.is_response, outcome.is_remission) == expected


def test_phq9_outcome_does_not_apply_to_a_baseline_of_9_or_below():
    assert chart.phq9_outcome(9, 2, fall_percent=50, remission_below=5) is None


def test_section_lists_each_instrument_oldest_first_with_bands(clinician, course):
    section = section_for(clinician, course)

    assert [h.instrument.id for h in section["histories"]] == ["phq9", "cssrs_screen"]
    phq9 = phq9_history(section)
    assert [(r.total, r.band) for r in phq9.rows] == [
        (18, "moderately severe"),
        (12, "moderate"),
        (9, "mild"),
        (4, "minimal"),
    ]
    assert phq9.rows[0].day == dt.date(2026, 1, 5)  # in the clinic's time zone


def test_phq9_response_and_remission_are_measured_from_the_first_phq9(clinician, course):
    phq9 = phq9_history(section_for(clinician, course))

    assert phq9.rows[0].is_baseline
    assert [r.outcome.words for r in phq9.rows[1:]] == [
        "Neither",
        "Response",
        "Response and remission",
    ]
    assert [r.outcome.change_text for r in phq9.rows[1:]] == ["−33 %", "−50 %", "−78 %"]


def test_outcomes_follow_the_clinics_settings(clinician, clinic, course):
    clinic.response_fall_percent = 60
    clinic.remission_phq9_below = 10
    clinic.save()

    phq9 = phq9_history(section_for(clinician, course))

    assert [r.outcome.words for r in phq9.rows[1:]] == [
        "Neither",
        "Remission",
        "Response and remission",
    ]


def test_chart_page_shows_tables_bands_flags_and_outcomes(client, clinician, course):
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[course.external_id])).content.decode()

    assert 'id="measures-heading"' in html
    assert "latest: minimal (4)" in html
    assert "badge-ok" in html
    assert "Suicidal thoughts (item 9 above 0)" in html
    assert "Response and remission" in html
    assert "Baseline 18 on Jan 5, 2026" in html
    assert "−78 % from baseline" in html
    # C-SSRS: a risk level in the table.
    assert "low risk" in html


def test_the_scores_are_charted_once_by_the_outcome_trajectory(client, clinician, course):
    """The trajectory (outcomes/trajectory.html, with doses and thresholds) is the chart of
    the totals; the Measures section keeps the tables and loads no chart script."""
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[course.external_id])).content.decode()

    assert 'id="trajectory-heading"' in html
    assert "<canvas" not in html.split('id="measures-heading"')[1].split("</section>")[0]
    assert 'id="measures-chart-data"' not in html
    assert "measures-chart.js" not in html


def test_low_baseline_says_outcomes_do_not_apply(client, clinician, patient):
    record(patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0], dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    record(patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 0], dt.datetime(2026, 2, 5, tzinfo=dt.UTC))
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "measured only from a baseline above 9" in html
    assert "Not applicable" in html


def test_empty_record_says_so_and_loads_no_chart_script(client, clinician, patient):
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "No questionnaires completed yet." in html
    assert "measures-chart.js" not in html


def test_licensed_scale_totals_have_their_own_table(client, clinician, patient):
    record_licensed_scale(
        actor=Actor(user=clinician, ip_address=None),
        patient=patient,
        scale="bdi2",
        total=21,
        administered_on=dt.date(2026, 1, 6),
    )
    client.force_login(clinician)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "Licensed scale totals" in html
    assert '21 <span class="muted">of 63</span>' in html
    assert reverse("measures:licensed_scale_create", args=[patient.external_id]) in html


def test_only_clinicians_get_the_licensed_scale_link(client, coordinator, patient):
    client.force_login(coordinator)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "Licensed scale totals" in html
    assert reverse("measures:licensed_scale_create", args=[patient.external_id]) not in html


def test_open_alert_is_flagged_in_the_section(client, coordinator, patient):
    record(patient, "phq9", [1] * 9, dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    alert = patient.safety_alerts.get()
    client.force_login(coordinator)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert reverse("measures:alert", args=[alert.external_id]) in html
    assert "needs a clinician's safety review" in html


def test_section_is_left_out_for_users_who_may_not_see_measures(therapist, patient):
    assert section_for(therapist, patient) is None


@pytest.mark.parametrize("count", [1, 10])
def test_section_query_count_does_not_grow_with_assessments(
    clinician, patient, django_assert_num_queries, count
):
    for week in range(count):
        when = dt.datetime(2026, 1, 5, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
        record(patient, "phq9", [2, 2, 1, 1, 2, 1, 2, 1, week % 2], when)
        record(patient, "gad7", [1] * 7, when)
        record_licensed_scale(
            actor=Actor(user=clinician, ip_address=None),
            patient=patient,
            scale="bai",
            total=week,
            administered_on=when.date(),
        )

    # The licensed scales, the open alerts, each instrument's latest results, the baseline.
    with django_assert_num_queries(2 + len(INSTRUMENTS) + 1):
        section = section_for(clinician, patient)
        render_to_string(chart.SECTION_TEMPLATE, {"section": section})


def test_section_shows_the_latest_results_and_the_baseline_of_a_long_history(clinician, patient):
    first = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
    for week in range(chart.RESULTS_SHOWN + 5):
        answers = [3] * 9 if week == 0 else [1] * 9
        record(patient, "phq9", answers, first + dt.timedelta(weeks=week))

    section = section_for(clinician, patient)

    history = phq9_history(section)
    assert len(history.rows) == chart.RESULTS_SHOWN + 1
    assert history.baseline.total == 27
    assert history.rows[0].is_baseline
    assert history.latest.outcome is not None
    assert section["has_earlier_results"]


def test_timeline_tells_completions_alerts_and_reviews(clinician, patient):
    record(patient, "phq9", [2, 2, 1, 1, 2, 1, 2, 1, 0], dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    record(
        patient,
        "cssrs_screen",
        [True, True, True, True, False, False, None],
        dt.datetime(2026, 1, 6, tzinfo=dt.UTC),
    )
    alert = patient.safety_alerts.get()
    services.review_alert(actor=Actor(user=clinician, ip_address=None), alert=alert, note="Phoned.")

    titles = [event.title for event in timeline_for(patient)]

    assert "PHQ-9 completed — moderate (12)" in titles
    assert "C-SSRS screener completed — high risk" in titles
    assert "Safety alert raised" in titles
    assert "Safety review recorded" in titles
    assert titles.index("Safety review recorded") < titles.index("Safety alert raised")


@pytest.mark.parametrize(
    "provider", [chart.assessment_events, chart.alert_events, chart.licensed_scale_events]
)
def test_each_timeline_provider_runs_one_query(
    clinician, patient, django_assert_num_queries, provider
):
    for week in range(5):
        when = dt.datetime(2026, 1, 5, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
        completion = record(patient, "phq9", [1] * 9, when)
        services.review_alert(
            actor=Actor(user=clinician, ip_address=None), alert=completion.alerts[0], note="Ok."
        )
        record_licensed_scale(
            actor=Actor(user=clinician, ip_address=None),
            patient=patient,
            scale="madrs",
            total=20,
            administered_on=when.date(),
        )

    with django_assert_num_queries(1):
        events = list(provider(patient))

    assert len(events) >= 5
