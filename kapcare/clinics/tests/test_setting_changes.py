"""Clinic settings change only through `services.change_settings`, which keeps who changed
what from what to what, and when, in the same transaction; the settings page shows it."""

from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from kapcare.clinics import services
from kapcare.clinics.models import Clinic, ClinicSettingChange
from kapcare.clinics.tests.test_settings_page import settings_data
from tests.factories import UserFactory


def test_saving_the_page_records_each_changed_setting_with_old_and_new(
    client, clinic_admin, clinic
):
    client.force_login(clinic_admin)
    data = settings_data(clinic, vitals_systolic_high=170, max_total_mg_iv=90)

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302
    [change] = ClinicSettingChange.objects.all()
    assert (change.clinic_id, change.changed_by_id) == (clinic.pk, clinic_admin.pk)
    assert change.changed_by_name == clinic_admin.full_name
    assert change.changed_at is not None
    assert sorted(change.changes, key=lambda item: item["field"]) == [
        {
            "field": "max_total_mg_iv",
            "label": "IV: most mg in total without an override",
            "old": "100",
            "new": "90",
        },
        {
            "field": "vitals_systolic_high",
            "label": "Alert: systolic at or above (mmHg)",
            "old": "180",
            "new": "170",
        },
    ]
    clinic.refresh_from_db()
    assert (clinic.vitals_systolic_high, clinic.max_total_mg_iv) == (170, 90)


def test_saving_without_a_change_records_nothing(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    client.post(reverse("clinics:settings"), settings_data(clinic))

    assert not ClinicSettingChange.objects.exists()


def test_the_settings_page_shows_the_history(client, clinic_admin, clinic):
    services.change_settings(
        acting_user=clinic_admin, clinic=clinic, values={"max_mg_per_kg_iv": "0.75"}
    )
    client.force_login(clinic_admin)

    page = client.get(reverse("clinics:settings")).content.decode()

    assert "<title>Clinic settings" in page
    assert "History of changes" not in page[: page.index("</title>")]
    assert page.count("History of changes") == 1
    assert "History of changes" in page[page.index("<main") :]
    assert "max mg per kg iv: 1.00 → 0.75" in page
    assert clinic_admin.full_name in page


def test_another_clinics_history_is_not_shown(client, clinic_admin, other_clinic):
    outsider_admin = UserFactory(role="admin", clinic=other_clinic, full_name="Olga Elsewhere")
    services.change_settings(
        acting_user=outsider_admin, clinic=other_clinic, values={"vitals_spo2_low": 90}
    )
    client.force_login(clinic_admin)

    page = client.get(reverse("clinics:settings")).content.decode()

    assert "Olga Elsewhere" not in page


def test_the_change_is_undone_when_its_history_cannot_be_written(clinic_admin, clinic):
    with (
        mock.patch.object(ClinicSettingChange.objects, "create", side_effect=DatabaseError),
        pytest.raises(DatabaseError),
    ):
        services.change_settings(
            acting_user=clinic_admin, clinic=clinic, values={"vitals_spo2_low": 88}
        )

    assert Clinic.objects.get(pk=clinic.pk).vitals_spo2_low == 92


def test_only_settings_go_through_the_service(clinic_admin, clinic):
    with pytest.raises(ValueError, match="external_id"):
        services.change_settings(
            acting_user=clinic_admin, clinic=clinic, values={"external_id": "x"}
        )


def test_a_change_in_the_django_admin_is_in_the_history_too(client, clinic):
    superuser = UserFactory(role="admin", clinic=clinic, is_staff=True, is_superuser=True)
    client.force_login(superuser)
    url = reverse("admin:clinics_clinic_change", args=[clinic.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(vitals_heart_rate_high=120, summary_shows_exact_dose="")
    data = {name: value for name, value in data.items() if value is not False}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = ClinicSettingChange.objects.all()
    assert change.changed_by_id == superuser.pk
    assert change.changes == [
        {
            "field": "vitals_heart_rate_high",
            "label": "vitals heart rate high",
            "old": "130",
            "new": "120",
        }
    ]


def test_the_history_is_never_changed_or_deleted(clinic_admin, clinic):
    change = services.change_settings(
        acting_user=clinic_admin, clinic=clinic, values={"vitals_spo2_low": 90}
    )

    for sql in (
        "UPDATE clinics_clinicsettingchange SET changes = '[]'",
        "DELETE FROM clinics_clinicsettingchange",
    ):
        with (
            pytest.raises(DatabaseError, match="never"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(PermissionError):
        change.delete()
    assert ClinicSettingChange.objects.get().changes[0]["new"] == "90"
