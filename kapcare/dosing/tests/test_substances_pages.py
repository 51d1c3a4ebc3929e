"""The ketamine register's pages: a session's use on the record page, and the clinic's
register with its reconciliation, stock received and corrections."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import ControlledSubstanceEntry
from kapcare.dosing.substances import rules as substances_rules
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.substances import views as substances_views
from kapcare.dosing.tests.test_substances_fixtures import (
    LOT,
    actor,
    dosing_record,
    receive,
    record_fixture,  # noqa: F401 (the `record` fixture)
    sign,
    stock_fixture,  # noqa: F401 (the `stock` fixture)
    use,
)
from tests.factories import PASSWORD, PatientFactory, UserFactory

REGISTER = "/controlled-substances/"


def record_url(record):
    return reverse("dosing:record", args=[record.session.external_id])


def use_url(record):
    return reverse("substances:session_use", args=[record.session.external_id])


def use_form(witness, **changes):
    """A session's use with a waste, the witness typing their own email and password."""
    data = {
        "lot_number": LOT,
        "drawn_mg": "50",
        "given_mg": "36.20",
        "wasted_mg": "13.8",
        "returned_mg": "0",
        "second_email": witness.email,
        "second_password": PASSWORD,
        "note": "",
    }
    return {**data, **changes}


def receive_form(witness, **changes):
    data = {
        "lot_number": "KET-25-001",
        "lot_expiry": "2027-12-31",
        "amount_mg": "1000",
        "drug_name": "Ketamine hydrochloride",
        "strength": "50 mg/mL",
        "dosage_form": "injectable_solution",
        "second_email": witness.email,
        "second_password": PASSWORD,
    }
    return {**data, **changes}


# --- On the record page -----------------------------------------------------------------------


def test_the_register_page_is_at_its_documented_address():
    assert reverse("substances:register") == REGISTER


def test_the_record_page_offers_a_clinician_the_form_with_the_dose_and_lot_filled_in(
    client, record, stock, clinician
):
    client.force_login(clinician)

    response = client.get(record_url(record))

    assert response.status_code == 200
    parts = {part.key: context for part, context in response.context["parts"]}
    form = parts["substances"]["form"]
    assert form.initial["given_mg"] == D("36.20")
    assert form.initial["lot_number"] == LOT
    assert b'action="' + use_url(record).encode() in response.content


def offered_lots(client, record) -> list[str]:
    parts = {part.key: context for part, context in client.get(record_url(record)).context["parts"]}
    return [value for value, _ in parts["substances"]["form"].fields["lot_number"].choices if value]


def emptied(clinician, lot: str, amount: str = "100") -> None:
    """A lot received and then corrected to nothing on hand."""
    receive(clinician, amount, lot=lot)
    entry = ControlledSubstanceEntry.objects.get(lot_number=lot)
    substances_services.correct_entry(
        actor=actor(clinician), entry=entry, amount_mg=-D(amount), note="Never delivered."
    )


def test_the_record_page_offers_the_lots_with_stock_on_hand_not_the_emptied_ones(
    client, record, stock, clinician
):
    emptied(clinician, "KET-EMPTIED")
    client.force_login(clinician)

    assert offered_lots(client, record) == [LOT]


def test_the_record_page_still_offers_the_lot_the_record_names_when_it_is_emptied(
    client, record, clinician
):
    emptied(clinician, LOT, "500")
    client.force_login(clinician)

    assert offered_lots(client, record) == [LOT]


def test_the_record_page_shows_a_coordinator_the_lines_but_no_form(
    client, record, stock, clinician, coordinator, nurse
):
    use(record, clinician, "50", "36.2", "13.8", witness=nurse)
    client.force_login(coordinator)

    response = client.get(record_url(record))

    assert "13.8 mg" in response.content.decode()
    assert use_url(record).encode() not in response.content


