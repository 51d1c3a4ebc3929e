"""The patient sees their own questionnaire results in the portal: a chart and a table per
questionnaire, the bands in words, nothing of anyone else's and no item answers."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures import services
from kapcare.measures.models import Source

URL = reverse("measures:portal_measures")

# A PHQ-9 course: 18 (moderately severe), 12 (moderate), 9 with item 9 "Several days" (mild).
PHQ9_COURSE = [
    ([3, 3, 2, 2, 2, 2, 2, 2, 0], dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC)),
    ([2, 2, 1, 1, 2, 1, 2, 1, 0], dt.datetime(2026, 1, 19, 17, tzinfo=dt.UTC)),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1], dt.datetime(2026, 2, 2, 17, tzinfo=dt.UTC)),
]
GAD7_SEVERE = [3, 3, 3, 2, 2, 2, 2]  # 17
PCL5_ABOVE_CUTOFF = [2] * 20  # 40, at or above the default cut-off of 33
CSSRS_LOW_RISK = [True, False, None, None, None, False, None]


def record(patient, instrument, answers, when=dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC)):
    with time_machine.travel(when, tick=False):
        return services.record_assessment(
            actor=Actor(user=None, ip_address=None),
            patient=patient,
            instrument=instrument,
            answers=answers,
            source=Source.STAFF,
        )


def record_phq9_course(patient):
    for answers, when in PHQ9_COURSE:
        record(patient, "phq9", answers, when)


@pytest.fixture
def signed_in(client, patient_user):
    client.force_login(patient_user)
    return client


def main_text(page: str) -> str:
    """What the page says in its main landmark, without markup, spaces collapsed."""
    main = page.split("<main")[1].split("</main>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def section_text(page: str, instrument_id: str) -> str:
    section = page.split(f'id="results-{instrument_id}-heading"')[1].split("</section>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def chart_series(page: str) -> dict:
    data = page.split('id="measures-chart-data" type="application/json">')[1].split("</script>")
    return {series["canvas_id"]: series for series in json.loads(data[0])["charts"]}


def test_page_shows_each_scored_questionnaires_history_with_bands_in_words(signed_in, patient):
    record_phq9_course(patient)
    record(patient, "gad7", GAD7_SEVERE)

    page = signed_in.get(URL).content.decode()

    phq9 = section_text(page, "phq9")
    assert "Jan 5, 2026 18 moderately severe" in phq9
    assert "Jan 19, 2026 12 moderate" in phq9
    assert "Feb 2, 2026 9 mild" in phq9
    assert "Latest score: 9 out of 27, mild" in phq9
    assert "Jan 5, 2026 17 severe" in section_text(page, "gad7")


def test_chart_draws_the_totals_oldest_first_with_the_vendored_library(signed_in, patient):
    record_phq9_course(patient)

    page = signed_in.get(URL).content.decode()

    series = chart_series(page)["measures-chart-phq9"]
    assert (series["totals"], series["bands"]) == (
        [18, 12, 9],
        ["moderately severe", "moderate", "mild"],
    )
    assert '<canvas id="measures-chart-phq9" role="img"' in page
    assert "kapcare/vendor/chart-4.6.1.umd.min.js" in page


def test_help_lists_the_published_bands(signed_in, patient):
    record(patient, "gad7", GAD7_SEVERE)

    text = section_text(signed_in.get(URL).content.decode(), "gad7")

    assert "0 to 4: minimal 5 to 9: mild 10 to 14: moderate 15 to 21: severe" in text


def test_pcl5_help_names_the_clinics_cutoff_and_the_band_spells_ptsd(signed_in, patient, clinic):
    clinic.pcl5_provisional_cutoff = 31
    clinic.save(update_fields=["pcl5_provisional_cutoff"])
    record(patient, "pcl5", PCL5_ABOVE_CUTOFF)

    page = signed_in.get(URL).content.decode()

    text = section_text(page, "pcl5")

    assert "Jan 5, 2026 40 probable PTSD" in text
    assert "A score of 31 or more is the screening cut-off your clinic uses" in text
    assert chart_series(page)["measures-chart-pcl5"]["ticks"] == [0, 31, 80]


def test_item_answers_and_item_9_flags_are_not_shown(signed_in, patient):
    record_phq9_course(patient)  # the third answers item 9 "Several days"

    text = main_text(signed_in.get(URL).content.decode())

    assert "item 9" not in text.lower()
    assert "Suicidal" not in text
    assert "Several days" not in text
    assert "988" in text


def test_the_cssrs_screener_is_not_charted(signed_in, patient):
    record(patient, "cssrs_screen", CSSRS_LOW_RISK)

    page = signed_in.get(URL).content.decode()

    assert 'id="results-cssrs_screen-heading"' not in page
    assert "low risk" not in main_text(page)
    assert "safety screening questions (C-SSRS) have no score" in main_text(page)
    assert "measures-chart-data" not in page


def test_a_patient_without_results_is_told_so(signed_in, patient):
    response = signed_in.get(URL)

    assert response.status_code == 200
    assert "You have no questionnaire scores yet" in response.content.decode()


def test_another_patients_results_never_show(signed_in, patient, other_patient):
    record(patient, "phq9", PHQ9_COURSE[0][0])
    record(other_patient, "phq9", PHQ9_COURSE[1][0])
    record(other_patient, "gad7", GAD7_SEVERE)

    page = signed_in.get(URL).content.decode()

    assert chart_series(page)["measures-chart-phq9"]["totals"] == [18]
    assert 'id="results-gad7-heading"' not in page


def test_the_read_is_logged_on_the_patients_record(signed_in, patient, patient_user):
    record(patient, "phq9", PHQ9_COURSE[0][0])
    before = AccessLogEntry.objects.count()

    signed_in.get(URL)

    entry = AccessLogEntry.objects.order_by("id")[before:].get()
    assert (entry.patient_id, entry.actor_id, entry.action) == (
        patient.pk,
        patient_user.pk,
        AccessAction.VIEW,
    )


@pytest.mark.parametrize("count", [1, 12])
def test_query_count_does_not_grow_with_the_results(
    signed_in, patient, count, django_assert_max_num_queries
):
    for day in range(count):
        when = dt.datetime(2026, 1, 1, 17, tzinfo=dt.UTC) + dt.timedelta(days=day)
        record(patient, "phq9", PHQ9_COURSE[day % 3][0], when)
        record(patient, "gad7", GAD7_SEVERE, when)

    with django_assert_max_num_queries(12):
        response = signed_in.get(URL)

    assert response.status_code == 200
    assert len(chart_series(response.content.decode())["measures-chart-phq9"]["totals"]) == count


def test_portal_card_and_navigation_link_to_the_results(signed_in, patient):
    page = signed_in.get(reverse("portal:home")).content.decode()

    assert page.count(f'href="{URL}"') == 2


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "therapist"])
def test_staff_and_therapists_are_refused(client, request, patient, persona):
    record(patient, "phq9", PHQ9_COURSE[0][0])
    client.force_login(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 403
