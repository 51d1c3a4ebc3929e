"""The app shell (templates/_app_shell.html, kapcare/navigation.py): the clinic's name, the
role's menu grouped, the patient search on staff pages only."""

import pytest
from django.urls import reverse

from kapcare.navigation import group_navigation


def test_items_are_grouped_in_first_seen_order_and_a_lone_item_stays_a_link():
    items = [
        ("Home", "/desk/"),
        ("Patients", "/patients/"),
        ("Safety alerts", "/alerts/"),
        ("Schedule", "/schedule/"),
        ("Something new", "/new/"),
        ("Profile", "/profile/"),
    ]

    menu, account = group_navigation(items, "/alerts/")

    assert [entry.label for entry in menu] == ["Home", "Patients", "Schedule", "Something new"]
    patients = menu[1]
    assert [child.label for child in patients.children] == ["Patients", "Safety alerts"]
    assert patients.is_current
    assert patients.children[1].is_current
    assert not menu[2].is_group
    assert menu[2].url == "/schedule/"
    assert [entry.label for entry in account] == ["Profile"]


def _signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_admin_sees_a_few_menus_not_every_link_in_a_row(client, clinic_admin):
    response = _signed_in(client, clinic_admin).get(reverse("admin_home"))

    menu = response.context["nav_menu"]
    assert len(menu) <= 7 < len(response.context["nav_items"])
    assert clinic_admin.clinic.name in response.content.decode()


@pytest.mark.django_db
def test_staff_pages_carry_the_patient_search_and_patients_do_not(
    client, coordinator, patient_user
):
    html = _signed_in(client, coordinator).get(reverse("coordinator_home")).content.decode()
    assert 'id="global-patient-search"' in html
    assert 'aria-keyshortcuts="/"' in html

    client.logout()
    html = _signed_in(client, patient_user).get(reverse("portal:home")).content.decode()
    assert 'id="global-patient-search"' not in html


@pytest.mark.django_db
def test_the_global_search_finds_a_patient_by_record_number(client, coordinator, patient):
    response = _signed_in(client, coordinator).post(
        reverse("patients:list"), {"query": str(patient.external_id)}
    )

    assert list(response.context["patients"]) == [patient]
