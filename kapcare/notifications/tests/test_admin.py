"""The outbox in the admin site: read-only, filterable by delivery, without bodies."""

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.notifications import services
from kapcare.notifications.models import Notification, NotificationKind
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, role=Role.ADMIN)


def row(key, **fields):
    return Notification.objects.create(
        key=key,
        kind=NotificationKind.INVITATION,
        to_email=f"{key}@example.org",
        subject="Your account",
        body="https://kap.example.org/secret-link/",
        **fields,
    )


def test_the_outbox_lists_rows_given_up_on(client, superuser):
    row("stuck", attempts=services.MAX_ATTEMPTS, last_error="SMTPRecipientsRefused")
    row("waiting", attempts=1)
    client.force_login(superuser)

    page = client.get(
        reverse("admin:notifications_notification_changelist"), {"delivery": "given_up"}
    ).content.decode()

    assert "stuck@example.org" in page
    assert "waiting@example.org" not in page


def test_a_row_is_shown_without_its_body_and_cannot_be_changed(client, superuser):
    notification = row("invite")
    client.force_login(superuser)
    url = reverse("admin:notifications_notification_change", args=[notification.pk])

    page = client.get(url).content.decode()
    client.post(url, {"to_email": "else@example.org"})

    assert "invite@example.org" in page
    assert "secret-link" not in page
    notification.refresh_from_db()
    assert notification.to_email == "invite@example.org"
