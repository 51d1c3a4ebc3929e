from django.urls import reverse


def test_admin_changes_the_clinic_time_zone(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = {
        "name": clinic.name,
        "time_zone": "America/Denver",
        "phone": "",
        "email": "",
        "clinical_inbox": "",
    }

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.time_zone == "America/Denver"


def test_unknown_time_zone_is_refused_at_the_field(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = {
        "name": "Renamed",
        "time_zone": "Mars/Olympus",
        "phone": "",
        "email": "",
        "clinical_inbox": "x",
    }

    response = client.post(reverse("clinics:settings"), data)

    form = response.context["form"]
    assert "time_zone" in form.errors
    assert "clinical_inbox" in form.errors
    assert 'value="Renamed"' in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.name == "Music City Ketamine"


def test_admin_edits_only_their_own_clinic(client, clinic_admin, other_clinic):
    client.force_login(clinic_admin)
    data = {"name": "Hijacked", "time_zone": "UTC", "phone": "", "email": "", "clinical_inbox": ""}

    client.post(reverse("clinics:settings"), data)

    other_clinic.refresh_from_db()
    assert other_clinic.name == "Cumberland Infusions"
