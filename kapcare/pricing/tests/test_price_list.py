"""The admin's price list page: dosing prices by route, other items, one line edited."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.clinics.models import PriceKind, PriceListItem
from kapcare.pricing import cost

PRICE_LIST = reverse("cost:price_list")


def dosing_data(clinic, **changes) -> dict:
    """The dosing form as stored, with `changes` (amount_iv="500", offered_im=None...)."""
    data = {"section": "dosing"}
    for item in PriceListItem.objects.filter(clinic=clinic, kind=PriceKind.DOSING_SESSION):
        data[f"amount_{item.route}"] = str(item.amount)
        if item.is_active:
            data[f"offered_{item.route}"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def iv_price(clinic) -> Decimal:
    return PriceListItem.objects.get(clinic=clinic, route="iv").amount


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    cost.ensure_default_price_list(clinic_admin.clinic)
    return client


def test_the_page_lists_a_dosing_price_for_each_route(admin_client):
    response = admin_client.get(PRICE_LIST)

    html = response.content.decode()
    for name in ("intravenous", "intramuscular", "sublingual", "intranasal"):
        assert f"Dosing session ({name})" in html
    assert 'value="475.00"' in html


def test_the_admin_home_links_to_the_price_list(admin_client):
    response = admin_client.get(reverse("admin_home"))

    assert PRICE_LIST in response.content.decode()


@pytest.mark.parametrize("role", ["coordinator", "clinician", "patient_user", "therapist"])
def test_only_the_admin_may_open_the_price_list(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(PRICE_LIST).status_code == 403


def test_the_admin_changes_a_dosing_price(admin_client, clinic):
    response = admin_client.post(PRICE_LIST, dosing_data(clinic, amount_iv="$1,250.50"))

    assert response.status_code == 302
    assert iv_price(clinic) == Decimal("1250.50")


def test_a_changed_price_is_logged(admin_client, clinic, clinic_admin):
    admin_client.post(PRICE_LIST, dosing_data(clinic, amount_iv="500"))

    entry = AccessLogEntry.objects.get(object_type="pricelistitem")
    assert (entry.action, entry.actor_id, entry.clinic_id) == (
        AccessAction.UPDATE,
        clinic_admin.pk,
        clinic.pk,
    )


def test_unticking_offered_withdraws_a_route(admin_client, clinic):
    admin_client.post(PRICE_LIST, dosing_data(clinic, offered_intranasal=None))

    assert not PriceListItem.objects.get(clinic=clinic, route="intranasal").is_active


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "A price cannot be negative"),
        ("475.505", "at most 2 decimals"),
        ("four hundred", "Enter the price as a number of dollars"),
        ("", "Enter the price in dollars"),
        ("1000000", "below $1,000,000"),
    ],
)
def test_a_bad_amount_is_refused_at_its_field_and_kept(admin_client, clinic, typed, message):
    response = admin_client.post(PRICE_LIST, dosing_data(clinic, amount_iv=typed))

    assert response.status_code == 200
    form = response.context["dosing_form"]
    assert message in " ".join(form.errors["amount_iv"])
    assert form["amount_iv"].value() == typed
    assert iv_price(clinic) == Decimal("475.00")


def test_the_admin_adds_another_item(admin_client, clinic):
    response = admin_client.post(
        PRICE_LIST,
        {"section": "add", "new-name": "Consultation", "new-amount": "150", "new-is_active": "on"},
    )

    assert response.status_code == 302
    item = PriceListItem.objects.get(clinic=clinic, kind=PriceKind.OTHER)
    assert (item.name, item.amount, item.is_active) == ("Consultation", Decimal("150.00"), True)


def test_an_item_without_a_name_is_refused_and_the_dosing_prices_are_untouched(
    admin_client, clinic
):
    response = admin_client.post(PRICE_LIST, {"section": "add", "new-amount": "150"})

    assert response.context["add_form"].errors["name"] == ["Name the item, e.g. “Consultation”."]
    assert not response.context["dosing_form"].is_bound
    assert not PriceListItem.objects.filter(clinic=clinic, kind=PriceKind.OTHER).exists()


def test_the_admin_edits_one_line(admin_client, clinic):
    item = PriceListItem.objects.create(
        clinic=clinic, kind=PriceKind.OTHER, name="Booster", amount="400.00"
    )

    response = admin_client.post(
        reverse("cost:price_edit", args=[item.external_id]),
        {"name": "Booster dose", "amount": "425.00", "is_active": "on"},
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.amount) == ("Booster dose", Decimal("425.00"))


def test_a_dosing_lines_name_follows_its_route(admin_client, clinic):
    item = PriceListItem.objects.get(clinic=clinic, route="iv")

    admin_client.post(
        reverse("cost:price_edit", args=[item.external_id]),
        {"name": "Cheap IV", "amount": "480.00", "is_active": "on"},
    )

    item.refresh_from_db()
    assert (item.name, item.amount) == ("Dosing session (intravenous)", Decimal("480.00"))


def test_another_clinics_price_answers_404(client, outsider, clinic):
    cost.ensure_default_price_list(clinic)
    item = PriceListItem.objects.filter(clinic=clinic).first()
    outsider.role = "admin"
    outsider.save(update_fields=["role"])
    client.force_login(outsider)

    response = client.get(reverse("cost:price_edit", args=[item.external_id]))

    assert response.status_code == 404


def test_the_page_needs_the_same_queries_with_more_items(
    admin_client, clinic, django_assert_max_num_queries
):
    admin_client.get(PRICE_LIST)  # warm up the session and the default prices
    with CaptureQueriesContext(connection) as few:
        admin_client.get(PRICE_LIST)
    for n in range(5):
        PriceListItem.objects.create(
            clinic=clinic, kind=PriceKind.OTHER, name=f"Item {n}", amount="10.00"
        )

    with django_assert_max_num_queries(len(few)):
        admin_client.get(PRICE_LIST)
