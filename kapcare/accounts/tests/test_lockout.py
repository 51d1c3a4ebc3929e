"""Sign-in lockout through the real login page: by the email the form posts, per account
and address, per account across addresses, and an address slowed without locking others."""

import datetime as dt

import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
WRONG = "not the password"


def sign_in(client, email, password=PASSWORD, address="127.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_failures_are_recorded_under_the_email_lower_cased(client, coordinator):
    sign_in(client, "  Cora@Example.ORG ", WRONG)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [coordinator.email]


def test_wrong_passwords_spread_over_addresses_lock_the_account(client, coordinator):
    addresses = [f"127.0.0.{n}" for n in range(2, 10)]
    for attempt in range(16):
        sign_in(client, coordinator.email, WRONG, address=addresses[attempt % len(addresses)])

    response = sign_in(client, coordinator.email, address="127.0.0.10")

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_a_few_failures_from_several_addresses_do_not_lock_the_account(client, coordinator):
    for n in range(2, 6):
        sign_in(client, coordinator.email, WRONG, address=f"127.0.0.{n}")

    assert sign_in(client, coordinator.email, address="127.0.0.10").status_code == 302


def test_five_wrong_passwords_lock_the_account_from_that_address(client, coordinator):
    for _ in range(5):
        sign_in(client, coordinator.email, WRONG, address="10.1.1.1")

    assert sign_in(client, coordinator.email, address="10.1.1.1").status_code == 429
    assert not is_signed_in(client)


def test_typos_for_one_account_do_not_lock_another_account_behind_the_same_address(
    client, coordinator, clinician
):
    for _ in range(5):
        sign_in(client, coordinator.email, WRONG, address="10.1.1.1")

    response = sign_in(client, clinician.email, address="10.1.1.1")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_clinic_behind_one_address_can_keep_signing_in_after_many_typos(client, clinic):
    """Twenty staff behind one NAT arriving over a morning, each with four typos before
    the right password."""
    staff = [UserFactory(email=f"nurse{n}@example.org", clinic=clinic) for n in range(20)]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for person in staff:
            for _ in range(4):
                sign_in(client, person.email, WRONG, address="10.9.9.9")
            client.logout()

            assert sign_in(client, person.email, address="10.9.9.9").status_code == 302
            traveller.shift(dt.timedelta(minutes=1))


def test_the_lockout_message_is_the_same_whether_the_account_exists_or_not(client, coordinator):
    for _ in range(5):
        sign_in(client, coordinator.email, WRONG)
        sign_in(client, "nobody@example.org", WRONG)

    known = sign_in(client, coordinator.email)
    unknown = sign_in(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 429
    assert main(known) == main(unknown)
    assert "Too many wrong passwords were tried with this email address" in main(known)
    assert "paused for 15 minutes" in main(known)


def test_an_address_guessing_across_many_accounts_is_slowed(client, clinic):
    """Password spraying from one address: past the per-address rate, every attempt from
    it waits, including a right password, until the minute is over."""
    accounts = [UserFactory(email=f"staff{n}@example.org", clinic=clinic) for n in range(30)]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for person in accounts:
            sign_in(client, person.email, WRONG, address="10.6.6.6")

        response = sign_in(client, accounts[0].email, address="10.6.6.6")

        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many sign-in attempts from your network" in html
        assert f'value="{accounts[0].email}"' in html
        assert int(response["Retry-After"]) <= 60
        assert not is_signed_in(client)

        traveller.shift(dt.timedelta(seconds=61))
        assert sign_in(client, accounts[0].email, address="10.6.6.6").status_code == 302
