"""The DEA records' pages: the register's summary of them, the printed register (page and
PDF), inventories and theft or loss reports — each role against each page and action."""

import datetime as dt
import re
from decimal import Decimal as D
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from kapcare.dosing.substances import lots
from kapcare.dosing.substances.inventory import views as inventory_views
from kapcare.dosing.substances.models import Inventory, TheftLossReport
from kapcare.dosing.tests.test_dea_fixtures import (
    REGISTRATION,
    file_loss,
    registered,
    stocked,
    take,
)
from kapcare.dosing.tests.test_substances_fixtures import (
    dosing_record,
    receive,
    use,
)
from tests.factories import PASSWORD, UserFactory, nurse_of

LOT = "KET-2611"
ROLES_REFUSED = ["coordinator", "therapist", "patient_user", "outsider"]


def inventory_form(**changes):
    data = {
        "kind": "biennial",
        "taken_as_of": "opening",
        "lot_0_number": LOT,
        "lot_0_counted_mg": "1000",
        "reauthentication": PASSWORD,
    }
    return {**data, **changes}


def loss_form(clinic, **changes):
    data = {
        "discovered_on": timezone.localdate(timezone.now(), clinic.zone).isoformat(),
        "kind": "lost_in_transit",
        "description": "A carton did not arrive with the delivery.",
        "lot_0_number": LOT,
        "lot_0_quantity_mg": "50",
        "reauthentication": PASSWORD,
    }
    return {**data, **changes}


# --- The register page --------------------------------------------------------------------


def test_the_register_shows_the_registration_and_that_a_first_inventory_is_due(
    client, clinic, nurse
):
    stocked(clinic, nurse)
    client.force_login(nurse)

    page = client.get(reverse("substances:register")).content.decode()

    assert REGISTRATION in page
    assert "due now: none has been taken" in page
    assert "50 mg/mL" in page
    assert "Injectable solution" in page


def test_the_register_shows_the_next_biennial_inventory_after_one_is_taken(client, clinic, nurse):
    stocked(clinic, nurse)
    taken = take(nurse, clinic)
    client.force_login(nurse)

    page = client.get(reverse("substances:register")).content.decode()

    due = taken.taken_on.replace(year=taken.taken_on.year + 2)
    assert f"due by {due:%b} {due.day}, {due.year}" in page


def test_a_line_received_before_strength_was_recorded_shows_not_recorded(client, clinic, nurse):
    registered(clinic)
    entry = receive(UserFactory(role=Role.CLINICIAN, clinic=clinic), lot=LOT)
    # As a line of before: the database refuses UPDATE, so a line is inserted as it was.
    ControlledSubstanceEntry.objects.create(
        clinic=clinic,
        lot_number="OLD-1",
        kind=SubstanceEntryKind.RECEIVED,
        amount_mg=D("100"),
        witness=entry.witness,
        recorded_by=entry.recorded_by,
    )
    lots.restate(clinic, ["OLD-1"])  # as the register's migration restated it
    client.force_login(nurse)

    page = client.get(reverse("substances:register_print")).content.decode()

    assert "not recorded · not recorded · not recorded" in page


# --- The printed register -----------------------------------------------------------------


