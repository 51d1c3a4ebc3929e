"""Every API list answers pages (kapcare/api_pages.py): keyset paging with a signed cursor,
no OFFSET and no COUNT, the same number of queries on every page."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import ApiToken
from kapcare.api import api
from tests.factories import PatientFactory

PATIENTS = "/api/v1/patients"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def cursor_of(body) -> str:
    return parse_qs(urlsplit(body["next"]).query)["cursor"][0]


@pytest.fixture
def many_patients(clinic):
    return PatientFactory.create_batch(7, clinic=clinic)


def test_a_list_without_a_limit_gives_the_default_page_size(client, coordinator, clinic):
    PatientFactory.create_batch(settings.API_PAGE_SIZE + 1, clinic=clinic)

    body = client.get(PATIENTS, headers=bearer(coordinator)).json()

    assert len(body["items"]) == settings.API_PAGE_SIZE
    assert body["next"] is not None


def test_the_maximum_page_size_is_accepted_and_one_more_is_refused_at_limit(client, coordinator):
    headers = bearer(coordinator)

    largest = client.get(f"{PATIENTS}?limit={settings.API_MAX_PAGE_SIZE}", headers=headers)
    beyond = client.get(f"{PATIENTS}?limit={settings.API_MAX_PAGE_SIZE + 1}", headers=headers)

    assert largest.status_code == 200
    assert beyond.status_code == 422
    assert list(beyond.json()["errors"]) == ["limit"]


def test_next_keeps_the_filters_and_the_limit(client, coordinator, clinic, many_patients):
    body = client.get(f"{PATIENTS}?limit=3", headers=bearer(coordinator)).json()

    assert parse_qs(urlsplit(body["next"]).query)["limit"] == ["3"]
    assert urlsplit(body["next"]).path == PATIENTS


def test_a_made_up_cursor_is_refused_at_the_field(client, coordinator, many_patients):
    response = client.get(f"{PATIENTS}?cursor=MTIz", headers=bearer(coordinator))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_from_another_list_is_refused(client, coordinator, many_patients):
    headers = bearer(coordinator)
    body = client.get(f"{PATIENTS}?limit=2", headers=headers).json()

    response = client.get(f"/api/v1/episodes?cursor={cursor_of(body)}", headers=headers)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_naming_a_patient_of_another_clinic_is_refused(
    client, coordinator, outsider, many_patients
):
    body = client.get(f"{PATIENTS}?limit=2", headers=bearer(coordinator)).json()

    response = client.get(body["next"], headers=bearer(outsider))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


def test_the_cursor_carries_no_name(client, coordinator, clinic):
    PatientFactory.create_batch(3, clinic=clinic, family_name="Quixotic")

    body = client.get(f"{PATIENTS}?limit=1", headers=bearer(coordinator)).json()

    payload = signing.b64_decode(cursor_of(body).split(":")[0].encode())
    assert b"quixotic" not in payload.lower()


def test_a_later_page_neither_skips_nor_counts_rows(client, coordinator, many_patients):
    headers = bearer(coordinator)
    first = client.get(f"{PATIENTS}?limit=2", headers=headers).json()

    with CaptureQueriesContext(connection) as queries:
        client.get(first["next"], headers=headers)

    sql = " ".join(query["sql"].upper() for query in queries)
    assert " OFFSET " not in sql
    assert "COUNT(" not in sql


def test_a_page_deep_in_a_longer_list_takes_no_more_queries_than_the_second(
    client, coordinator, clinic, many_patients, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    first = client.get(f"{PATIENTS}?limit=2", headers=headers).json()
    with CaptureQueriesContext(connection) as second_page:
        second = client.get(first["next"], headers=headers).json()
    PatientFactory.create_batch(30, clinic=clinic)

    with django_assert_max_num_queries(len(second_page)):
        client.get(second["next"], headers=headers)


def test_every_list_operation_answers_a_page_with_limit_and_cursor():
    schema = api.get_openapi_schema()
    lists = {
        path: operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "get" and "{" not in path.rsplit("/", 1)[-1]
        if path.endswith(
            ("/patients", "/episodes", "/dosing-sessions", "/assessments", "/access-log")
        )
    }

    assert len(lists) == 5
    for path, operation in lists.items():
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"limit", "cursor"} <= names, path
        reference = operation["responses"][200]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
        assert set(page["properties"]) == {"items", "next"}, path
