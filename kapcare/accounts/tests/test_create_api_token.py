"""`manage.py create_api_token`: the token alone on stdout, ready to pipe."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kapcare.accounts.models import ApiToken, hash_token


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_prints_only_the_token_on_stdout(coordinator):
    stdout, stderr = run("cora@example.org", "--name", "EHR sync")

    token = stdout.strip()
    assert stdout == token + "\n"
    assert token.startswith(ApiToken.PREFIX)
    assert token not in stderr
    assert "cora@example.org" in stderr


def test_only_the_tokens_hash_is_stored(coordinator):
    stdout, _ = run("cora@example.org", "--name", "EHR sync")

    record = ApiToken.objects.get(user=coordinator)
    assert record.name == "EHR sync"
    assert record.token_hash == hash_token(stdout.strip())
    assert stdout.strip() not in {record.token_hash, record.hint}


def test_printed_token_opens_the_api(client, coordinator):
    stdout, _ = run("CORA@example.org")

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {stdout.strip()}"})

    assert response.status_code == 200
    assert response.json()["email"] == "cora@example.org"


def test_unknown_email_is_an_error(db):
    with pytest.raises(CommandError, match=r"nobody@example\.org"):
        run("nobody@example.org")
    assert not ApiToken.objects.exists()


def test_deactivated_account_is_an_error(coordinator):
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])

    with pytest.raises(CommandError, match="deactivated"):
        run("cora@example.org")
    assert not ApiToken.objects.exists()


def test_blank_name_is_an_error(coordinator):
    with pytest.raises(CommandError, match="name"):
        run("cora@example.org", "--name", "  ")