def test_the_record_page_says_when_a_session_does_not_balance(
    client, record, stock, clinician, nurse
):
    use(record, clinician, "50", "36.2", "10", witness=nurse, note="Spilled.")
    client.force_login(clinician)

    page = client.get(record_url(record)).content.decode()

    assert "50 mg drawn, 36.2 mg given, 10 mg wasted: 3.8 mg unaccounted for." in page


def test_a_clinician_records_a_session_use_that_a_nurse_witnesses(
    client, record, stock, clinician, nurse
):
    client.force_login(clinician)

    response = client.post(use_url(record), use_form(nurse))

    assert response.status_code == 302
    assert response["Location"] == record_url(record) + "#substances"
    assert list(
        ControlledSubstanceEntry.objects.filter(record=record).values_list("kind", "witness")
    ) == [("drawn", None), ("given", None), ("wasted", nurse.pk)]


def test_the_record_page_asks_the_witness_for_their_own_password(client, record, stock, clinician):
    client.force_login(clinician)

    page = client.get(record_url(record)).content.decode()

    assert 'id="substances_second_email"' in page
    assert 'type="password" name="second_password"' in page
    assert 'name="witness"' not in page  # no list of names to pick from


def test_a_waste_without_a_witness_shows_the_page_again_with_the_message_at_the_field(
    client, record, stock, clinician, nurse
):
    client.force_login(clinician)

    response = client.post(use_url(record), use_form(nurse, second_email="", second_password=""))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="substances_second_email_error"' in page
    assert "A waste of ketamine needs a witness" in page
    assert 'value="13.8"' in page  # nothing typed is lost
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_coordinator_is_refused_as_the_witness_at_the_field(
    client, record, stock, clinician, coordinator
):
    client.force_login(clinician)

    response = client.post(use_url(record), use_form(coordinator))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="substances_second_email_error"' in page
    assert "Cora Coordinator may not act as the witness" in page
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_witness_with_a_wrong_password_is_refused_keeping_all_but_the_password(
    client, record, stock, clinician, nurse
):
    client.force_login(clinician)

    response = client.post(
        use_url(record), use_form(nurse, second_password="not hers", note="Partial vial.")
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="substances_second_password_error"' in page
    assert "That email and password do not match an active account." in page
    for typed in ('value="13.8"', 'value="50"', f'value="{nurse.email}"', "Partial vial."):
        assert typed in page
    assert "not hers" not in page
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_the_drawer_is_refused_as_their_own_witness(client, record, stock, clinician):
    client.force_login(clinician)

    response = client.post(use_url(record), use_form(clinician))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="substances_second_email_error"' in page
    assert "The second person must be someone other than you." in page
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_nurse_records_a_use_that_a_clinician_witnesses(client, record, stock, clinician, nurse):
    client.force_login(nurse)

    response = client.post(use_url(record), use_form(clinician))

    assert response.status_code == 302
    wasted = ControlledSubstanceEntry.objects.get(record=record, kind="wasted")
    assert (wasted.recorded_by_id, wasted.witness_id) == (nurse.pk, clinician.pk)


def test_a_refused_use_still_logs_that_the_record_was_shown(
    client, record, stock, clinician, nurse, patient
):
    client.force_login(clinician)
    before = AccessLogEntry.objects.filter(patient=patient).count()

    client.post(use_url(record), use_form(nurse, drawn_mg="abc"))

    assert AccessLogEntry.objects.filter(patient=patient).count() > before


def test_a_coordinator_cannot_post_a_session_use(client, record, stock, coordinator):
    client.force_login(coordinator)

    response = client.post(use_url(record), use_form(coordinator))

    assert response.status_code == 403


def test_a_clinician_of_another_clinic_gets_404_on_a_session_use(
    client, record, stock, nurse, other_clinic
):
    client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    response = client.post(use_url(record), use_form(nurse))

    assert response.status_code == 404


def test_a_signed_record_has_no_use_form(client, record, stock, clinician):
    sign(record, clinician)
    client.force_login(clinician)

    response = client.get(record_url(record))

    assert use_url(record).encode() not in response.content


def test_the_record_page_runs_as_many_queries_for_many_lines_as_for_one(
    client, record, stock, clinician, nurse
):
    client.force_login(clinician)
    use(record, clinician, "36.2", "36.2")
    client.get(record_url(record))  # warm the session: its idle stamp is written once a minute
    with CaptureQueriesContext(connection) as one:
        client.get(record_url(record))
    for _ in range(3):
        use(record, clinician, "50", "36.2", "13.8", witness=nurse)

    with CaptureQueriesContext(connection) as many:
        client.get(record_url(record))

    assert len(many) == len(one)


# --- The register -----------------------------------------------------------------------------


def test_the_register_shows_each_line_with_the_stock_after_it(
    client, record, stock, clinician, nurse, patient
):
    use(record, clinician, "50", "36.2", "13.8", witness=nurse)
    client.force_login(clinician)

    response = client.get(REGISTER)

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Lot {LOT}" in page
    assert "450 mg" in page  # 500 received, 50 drawn
    assert patient.display_name in page
    assert record_url(record) in page
    assert "✓ Reconciled" in page
    assert 'role="alert"' not in page


def test_a_clinic_admin_reads_the_register_but_gets_no_forms(client, stock, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(REGISTER)

    assert response.status_code == 200
    assert reverse("substances:receive").encode() not in response.content
    assert reverse("substances:correct").encode() not in response.content


def test_the_register_shows_only_the_clinics_own_lots(client, stock, clinician, other_clinic):
    receive(UserFactory(role=Role.CLINICIAN, clinic=other_clinic), lot="ELSEWHERE-9")
    client.force_login(clinician)

    page = client.get(REGISTER).content.decode()

    assert "ELSEWHERE-9" not in page


def test_showing_the_register_lists_each_patient_in_the_access_log(
    client, record, stock, clinician, coordinator, patient
):
    use(record, clinician, "36.2", "36.2")
    client.force_login(clinic_admin := UserFactory(role=Role.ADMIN, clinic=patient.clinic))

    client.get(REGISTER)

    row = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (row.action, row.actor_id) == (AccessAction.LIST, clinic_admin.pk)


def test_the_register_runs_a_fixed_number_of_queries_whatever_it_holds(
    client, clinic, clinician, nurse, django_assert_max_num_queries
):
    receive(clinician)
    receive(clinician, lot="KET-24-200", expiry=dt.date(2027, 9, 30))
    for day in range(4):
        record = dosing_record(
            PatientFactory(clinic=clinic),
            clinician,
            starts_at=dt.datetime(2026, 12, 1 + day, 15, 0, tzinfo=dt.UTC),
        )
        use(record, clinician, "50", "36.2", "13.8", witness=nurse)
    client.force_login(clinician)

    # One more for the menu's count of unread messages; two for the DEA records (the last
    # inventory, the overdue theft or loss reports); three for the lots as they reconcile,
    # the latest lines of those in stock, and those lines' entries.
    with django_assert_max_num_queries(12):
        response = client.get(REGISTER)

    assert response.status_code == 200


def test_a_clinician_receives_stock_on_the_register_counted_with_a_nurse(client, clinician, nurse):
    client.force_login(clinician)

    response = client.post(reverse("substances:receive"), receive_form(nurse))

    assert response.status_code == 302
    entry = ControlledSubstanceEntry.objects.get()
    assert (entry.lot_number, entry.amount_mg, entry.lot_expiry, entry.witness_id) == (
        "KET-25-001",
        D("1000"),
        dt.date(2027, 12, 31),
        nurse.pk,
    )


def test_stock_received_without_an_expiry_is_refused_at_the_field(client, clinician, nurse):
    client.force_login(clinician)

    response = client.post(reverse("substances:receive"), receive_form(nurse, lot_expiry=""))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="receive_lot_expiry_error"' in page
    assert 'value="KET-25-001"' in page
    assert not ControlledSubstanceEntry.objects.exists()


def test_stock_counted_with_a_coordinator_is_refused_at_the_field(client, clinician, coordinator):
    client.force_login(clinician)

    response = client.post(reverse("substances:receive"), receive_form(coordinator))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="receive_second_email_error"' in page
    assert "Cora Coordinator may not act as the witness to the count" in page
    assert not ControlledSubstanceEntry.objects.exists()


def test_stock_counted_with_a_wrong_password_is_refused_at_the_field(client, clinician, nurse):
    client.force_login(clinician)

    response = client.post(
        reverse("substances:receive"), receive_form(nurse, second_password="wrong")
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="receive_second_password_error"' in page
    assert 'value="1000"' in page
    assert not ControlledSubstanceEntry.objects.exists()


def test_a_clinic_admin_cannot_receive_stock(client, clinic_admin, nurse):
    client.force_login(clinic_admin)

    response = client.post(reverse("substances:receive"), receive_form(nurse))

    assert response.status_code == 403


def test_a_clinician_corrects_a_line_on_the_register(client, stock, clinician):
    client.force_login(clinician)

    response = client.post(
        reverse("substances:correct"),
        {"entry": str(stock.external_id), "amount_mg": "-5", "note": "495 mg arrived."},
    )

    assert response.status_code == 302
    correction = ControlledSubstanceEntry.objects.get(kind="correction")
    assert (correction.corrects_id, correction.amount_mg) == (stock.pk, D("-5"))


def test_a_correction_without_a_reason_opens_that_lines_form_with_the_message(
    client, stock, clinician
):
    client.force_login(clinician)

    response = client.post(
        reverse("substances:correct"), {"entry": str(stock.external_id), "amount_mg": "-5"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="correct_{stock.external_id}_note_error"' in page
    assert "<details open>" in page
    assert not ControlledSubstanceEntry.objects.filter(kind="correction").exists()


def test_a_line_of_another_clinic_cannot_be_corrected(client, clinician, other_clinic):
    elsewhere = receive(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))
    client.force_login(clinician)

    response = client.post(
        reverse("substances:correct"),
        {"entry": str(elsewhere.external_id), "amount_mg": "-5", "note": "x"},
    )

    assert response.status_code == 404


# --- The reconciliation, end to end -----------------------------------------------------------


def test_the_register_reconciles_lot_by_lot_and_names_the_discrepancy(
    client, clinic, clinician, nurse
):
    """500 mg received; session A drew 50, gave 36.2, wasted 13.8 (balanced); session B
    drew 50, gave 40, wasted 5 (5 mg unaccounted for); a delivery typed as 100 mg where
    95 arrived, corrected by −5 mg."""
    receive(clinician, "500")
    session_a = dosing_record(PatientFactory(clinic=clinic), clinician)
    use(session_a, clinician, "50", "36.2", "13.8", witness=nurse)
    session_b = dosing_record(
        PatientFactory(clinic=clinic),
        clinician,
        weight_kg=D("80"),
        starts_at=dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC),
    )
    use(session_b, clinician, "50", "40", "5", witness=nurse, note="Unclear: counting.")
    mistyped = receive(clinician, "100")
    substances_services.correct_entry(
        actor=actor(clinician), entry=mistyped, amount_mg=D("-5"), note="95 mg arrived."
    )
    client.force_login(clinician)

    page = client.get(REGISTER).content.decode()

    assert 'role="alert"' in page
    assert (
        f"Lot {LOT}: Session of December 8, 2026: 50 mg drawn, 40 mg given, 5 mg wasted: "
        "5 mg unaccounted for."
    ) in page
    assert "December 1, 2026" not in page.split('role="alert"')[1].split("</div>")[0]
    assert "<dt>In stock</dt><dd>495 mg</dd>" in page
    assert "<dt>Received</dt><dd>595 mg</dd>" in page


@pytest.mark.parametrize("role", ["coordinator", "therapist", "patient_user"])
def test_only_clinicians_and_admins_open_the_register(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(REGISTER).status_code == 403


def test_the_register_shows_that_each_lot_is_kept_two_years(client, stock, clinician):
    client.force_login(clinician)

    page = client.get(REGISTER).content.decode()

    day = timezone.localtime(stock.recorded_at, clinician.clinic.zone).date()
    until = substances_rules.kept_until(day)
    assert "kept at least 2 years from its date (21 CFR 1304.04(a))" in page
    assert f"<dt>Kept until at least</dt><dd>{until:%b} {until.day}, {until.year}</dd>" in page


# --- Each lot's lines, a page at a time -------------------------------------------------------


def lot_url(lot=LOT):
    return reverse("substances:lot", args=[lot])


def corrections(stock, clinician, count):
    """`count` lines added to the lot of `stock`: counts of one more milligram each."""
    for number in range(count):
        substances_services.correct_entry(
            actor=actor(clinician), entry=stock, amount_mg=D("1"), note=f"Count {number}."
        )


def test_the_register_shows_the_latest_lines_of_a_lot_and_links_to_all_of_them(
    client, stock, clinician
):
    corrections(stock, clinician, substances_views.LATEST_LINES + 3)
    client.force_login(clinician)

    page = client.get(REGISTER).content.decode()

    assert page.count('<tr id="line-') == substances_views.LATEST_LINES
    assert f'id="line-{stock.external_id}"' not in page  # the oldest line, on the lot's page
    assert f"All {substances_views.LATEST_LINES + 4} lines of lot {LOT}" in page
    assert f'href="{lot_url()}"' in page
    assert "<dt>In stock</dt><dd>508 mg</dd>" in page
    assert reverse("substances:correct") not in page  # lines are corrected on the lot's page


def test_the_lot_page_shows_every_line_newest_first_a_page_at_a_time(client, stock, clinician):
    size = substances_views.LOT_PAGE_LINES
    corrections(stock, clinician, size + 4)
    client.force_login(clinician)

    first = client.get(lot_url()).content.decode()
    older = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', first).group(1)
    second = client.get(older).content.decode()

    shown = re.findall(r'<tr id="line-([0-9a-f-]+)"', first + second)
    assert len(shown) == len(set(shown)) == size + 5
    assert first.count(reverse("substances:correct")) == size
    assert f"<dt>In stock</dt><dd>{500 + size + 4} mg</dd>" in second
    assert f'id="line-{stock.external_id}"' in second  # the receipt, oldest, last
    assert 'rel="next"' not in second
    assert "Newest" in second


def test_the_lot_page_runs_a_fixed_number_of_queries_whatever_the_lot_holds(
    client, stock, clinician
):
    client.force_login(clinician)
    client.get(lot_url())
    with CaptureQueriesContext(connection) as few:
        client.get(lot_url())
    corrections(stock, clinician, substances_views.LOT_PAGE_LINES + 1)

    with CaptureQueriesContext(connection) as many:
        client.get(lot_url())

    assert len(many) == len(few)


def test_a_lot_of_another_clinic_is_not_found(client, clinician, other_clinic):
    receive(UserFactory(role=Role.CLINICIAN, clinic=other_clinic), lot="ELSEWHERE-9")
    client.force_login(clinician)

    assert client.get(lot_url("ELSEWHERE-9")).status_code == 404


def test_showing_a_lot_lists_each_patient_shown_in_the_access_log(
    client, record, stock, clinician, patient
):
    use(record, clinician, "36.2", "36.2")
    client.force_login(clinician)

    client.get(lot_url())

    row = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (row.action, row.actor_id) == (AccessAction.LIST, clinician.pk)


def test_a_lot_numbered_with_a_slash_and_a_space_has_its_page(client, clinician):
    receive(clinician, lot="KET 24/117")
    client.force_login(clinician)

    register = client.get(REGISTER).content.decode()
    response = client.get(lot_url("KET 24/117"))

    assert f'href="{lot_url("KET 24/117")}"' in register
    assert response.status_code == 200
    assert "Lot KET 24/117" in response.content.decode()
