"""The trajectory on the chart, the shared record and the portal: doses with their route,
integration sessions, the baseline and thresholds, the table; fixed queries."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.outcomes import trajectory
from kapcare.outcomes.tests.factories import course
from tests.factories import authorize


@pytest.fixture
def treated(clinic, patient):
    episode = course(clinic, patient=patient, route="im", baseline=20, after=4, later=[(30, 6)])
    first = episode.sessions.order_by("planned_start").first()
    CareSession.objects.create(
        episode=episode,
        patient=patient,
        kind=SessionKind.INTEGRATION,
        status=SessionStatus.DONE,
        planned_start=first.planned_start + dt.timedelta(days=1),
        planned_end=first.planned_start + dt.timedelta(days=1, hours=1),
        created_by=first.created_by,
    )
    return patient


def chart_url(patient):
    return reverse("patients:chart", args=[patient.external_id])


def test_chart_shows_the_trajectory_with_doses_thresholds_and_table(client, clinician, treated):
    client.force_login(clinician)
    page = client.get(chart_url(treated)).content.decode()
    assert 'id="trajectory-heading"' in page
    assert 'role="img" aria-labelledby="trajectory-phq9-title' in page
    assert "Dose (Intramuscular)" in page
    assert "Integration session" in page
    assert ">Baseline</text>" in page
    assert "Response (50 % fall)" in page
    assert "Remission (below 5)" in page
    assert page.count('class="dose"') == 6


def test_trajectory_queries_do_not_grow_with_the_record(
    rf, clinician, clinic, patient, django_assert_max_num_queries
):
    course(clinic, patient=patient, after=4)
    request = rf.get("/")
    request.user = clinician
    with django_assert_max_num_queries(10) as few:
        assert trajectory.trajectory_context(request, patient) is not None
    for n in range(5):
        course(clinic, patient=patient, after=4, later=[(10, 3)], first_dose_days_ago=100 + n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        trajectory.trajectory_context(request, patient)


def test_portal_shows_the_patient_their_trajectory(client, patient_user, treated):
    client.force_login(patient_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "How your scores have changed" in page
    assert "Dose (Intramuscular)" in page


def test_therapist_sees_it_only_with_the_measures_scope(client, therapist, treated):
    authorize(treated, therapist, scopes=("schedule",))
    client.force_login(therapist)
    url = reverse("sharing:shared_record", args=[treated.external_id])
    assert 'id="trajectory-heading"' not in client.get(url).content.decode()
    authorize(treated, therapist, scopes=("measures",))
    assert 'id="trajectory-heading"' in client.get(url).content.decode()


def test_no_questionnaire_no_section(client, clinician, patient):
    client.force_login(clinician)
    assert 'id="trajectory-heading"' not in client.get(chart_url(patient)).content.decode()
