"""The DEA records through the API: inventories and theft or loss reports, listed a page at
a time and read one by one — who may read them, what they hold, the access log, and a
query count that does not grow with the records."""

import pytest

from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.substances.models import InventoryKind, LossKind
from kapcare.dosing.tests.test_dea_fixtures import (
    REGISTRATION,
    counts_as_registered,
    file_loss,
    stocked,
    take,
)
from tests.factories import UserFactory

INVENTORIES = "/api/v1/controlled-substances/inventories"
REPORTS = "/api/v1/controlled-substances/theft-loss-reports"
LOT = "KET-2611"
READERS = ["clinician", "nurse", "clinic_admin"]
REFUSED = ["coordinator", "therapist", "patient_user", "outsider"]


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def records(clinic, clinician, nurse):
    """A biennial inventory (the lot counted 10 mg short, with the reason) and a loss of
    5 mg in transit, both of the clinic."""
    stocked(clinic, clinician)
    inventory = take(
        nurse,
        clinic,
        counts_as_registered(clinic, {LOT: "990"}, reasons={LOT: "A vial cracked."}),
    )
    report = file_loss(
        clinician,
        clinic,
        {LOT: "5"},
        kind=LossKind.LOST_IN_TRANSIT,
        police_notified=False,
        police_department="",
        police_report_number="",
    )
    return {"inventory": inventory, "report": report}


def test_the_inventories_are_listed_with_their_counts_in_brief(client, nurse, records):
    response = client.get(INVENTORIES, headers=bearer(nurse))

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    [row] = body["items"]
    assert row["id"] == str(records["inventory"].external_id)
    assert (row["kind"], row["taken_as_of"], row["registration_number"]) == (
        "biennial",
        "opening",
        REGISTRATION,
    )
    assert (row["lots"], row["discrepancies"], row["taken_by"]) == (1, 1, "Nell Nurse, RN")


def test_the_inventories_filter_by_kind(client, clinic, nurse, records):
    take(nurse, clinic, kind=InventoryKind.INITIAL)
    headers = bearer(nurse)

    initial = client.get(INVENTORIES, {"kind": "initial"}, headers=headers).json()["items"]
    every = client.get(INVENTORIES, headers=headers).json()["items"]
    unknown = client.get(INVENTORIES, {"kind": "yearly"}, headers=headers)

    assert [row["kind"] for row in initial] == ["initial"]
    assert sorted(row["kind"] for row in every) == ["biennial", "initial"]
    assert unknown.status_code == 422
    assert list(unknown.json()["errors"]) == ["kind"]


def test_one_inventory_gives_each_lots_count_beside_the_register(client, clinician, records):
    inventory = records["inventory"]

    response = client.get(f"{INVENTORIES}/{inventory.external_id}", headers=bearer(clinician))

    assert response.status_code == 200
    body = response.json()
    assert body["registrant_name"] == inventory.registrant_name
    assert body["kept_until"] == str(inventory.taken_on.replace(year=inventory.taken_on.year + 2))
    [count] = body["counts"]
    assert count["lot_number"] == LOT
    assert (count["expected_mg"], count["counted_mg"], count["difference_mg"]) == (
        "1000.00",
        "990.00",
        "-10.00",
    )
    assert count["reason"] == "A vial cracked."


def test_the_reports_are_listed_with_what_was_lost(client, clinic_admin, records):
    body = client.get(REPORTS, headers=bearer(clinic_admin)).json()

    [row] = body["items"]
    report = records["report"]
    assert row["id"] == str(report.external_id)
    assert (row["kind"], row["total_mg"], row["overdue"], row["submitted_at"]) == (
        "lost_in_transit",
        "5.00",
        False,
        None,
    )
    assert row["notify_by"] == str(report.notify_by)


def test_one_report_gives_the_data_of_form_106(client, clinician, records):
    report = records["report"]

    body = client.get(f"{REPORTS}/{report.external_id}", headers=bearer(clinician)).json()

    assert body["registration_number"] == REGISTRATION
    assert body["police_notified"] is False
    assert body["description"] == report.description
    assert [(line["lot_number"], line["quantity_mg"]) for line in body["lines"]] == [(LOT, "5.00")]
    assert (body["submitted_by"], body["dea_confirmation"]) == (None, "")