def test_the_printed_register_shows_each_line_with_its_volume_witness_and_retention(
    client, clinic, clinician, nurse, patient
):
    registered(clinic)
    record = dosing_record(patient, clinician)
    receive(clinician, amount="500", lot="KET-24-117")
    use(record, clinician, drawn="40", given="36.2", wasted="3.8", witness=nurse)
    client.force_login(nurse)

    response = client.get(reverse("substances:register_print"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ketamine hydrochloride · 50 mg/mL · Injectable solution" in page
    assert '36.2 mg <span class="muted">(0.72 mL)</span>' in page
    assert nurse.display_name in page
    assert "Kept until" in page
    assert REGISTRATION in page
    assert AccessLogEntry.objects.filter(
        action=AccessAction.LIST, patient=record.patient, actor=nurse
    ).exists()


def test_the_printed_register_of_a_period_starts_from_its_opening_balance(
    client, clinic, clinician, nurse
):
    registered(clinic)
    receive(clinician, amount="500", lot="KET-24-117")
    client.force_login(nurse)
    tomorrow = timezone.localdate(timezone.now(), clinic.zone) + timezone.timedelta(days=1)

    page = client.get(
        reverse("substances:register_print"), {"start": tomorrow.isoformat()}
    ).content.decode()

    assert "Balance at the start of the period: 500 mg" in page
    assert "No line in this period." in page


def test_the_printed_register_is_the_month_so_far_unless_a_period_is_asked_for(
    client, clinic, clinician, nurse
):
    registered(clinic)
    month = timezone.localdate(timezone.now(), clinic.zone).replace(day=1)
    before = dt.datetime.combine(month - dt.timedelta(days=3), dt.time(12), tzinfo=clinic.zone)
    with time_machine.travel(before, tick=False):
        receive(clinician, amount="500", lot="KET-24-117", note="The earlier delivery.")
    receive(clinician, amount="200", lot="KET-24-117", note="The later delivery.")
    client.force_login(nurse)

    page = client.get(reverse("substances:register_print")).content.decode()
    asked = client.get(
        reverse("substances:register_print"), {"start": (month - dt.timedelta(days=7))}
    ).content.decode()

    assert f"From {month:%B} {month.day}, {month.year}" in page
    assert "Balance at the start of the period: 500 mg" in page
    assert "The later delivery." in page
    assert "The earlier delivery." not in page
    assert "The earlier delivery." in asked
    assert "The later delivery." in asked


def test_the_printed_register_of_a_period_ends_with_it(client, clinic, clinician, nurse):
    registered(clinic)
    today = timezone.localdate(timezone.now(), clinic.zone)
    with time_machine.travel(
        dt.datetime.combine(today - dt.timedelta(days=2), dt.time(12), tzinfo=clinic.zone),
        tick=False,
    ):
        receive(clinician, amount="500", lot="KET-24-117", note="In the period.")
    receive(clinician, amount="200", lot="KET-24-117", note="After the period.")
    client.force_login(nurse)
    period = {"start": today - dt.timedelta(days=5), "end": today - dt.timedelta(days=1)}

    page = client.get(reverse("substances:register_print"), period).content.decode()

    assert "In the period." in page
    assert "After the period." not in page
    assert "At its end: 500 mg." in page


def test_the_printed_register_runs_a_fixed_number_of_queries_whatever_it_holds(
    client, clinic, clinician, nurse
):
    registered(clinic)
    receive(clinician, amount="500", lot="KET-24-117")
    client.force_login(nurse)
    client.get(reverse("substances:register_print"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("substances:register_print"))
    for lot in ("KET-24-118", "KET-24-119"):
        receive(clinician, amount="500", lot=lot)
        receive(clinician, amount="5", lot=lot)

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("substances:register_print"))

    assert len(many) == len(few)


def test_the_printed_register_pages_its_lines_carrying_each_lots_balance(
    client, clinic, clinician, nurse, monkeypatch
):
    monkeypatch.setattr(inventory_views, "PRINT_PAGE_LINES", 2)
    registered(clinic)
    for amount, note in (("500", "First."), ("200", "Second."), ("100", "Third.")):
        receive(clinician, amount=amount, lot="KET-24-117", note=note)
    client.force_login(nurse)

    first = client.get(reverse("substances:register_print")).content.decode()
    later = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', first).group(1)
    second = client.get(reverse("substances:register_print") + "?" + unescape(later))
    second = second.content.decode()

    assert "First." in first
    assert "Second." in first
    assert "Third." not in first
    assert "Balance at the start of the period: 0 mg. At its end: 700 mg." in first
    assert "Third." in second
    assert "First." not in second
    assert "Balance at the start of the period: 700 mg. At its end: 800 mg." in second
    assert 'rel="next"' not in second


def test_a_period_ending_before_it_starts_is_refused_at_the_field(client, clinic, nurse):
    client.force_login(nurse)

    response = client.get(
        reverse("substances:register_print"), {"start": "2026-03-02", "end": "2026-03-01"}
    )

    assert response.status_code == 422
    assert "The period ends after it starts." in response.content.decode()


def test_the_printed_register_is_a_pdf_too(client, clinic, nurse):
    stocked(clinic, nurse)
    client.force_login(nurse)

    response = client.get(reverse("substances:register_pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- Inventories --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_a_clinician_or_nurse_takes_the_inventory_typing_their_password(
    client, request, clinic, nurse, role
):
    stocked(clinic, nurse)
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(reverse("substances:inventories"), inventory_form())

    taken = Inventory.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("substances:inventory", args=[taken.external_id])
    assert (taken.taken_by_id, taken.signed_with) == (user.pk, "password")


def test_a_wrong_password_signs_nothing(client, clinic, nurse):
    stocked(clinic, nurse)
    client.force_login(nurse)

    response = client.post(
        reverse("substances:inventories"), inventory_form(reauthentication="wrong")
    )

    assert response.status_code == 422
    assert "That password is not right." in response.content.decode()
    assert not Inventory.objects.exists()


def test_a_miscount_is_listed_on_the_inventory(client, clinic, nurse):
    stocked(clinic, nurse)
    client.force_login(nurse)

    client.post(
        reverse("substances:inventories"),
        inventory_form(lot_0_counted_mg="950", lot_0_reason="Vial broken at the count"),
    )
    page = client.get(
        reverse("substances:inventory", args=[Inventory.objects.get().external_id])
    ).content.decode()

    assert "1 discrepancy between the count and the register." in page
    assert "Vial broken at the count" in page
    assert "Injectable solution" in page
    assert "report it as a theft or loss" in page


def test_a_clinic_admin_reads_the_inventories_but_takes_none(client, clinic, nurse, clinic_admin):
    stocked(clinic, nurse)
    client.force_login(clinic_admin)

    page = client.get(reverse("substances:inventories"))
    refused = client.post(reverse("substances:inventories"), inventory_form())

    assert page.status_code == 200
    assert b"Sign the inventory" not in page.content
    assert refused.status_code == 403
    assert not Inventory.objects.exists()


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_others_cannot_take_an_inventory(client, request, clinic, nurse, role):
    stocked(clinic, nurse)
    client.force_login(request.getfixturevalue(role))

    response = client.post(reverse("substances:inventories"), inventory_form())

    assert response.status_code == 403
    assert not Inventory.objects.exists()


def test_another_clinics_nurse_gets_404_on_an_inventory(client, clinic, nurse, other_clinic):
    stocked(clinic, nurse)
    taken = take(nurse, clinic)
    client.force_login(nurse_of(other_clinic))

    response = client.get(reverse("substances:inventory", args=[taken.external_id]))

    assert response.status_code == 404


# --- Theft or loss ------------------------------------------------------------------------


def test_a_nurse_files_a_loss_and_its_line_joins_the_register(client, clinic, nurse):
    stocked(clinic, nurse)
    client.force_login(nurse)

    response = client.post(reverse("substances:losses"), loss_form(clinic))

    report = TheftLossReport.objects.get()
    assert response.status_code == 302
    assert report.lines.get().entry.kind == SubstanceEntryKind.LOST
    page = client.get(reverse("substances:loss", args=[report.external_id])).content.decode()
    assert "Lost in transit" in page
    assert "50 mg/mL" in page
    assert REGISTRATION in page


def test_a_loss_without_a_description_is_refused_at_the_field(client, clinic, nurse):
    stocked(clinic, nurse)
    client.force_login(nurse)

    response = client.post(reverse("substances:losses"), loss_form(clinic, description=""))

    assert response.status_code == 422
    assert "Describe what happened, as DEA Form 106 asks." in response.content.decode()
    assert not TheftLossReport.objects.exists()


def test_the_submission_to_the_dea_is_recorded_from_the_report(client, clinic, nurse, clinician):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {LOT: "10"})
    client.force_login(clinician)

    response = client.post(
        reverse("substances:loss_submitted", args=[report.external_id]),
        {"dea_confirmation": "DEA-106-7731"},
    )

    report.refresh_from_db()
    assert response.status_code == 302
    assert (report.submitted_by_id, report.dea_confirmation) == (clinician.pk, "DEA-106-7731")


@pytest.mark.parametrize("role", ["clinic_admin", *ROLES_REFUSED])
def test_others_cannot_file_a_loss_nor_record_its_submission(client, request, clinic, nurse, role):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {LOT: "10"})
    client.force_login(request.getfixturevalue(role))

    filed = client.post(reverse("substances:losses"), loss_form(clinic))
    submitted = client.post(
        reverse("substances:loss_submitted", args=[report.external_id]),
        {"dea_confirmation": "X"},
    )

    assert (filed.status_code, submitted.status_code) == (403, 403)
    assert TheftLossReport.objects.get().submitted_at is None


def test_the_report_is_a_pdf_too(client, clinic, nurse):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {LOT: "10"})
    client.force_login(nurse)

    response = client.get(reverse("substances:loss_pdf", args=[report.external_id]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_clinics_nurse_gets_404_on_a_report(client, clinic, nurse, other_clinic):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {LOT: "10"})
    client.force_login(nurse_of(other_clinic))

    assert client.get(reverse("substances:loss", args=[report.external_id])).status_code == 404
    assert (
        client.post(
            reverse("substances:loss_submitted", args=[report.external_id]),
            {"dea_confirmation": "X"},
        ).status_code
        == 404
    )
