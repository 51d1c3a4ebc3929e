"""Password reset is limited per email and per network address, says so plainly, keeps
what was typed, and reveals nothing about which accounts exist."""

import datetime as dt
import itertools
import re

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

RESET = reverse("accounts:password_reset")


def main(response) -> str:
    """The page's own content, without the per-request CSRF token, and with the wait in
    minutes left out (each email's hourly window starts at its own minute)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)
    html = re.sub(r"wait \d+ minutes?", "wait N minutes", html)
    return html[html.index("<main") : html.index("</main>")]


def ask(client, email, address="127.0.0.1"):
    """Ask for a reset link; the email goes out by a background task once the request's
    transaction commits, as a worker would send it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


@pytest.fixture
def distinct_links(monkeypatch):
    """Each link its own, though asked for in one frozen instant: a reset token carries the
    second it was made, and the outbox sends one link once. Moving the whole clock instead
    could cross the rate limit's hourly window, which starts at a moment of its own."""
    made_at, seconds = default_token_generator._now, itertools.count()
    monkeypatch.setattr(
        default_token_generator, "_now", lambda: made_at() + dt.timedelta(seconds=next(seconds))
    )


def test_one_inbox_gets_at_most_three_links_an_hour(client, clinician, distinct_links):
    with time_machine.travel(timezone.now(), tick=False):
        responses = [ask(client, clinician.email, address=f"10.0.0.{n}") for n in range(1, 14)]

    assert len(mail.outbox) == 3
    assert [r.status_code for r in responses[:3]] == [302, 302, 302]
    assert {r.status_code for r in responses[3:]} == {429}


def test_the_refusal_keeps_the_email_and_says_when_to_try_again(client, clinician):
    for _ in range(3):
        ask(client, clinician.email)

    response = ask(client, clinician.email)

    html = response.content.decode()
    assert response.status_code == 429
    assert "Several reset links were asked for this email address" in html
    assert f'value="{clinician.email}"' in html
    assert 0 < int(response["Retry-After"]) <= 3600


def test_the_count_is_by_the_address_as_accounts_store_it(client, clinician):
    for spelling in ("cal@example.org", "CAL@example.org", " Cal@Example.org "):
        ask(client, spelling)

    assert ask(client, "cal@example.org").status_code == 429


def test_the_refusal_is_the_same_for_an_email_without_an_account(client, clinician):
    for _ in range(3):
        ask(client, clinician.email)
        ask(client, "nobody@example.org", address="10.0.0.2")

    known = ask(client, clinician.email)
    unknown = ask(client, "nobody@example.org", address="10.0.0.2")

    assert known.status_code == unknown.status_code == 429
    assert main(known).replace(clinician.email, "EMAIL") == (
        main(unknown).replace("nobody@example.org", "EMAIL")
    )


def test_one_address_cannot_spray_many_inboxes(client, clinic):
    people = [UserFactory(email=f"staff{n}@example.org", clinic=clinic) for n in range(12)]

    statuses = [ask(client, person.email, address="10.5.5.5").status_code for person in people]

    assert statuses[:10] == [302] * 10
    assert statuses[10:] == [429, 429]
    assert len(mail.outbox) == 10
    assert "from your network" in ask(client, "x@example.org", address="10.5.5.5").text


def test_the_limit_lifts_after_the_hour(client, clinician, distinct_links):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(4):
            ask(client, clinician.email)
        traveller.shift(dt.timedelta(hours=1, seconds=1))

        response = ask(client, clinician.email)

    assert response.status_code == 302
    assert len(mail.outbox) == 4
