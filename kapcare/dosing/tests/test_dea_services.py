"""Inventories and theft or loss reports (kapcare/dosing/substances/inventory/services.py):
signed by a licensed person who re-authenticated, compared with the register, never
deleted."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.models import (
    InventoryCount,
    InventoryKind,
    TheftLossLine,
    TheftLossReport,
)
from kapcare.dosing.substances.services import register_lots
from kapcare.dosing.tests.test_dea_fixtures import (
    ADDRESS,
    OTHER_REGISTRATION,
    REGISTRATION,
    actor,
    counts_as_registered,
    file_loss,
    stocked,
    take,
)
from kapcare.kept import RecordIsKept
from kapcare.refusals import Refused
from tests.second_factor import reauthenticated


def test_an_inventory_that_matches_the_register_has_no_discrepancy(clinic, nurse):
    stocked(clinic, nurse)

    taken = take(nurse, clinic)

    count = taken.counts.get()
    assert (count.expected_mg, count.counted_mg, count.is_discrepancy) == (
        D("1000"),
        D("1000"),
        False,
    )
    assert (taken.registration_number, taken.registrant_address) == (REGISTRATION, ADDRESS)
    assert (count.strength, count.dosage_form) == ("50 mg/mL", "injectable_solution")
    assert taken.taken_on == timezone.localdate(timezone.now(), clinic.zone)


def test_a_miscount_without_a_reason_is_refused_at_the_lots_reason(clinic, nurse):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        take(nurse, clinic, counts_as_registered(clinic, {"KET-2611": "990"}))

    assert refusal.value.problems == {
        "lot_0_reason": "990 mg counted, the register shows 1000 mg: write why (an "
        "adjustment, or a theft or loss to report)."
    }


def test_a_miscount_adjusted_adds_a_signed_line_bringing_the_register_to_the_count(clinic, nurse):
    stocked(clinic, nurse)

    taken = take(
        nurse,
        clinic,
        counts_as_registered(
            clinic, {"KET-2611": "990"}, reasons={"KET-2611": "Spilled"}, adjust={"KET-2611"}
        ),
    )

    adjustment = taken.counts.get().adjustment
    assert (adjustment.kind, adjustment.amount_mg, adjustment.recorded_by_id) == (
        SubstanceEntryKind.ADJUSTED,
        D("-10"),
        nurse.pk,
    )
    assert adjustment.strength == "50 mg/mL"
    assert register_lots(clinic.pk)["KET-2611"][1] == D("990")


def test_a_miscount_not_adjusted_leaves_the_register_as_it_was(clinic, nurse):
    stocked(clinic, nurse)

    take(
        nurse,
        clinic,
        counts_as_registered(clinic, {"KET-2611": "990"}, reasons={"KET-2611": "Missing"}),
    )

    assert register_lots(clinic.pk)["KET-2611"][1] == D("1000")
    assert not ControlledSubstanceEntry.objects.filter(kind=SubstanceEntryKind.ADJUSTED).exists()


def test_an_inventory_without_a_fresh_reauthentication_is_refused(clinic, nurse, clinician):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        take(nurse, clinic, reauthentication=reauthenticated(clinician))

    assert "reauthentication" in refusal.value.problems


@pytest.mark.parametrize("role", ["clinic_admin", "coordinator"])
def test_only_a_clinician_or_nurse_takes_an_inventory(request, clinic, nurse, role):
    stocked(clinic, nurse)
    user = request.getfixturevalue(role)

    with pytest.raises(Refused) as refusal:
        take(user, clinic)

    assert refusal.value.problems == {
        "__all__": "Only a clinician or nurse of this clinic may take an inventory of the ketamine."
    }


def test_an_inventory_needs_the_clinics_dea_registration(clinic, nurse):
    with pytest.raises(Refused) as refusal:
        take(nurse, clinic, counts=[])

    assert "DEA registration number" in refusal.value.problems["__all__"]


def test_a_change_of_registrant_names_both_registrations(clinic, nurse):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        take(nurse, clinic, kind=InventoryKind.CHANGE_OF_REGISTRANT)
    taken = take(
        nurse,
        clinic,
        kind=InventoryKind.CHANGE_OF_REGISTRANT,
        previous_registration_number=REGISTRATION,
        new_registration_number=OTHER_REGISTRATION.lower(),
    )

    assert set(refusal.value.problems) == {
        "previous_registration_number",
        "new_registration_number",
    }
    assert (taken.previous_registration_number, taken.new_registration_number) == (
        REGISTRATION,
        OTHER_REGISTRATION,
    )


def test_a_count_of_other_lots_than_the_register_holds_is_refused(clinic, nurse):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        take(nurse, clinic, [inventory_services.LotCount("KET-OTHER", D("5"))])

    assert "register changed" in refusal.value.problems["__all__"]


def test_the_next_biennial_inventory_is_due_two_years_after_the_last(clinic, nurse):
    stocked(clinic, nurse)
    assert inventory_services.next_biennial_due(clinic.pk) is None

    taken = take(nurse, clinic)

    due = inventory_services.next_biennial_due(clinic.pk)
    assert (due.year - taken.taken_on.year, due.month, due.day) == (
        2,
        taken.taken_on.month,
        min(taken.taken_on.day, 28) if taken.taken_on.month == 2 else taken.taken_on.day,
    )


def test_an_inventory_is_logged_and_never_deleted(clinic, nurse):
    stocked(clinic, nurse)
    taken = take(nurse, clinic)

    row = AccessLogEntry.objects.get(object_id=str(taken.external_id))
    assert (row.action, row.clinic_id, row.patient_id) == (AccessAction.CREATE, clinic.pk, None)
    with pytest.raises(RecordIsKept):
        taken.delete()


# --- Theft or loss ------------------------------------------------------------------------


def test_a_loss_is_posted_to_the_register_and_due_to_the_dea_next_business_day(clinic, nurse):
    stocked(clinic, nurse)
    friday = timezone.localdate(timezone.now(), clinic.zone) - dt.timedelta(days=7)
    while friday.weekday() != 4:
        friday -= dt.timedelta(days=1)

    report = file_loss(nurse, clinic, {"KET-2611": "100"}, discovered_on=friday)

    line = report.lines.get()
    assert (line.entry.kind, line.entry.amount_mg) == (SubstanceEntryKind.LOST, D("100"))
    assert (line.drug_name, line.strength, line.dosage_form) == (
        "Ketamine hydrochloride",
        "50 mg/mL",
        "injectable_solution",
    )
    assert report.notify_by == friday + dt.timedelta(days=3)  # the Monday after
    assert report.form_106_by == friday + dt.timedelta(days=45)
    assert register_lots(clinic.pk)["KET-2611"][1] == D("900")


def test_a_loss_larger_than_the_register_holds_is_refused(clinic, nurse):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        file_loss(nurse, clinic, {"KET-2611": "1500"})

    assert "holds 1000 mg of lot KET-2611" in refusal.value.problems["lot_0_quantity_mg"]


def test_a_loss_reported_to_the_police_names_the_department(clinic, nurse):
    stocked(clinic, nurse)

    with pytest.raises(Refused) as refusal:
        file_loss(nurse, clinic, {"KET-2611": "10"}, police_department="")

    assert refusal.value.problems == {
        "police_department": "Name the police department that was told."
    }


def test_a_coordinator_cannot_report_a_loss(clinic, nurse, coordinator):
    stocked(clinic, nurse)

    with pytest.raises(Refused):
        file_loss(coordinator, clinic, {"KET-2611": "10"})

    assert not TheftLossReport.objects.exists()


def test_the_submission_to_the_dea_is_recorded_once(clinic, nurse, clinician):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {"KET-2611": "10"})

    inventory_services.record_submission(
        actor=actor(clinician), report=report, dea_confirmation="DEA-106-7731"
    )
    with pytest.raises(Refused) as refusal:
        inventory_services.record_submission(
            actor=actor(nurse), report=report, dea_confirmation="X"
        )

    report.refresh_from_db()
    assert (report.submitted_by_id, report.dea_confirmation) == (clinician.pk, "DEA-106-7731")
    assert refusal.value.problems == {"__all__": "This report's submission is already recorded."}


def test_an_unsubmitted_report_past_its_notice_is_overdue(clinic, nurse):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {"KET-2611": "10"})

    assert inventory_services.overdue_reports(clinic.pk, report.notify_by) == []
    assert inventory_services.overdue_reports(
        clinic.pk, report.notify_by + dt.timedelta(days=1)
    ) == [report]


def test_the_database_refuses_to_change_what_was_counted_or_lost(clinic, nurse):
    stocked(clinic, nurse)
    take(nurse, clinic)
    file_loss(nurse, clinic, {"KET-2611": "10"})

    for model, change in ((InventoryCount, {"counted_mg": 1}), (TheftLossLine, {"quantity_mg": 1})):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
            model.objects.update(**change)


def test_the_database_refuses_to_change_a_submitted_report(clinic, nurse):
    stocked(clinic, nurse)
    report = file_loss(nurse, clinic, {"KET-2611": "10"})
    inventory_services.record_submission(actor=actor(nurse), report=report, dea_confirmation="C-1")

    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        TheftLossReport.objects.filter(pk=report.pk).update(dea_confirmation="C-2")
