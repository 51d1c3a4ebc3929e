"""API tokens on the profile page: made and shown once, listed, revoked by their owner."""

from django.urls import reverse

from kapcare.accounts.models import ApiToken, hash_token
from tests.factories import UserFactory

PROFILE = reverse("accounts:profile")
CREATE = reverse("accounts:create_token")


def revoke_url(record):
    return reverse("accounts:revoke_token", args=[record.external_id])


def test_profile_keeps_the_account_facts_and_offers_tokens(client, coordinator):
    client.force_login(coordinator)

    response = client.get(PROFILE)

    assert response.status_code == 200
    assert "cora@example.org" in response.text
    assert "Music City Ketamine" in response.text
    assert "You have no API tokens." in response.text
    assert f'action="{CREATE}"' in response.text


def test_making_a_token_shows_it_once_and_stores_only_its_hash(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE, {"name": "EHR sync"})

    assert response.status_code == 200
    token = response.context["new_token"]
    record = ApiToken.objects.get(user=coordinator)
    assert (record.name, record.token_hash) == ("EHR sync", hash_token(token))
    assert token in response.text
    assert "no-store" in response["Cache-Control"]
    assert token not in client.get(PROFILE).text
    assert token not in str(dict(client.session))


def test_token_made_on_the_profile_page_opens_the_api(client, patient_user, patient):
    client.force_login(patient_user)
    token = client.post(CREATE, {"name": "My app"}).context["new_token"]
    client.logout()

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.json()["email"] == "pat@example.org"


def test_token_needs_a_name(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE, {"name": "   "})

    assert response.status_code == 200
    assert response.context["token_form"].errors["name"]
    assert response.context["new_token"] is None
    assert not ApiToken.objects.exists()


def test_profile_lists_the_users_tokens_with_their_state(client, coordinator):
    live, _ = ApiToken.issue(coordinator, "EHR sync")
    revoked, _ = ApiToken.issue(coordinator, "Old laptop")
    revoked.revoke()
    client.force_login(coordinator)

    response = client.get(PROFILE)

    assert "EHR sync" in response.text
    assert f"{live.hint}…" in response.text
    assert "Old laptop" in response.text
    assert "Revoked" in response.text
    assert revoke_url(live) in response.text
    assert revoke_url(revoked) not in response.text


def test_profile_lists_no_one_elses_tokens(client, coordinator, clinician):
    ApiToken.issue(clinician, "Cal script")
    client.force_login(coordinator)

    response = client.get(PROFILE)

    assert "Cal script" not in response.text
    assert list(response.context["tokens"]) == []


def test_owner_revokes_a_token_and_it_stops_working(client, coordinator):
    record, token = ApiToken.issue(coordinator, "EHR sync")
    client.force_login(coordinator)

    response = client.post(revoke_url(record))

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    record.refresh_from_db()
    assert record.is_revoked
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, coordinator, outsider):
    record, _ = ApiToken.issue(outsider, "Otto script")
    client.force_login(coordinator)

    response = client.post(revoke_url(record))

    assert response.status_code == 404
    record.refresh_from_db()
    assert not record.is_revoked


def test_revoking_needs_a_post(client, coordinator):
    record, _ = ApiToken.issue(coordinator, "EHR sync")
    client.force_login(coordinator)

    response = client.get(revoke_url(record))

    assert response.status_code == 405
    record.refresh_from_db()
    assert not record.is_revoked


def test_anonymous_visitor_cannot_make_a_token(client, db):
    response = client.post(CREATE, {"name": "Sneaky"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not ApiToken.objects.exists()


def test_deactivated_user_is_not_given_a_token(client, db):
    user = UserFactory(email="gone@example.org")
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    client.post(CREATE, {"name": "Too late"})

    assert not ApiToken.objects.exists()
