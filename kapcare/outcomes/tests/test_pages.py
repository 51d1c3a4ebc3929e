"""The outcome dashboard, its CSV downloads and the API: who may read them, what they
show, bad input at the field, and a query count that does not grow with the episodes."""

import csv
import io

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.outcomes.tests.factories import course

DASHBOARD = "/clinical/outcomes/"
SUMMARY = "/api/v1/outcomes/summary"
DURABILITY = "/api/v1/outcomes/durability"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def some_courses(clinic, count):
    for n in range(count):
        course(clinic, model="bracketed", after=4, later=[(60 + n, 14 if n % 2 else 3)])
        course(clinic, model="standalone", after=5, later=[(30 + n, 15)])


@pytest.fixture
def data(clinic):
    some_courses(clinic, 2)


def test_clinician_sees_rates_curves_and_the_caution(client, clinician, data):
    client.force_login(clinician)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "observational data, not a trial" in page
    assert 'id="rates-model"' in page
    assert "Bracketed" in page
    assert "<svg" in page
    assert 'id="at-risk"' in page
    assert "Log-rank test, KAP models together against standalone infusions" in page


@pytest.mark.parametrize("persona", ["coordinator", "nurse"])
def test_other_staff_are_refused_the_dashboard(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_a_therapist_or_a_patient_finds_no_dashboard(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(DASHBOARD).status_code == 404


def test_model_filter_and_csv(client, clinic_admin, data):
    client.force_login(clinic_admin)
    page = client.get(DASHBOARD, {"model": "standalone"}).content.decode()
    assert "Standalone infusion" in page
    assert 'href="/clinical/outcomes/rates.csv?model=standalone"' in page
    response = client.get("/clinical/outcomes/rates.csv", {"model": "standalone"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_model = [row for row in rows if row["group_by"] == "model"]
    assert [row["group"] for row in by_model] == ["standalone"]
    assert by_model[0]["responders"] == "2"


def test_durability_and_waivers_csv(client, clinician, data):
    client.force_login(clinician)
    curves = client.get("/clinical/outcomes/time-to-relapse.csv").content.decode()
    assert curves.startswith("model,day,at_risk,relapses,survival,ci_lower,ci_upper")
    assert "standalone," in curves
    waivers = client.get("/clinical/outcomes/gates-waived.csv").content.decode()
    assert waivers.startswith("rule,waived")


def test_bad_dates_are_told_at_the_field_and_kept(client, clinician):
    client.force_login(clinician)
    response = client.get(DASHBOARD, {"from": "2026-05-01", "to": "2026-01-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The end of the period is before its start." in page
    assert 'value="2026-05-01"' in page
    assert client.get(DASHBOARD, {"from": "9999-12-31"}).status_code == 200
    assert client.get(DASHBOARD, {"from": "not a date"}).status_code == 200


def test_dashboard_queries_do_not_grow_with_episodes(
    client, clinician, clinic, django_assert_max_num_queries
):
    client.force_login(clinician)
    some_courses(clinic, 1)
    client.get(DASHBOARD)
    with django_assert_max_num_queries(40) as one:
        client.get(DASHBOARD)
    some_courses(clinic, 12)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(DASHBOARD).status_code == 200


def test_summary_api_has_the_issue_shape(client, clinician, data):
    response = client.get(SUMMARY, {"group_by": "model"}, headers=bearer(clinician))
    assert response.status_code == 200
    rows = response.json()
    assert [row["group"] for row in rows] == ["bracketed", "standalone"]
    assert set(rows[0]) == {
        "group",
        "episodes",
        "with_baseline",
        "responders",
        "remitters",
        "response_rate",
        "response_ci",
        "remission_rate",
        "remission_ci",
    }
    assert rows[0]["responders"] == 2
    assert len(rows[0]["response_ci"]) == 2


def test_durability_api_has_the_issue_shape(client, clinic_admin, data):
    response = client.get(DURABILITY, {"group_by": "model"}, headers=bearer(clinic_admin))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"groups", "logrank"}
    assert set(body["groups"][0]) == {"group", "steps", "median"}
    assert set(body["groups"][0]["steps"][0]) == {
        "time",
        "at_risk",
        "events",
        "survival",
        "ci_lower",
        "ci_upper",
    }
    assert set(body["logrank"]) == {"chi2", "p_value"}


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
@pytest.mark.parametrize("url", [SUMMARY, DURABILITY])
def test_therapist_and_patient_get_404(client, request, persona, url):
    response = client.get(url, headers=bearer(request.getfixturevalue(persona)))
    assert response.status_code == 404


def test_coordinator_gets_403(client, coordinator):
    assert client.get(SUMMARY, headers=bearer(coordinator)).status_code == 403


def test_staff_see_only_their_clinic(client, other_clinic, clinic, clinician):
    some_courses(other_clinic, 2)
    response = client.get(SUMMARY, headers=bearer(clinician))
    assert response.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"from": "1900-01-01"}, "from"),
        ({"from": "nope"}, "from"),
        ({"group_by": "colour"}, "group_by"),
    ],
)
def test_summary_api_refuses_bad_input_at_the_field(client, clinician, query, field):
    response = client.get(SUMMARY, query, headers=bearer(clinician))
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_summary_api_queries_do_not_grow(client, clinician, clinic, django_assert_max_num_queries):
    some_courses(clinic, 1)
    headers = bearer(clinician)
    client.get(SUMMARY, headers=headers)
    with django_assert_max_num_queries(20) as one:
        client.get(SUMMARY, headers=headers)
    some_courses(clinic, 12)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(SUMMARY, headers=headers)