# --- Who may read ------------------------------------------------------------------------


def urls(records) -> list[str]:
    return [
        INVENTORIES,
        f"{INVENTORIES}/{records['inventory'].external_id}",
        REPORTS,
        f"{REPORTS}/{records['report'].external_id}",
    ]


@pytest.mark.parametrize("role", READERS)
def test_the_registers_readers_read_the_dea_records(client, request, records, role):
    headers = bearer(request.getfixturevalue(role))

    assert [client.get(url, headers=headers).status_code for url in urls(records)] == [200] * 4


@pytest.mark.parametrize("role", REFUSED)
def test_coordinators_therapists_patients_and_other_clinics_desks_are_refused(
    client, request, records, role
):
    headers = bearer(request.getfixturevalue(role))

    assert [client.get(url, headers=headers).status_code for url in urls(records)] == [403] * 4


def test_a_clinician_of_another_clinic_finds_none(client, other_clinic, records):
    stranger = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    headers = bearer(stranger)

    answers = [client.get(url, headers=headers) for url in urls(records)]

    assert [answer.status_code for answer in answers] == [200, 404, 200, 404]
    assert answers[0].json()["items"] == answers[2].json()["items"] == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_record_is_404(client, clinician, records, bad):
    headers = bearer(clinician)

    assert client.get(f"{INVENTORIES}/{bad}", headers=headers).status_code == 404
    assert client.get(f"{REPORTS}/{bad}", headers=headers).status_code == 404


def test_without_a_token_the_api_asks_for_one(client, records):
    assert [client.get(url).status_code for url in urls(records)] == [401] * 4


# --- The access log ----------------------------------------------------------------------


def test_each_record_read_or_listed_is_in_the_access_log(client, clinic, nurse, records):
    headers = bearer(nurse)
    inventory, report = records["inventory"], records["report"]
    before = AccessLogEntry.objects.count()

    client.get(INVENTORIES, headers=headers)
    client.get(f"{INVENTORIES}/{inventory.external_id}", headers=headers)
    client.get(REPORTS, headers=headers)
    client.get(f"{REPORTS}/{report.external_id}", headers=headers)

    rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        (AccessAction.LIST, "inventory", str(inventory.external_id)),
        (AccessAction.VIEW, "inventory", str(inventory.external_id)),
        (AccessAction.LIST, "theftlossreport", str(report.external_id)),
        (AccessAction.VIEW, "theftlossreport", str(report.external_id)),
    ]
    assert {(r.actor_id, r.clinic_id, r.patient_id, r.channel) for r in rows} == {
        (nurse.pk, clinic.pk, None, "api")
    }


# --- Pages of a fixed cost ---------------------------------------------------------------


def test_the_lists_take_the_same_queries_however_many_records(
    client, clinic, clinician, nurse, records, django_assert_max_num_queries
):
    """The token with its user, the page, its log rows: 3 queries, with one record or many."""
    headers = bearer(nurse)
    client.get(INVENTORIES, headers=headers)  # the token's first use is recorded once
    for url in (INVENTORIES, REPORTS):
        with django_assert_max_num_queries(3):
            assert client.get(url, headers=headers).status_code == 200
    for amount in ("1", "2", "3"):
        take(nurse, clinic)
        file_loss(clinician, clinic, {LOT: amount})

    for url in (INVENTORIES, REPORTS):
        with django_assert_max_num_queries(3):
            assert len(client.get(url, headers=headers).json()["items"]) == 4


def test_the_lists_come_a_page_at_a_time(client, clinic, clinician, nurse, records):
    for amount in ("1", "2"):
        take(nurse, clinic)
        file_loss(clinician, clinic, {LOT: amount})
    headers = bearer(nurse)

    for url in (INVENTORIES, REPORTS):
        first = client.get(url, {"limit": 2}, headers=headers).json()
        second = client.get(first["next"], headers=headers).json()
        ids = [row["id"] for row in first["items"] + second["items"]]
        assert (len(first["items"]), len(second["items"]), second["next"]) == (2, 1, None)
        assert len(set(ids)) == 3
