"""The ledger's pages: the front desk records a payment (a problem shown at its field,
what was typed kept), sells and refunds a package, voids a charge with their password;
a clinician reads the charges but records nothing; the patient sees their own payments in
the portal; the admin keeps the package products; queries flat as the ledger grows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import ChargeVoid, PackageProduct, PackageSale, Payment
from kapcare.billing.ledger.tests.factories import actor, dose_done, pay, post, product
from tests.factories import open_episode

D = Decimal
PASSWORD = "correct horse battery staple"


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician, model="standalone")


def ledger_url(patient) -> str:
    return reverse("billing:patient_ledger", args=[patient.external_id])


def test_the_front_desk_records_a_payment_and_sees_the_balance(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        ledger_url(patient),
        {"form": "payment", "amount": "475.00", "method": "cash"},
        follow=True,
    )

    assert response.status_code == 200
    assert Payment.objects.get().amount == D("475.00")
    html = response.content.decode()
    assert "Payment of $475.00 recorded." in html
    assert "(in credit)" in html


def test_a_payment_problem_is_shown_at_its_field_and_what_was_typed_is_kept(
    client, coordinator, patient
):
    client.force_login(coordinator)

    response = client.post(
        ledger_url(patient),
        {"form": "payment", "amount": "47x.00", "method": "check", "reference": "", "note": "June"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter an amount in dollars and cents" in html
    assert 'value="47x.00"' in html
    assert 'value="June"' in html
    assert not Payment.objects.exists()


def test_a_check_without_its_number_is_refused_at_the_reference(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        ledger_url(patient), {"form": "payment", "amount": "475", "method": "check"}
    )

    assert response.status_code == 422
    assert "Enter the check number" in response.content.decode()


def test_the_front_desk_sells_a_package(client, clinic, coordinator, patient):
    offered = product(clinic)
    client.force_login(coordinator)

    client.post(ledger_url(patient), {"form": "package", "product": str(offered.external_id)})

    assert PackageSale.objects.get().price == D("2400.00")
    assert services.ledger_of(patient).balance == D("2400.00")


def test_voiding_a_charge_asks_for_the_password(client, episode, clinician, coordinator, patient):
    coordinator.set_password(PASSWORD)
    coordinator.save(update_fields=["password"])
    charge = post(dose_done(episode, clinician))[0]
    client.force_login(coordinator)
    form = {"form": "void", "charge": str(charge.external_id), "reason": "Entered twice"}

    wrong = client.post(ledger_url(patient), form | {"reauthentication": "nope"})
    right = client.post(ledger_url(patient), form | {"reauthentication": PASSWORD})

    assert wrong.status_code == 422
    assert "That password is not right." in wrong.content.decode()
    assert right.status_code == 302
    assert ChargeVoid.objects.get().reason == "Entered twice"
    assert services.ledger_of(patient).balance == D("0.00")


def test_a_clinician_reads_the_charges_but_records_nothing(client, episode, clinician, patient):
    post(dose_done(episode, clinician))
    client.force_login(clinician)

    page = client.get(ledger_url(patient))
    posted = client.post(ledger_url(patient), {"form": "payment", "amount": "5", "method": "cash"})

    assert page.status_code == 200
    assert "96365" in page.content.decode()
    assert 'name="form" value="payment"' not in page.content.decode()
    assert posted.status_code == 403
    assert not Payment.objects.exists()


def test_the_patient_sees_their_own_payments_in_the_portal(
    client, patient_user, patient, coordinator
):
    pay(patient, coordinator, amount="100.00")
    client.force_login(patient_user)

    response = client.get(reverse("billing:portal_payments"))

    assert response.status_code == 200
    assert "Payment (Card (terminal))" in response.content.decode()


def test_the_ledger_shows_a_course_billed_400_or_more_over_its_estimate(
    client, episode, clinician, coordinator, patient
):
    from kapcare.billing import services as billing

    billing.issue_estimate(
        actor=actor(coordinator), episode=episode, reason="Requested", requested=True
    )
    for days_ago in range(1, 9):  # 2 more doses than the 6 estimated: $950 over
        post(dose_done(episode, clinician, days_ago=days_ago))
    client.force_login(coordinator)

    html = client.get(ledger_url(patient)).content.decode()

    assert "Over the estimate by $950.00" in html


def test_the_admin_adds_a_package_and_takes_it_off_sale(client, clinic_admin):
    client.force_login(clinic_admin)
    url = reverse("billing:package_products")

    bad = client.post(url, {"form": "add", "name": "Induction", "sessions": "0", "price": "x"})
    client.post(url, {"form": "add", "name": "Induction", "sessions": "6", "price": "2400"})
    added = PackageProduct.objects.get()
    client.post(url, {"form": "toggle", "product": str(added.external_id)})

    assert bad.status_code == 422
    assert 'value="Induction"' in bad.content.decode()
    added.refresh_from_db()
    assert (added.sessions, added.price, added.is_active) == (6, D("2400.00"), False)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(clinic, episode, clinician, coordinator, patient, doses, first_day=1):
    sale = services.sell_package(
        actor=actor(coordinator), patient=patient, product=product(clinic, sessions=doses)
    )
    pay(patient, coordinator, amount="100.00", package_id=str(sale.external_id))
    for days_ago in range(first_day, first_day + doses):
        post(dose_done(episode, clinician, days_ago=days_ago))
        pay(patient, coordinator, amount="10.00")


def test_the_ledger_pages_queries_do_not_grow_with_the_lines(
    client, clinic, episode, clinician, coordinator, patient, patient_user
):
    grow(clinic, episode, clinician, coordinator, patient, 1)
    client.force_login(coordinator)
    few = queries_for(client, ledger_url(patient))
    client.force_login(patient_user)
    few_portal = queries_for(client, reverse("billing:portal_payments"))

    grow(clinic, episode, clinician, coordinator, patient, 4, first_day=2)
    client.force_login(coordinator)
    many = queries_for(client, ledger_url(patient))
    client.force_login(patient_user)
    many_portal = queries_for(client, reverse("billing:portal_payments"))

    assert many == few
    assert many_portal == few_portal
