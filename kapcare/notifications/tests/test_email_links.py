"""Every link in every kind of email is absolute and built from SITE_URL, never from the
address a request happened to arrive at (its Host header, or a development port)."""

import datetime as dt
import io
import re

import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.dosing.tests.test_signing_fixtures import actor
from kapcare.measures import links
from kapcare.messaging.tests.factories import patient_thread
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.notifications.tests.emails import do_the_clinical_work
from kapcare.scopes import Scope
from kapcare.therapists.invitations import add_and_invite_therapist
from tests.factories import PatientFactory, UserFactory, authorize, raise_alert

SITE_URL = "https://kap.example.org:8443"
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def links_in(body: str) -> list[str]:
    return URL.findall(body)


def relative_links_in(body: str) -> list[str]:
    """Paths standing alone on a line or after a space, as a relative link would."""
    return re.findall(r"(?:^|\s)(/[A-Za-z0-9_-]+/\S*)", URL.sub("", body))


def test_every_email_kind_links_absolutely_from_site_url(
    client, settings, clinic, coordinator, clinician, clinic_admin,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.SITE_URL = SITE_URL + "/"  # a trailing slash is not doubled
    account = UserFactory(email="zq@example.org", role=Role.PATIENT, clinic=clinic)
    patient = PatientFactory(clinic=clinic, user=account, email="zq@example.org")
    therapist = UserFactory(email="theo@example.org", role=Role.THERAPIST, clinic=None)
    next_dose = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0)
    with django_capture_on_commit_callbacks(execute=True):
        # The pages, as a browser at another address reaches them.
        client.force_login(clinic_admin)
        client.post(
            reverse("people:list"),
            {"email": "new.nurse@example.org", "full_name": "New Nurse", "role": "clinician"},
            HTTP_HOST="testserver",
        )
        client.force_login(coordinator)
        client.post(
            reverse("measures:send_link", args=[patient.external_id]), {"instrument": "phq9"}
        )
        client.logout()
        client.post(reverse("accounts:password_reset"), {"email": clinician.email})
        # The services the other pages call.
        add_and_invite_therapist(
            actor=actor(coordinator), clinic=clinic, email="iris@example.org", full_name="Iris"
        )
        authorize(patient, therapist, scopes=list(Scope))
        links.send_questionnaire_link(actor=actor(coordinator), patient=patient, instrument="gad7")
        do_the_clinical_work(
            patient=patient,
            clinician=clinician,
            coordinator=coordinator,
            therapist=therapist,
            next_dose=next_dose,
        )
    with time_machine.travel(next_dose - dt.timedelta(hours=24), tick=False):
        call_command("send_due_notifications", stdout=io.StringIO())

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == set(NotificationKind), set(NotificationKind) - kinds
    reset = [m for m in mail.outbox if m.to == [clinician.email] and "reset" in m.body]
    assert len(reset) == 1
    for message in mail.outbox:
        found = links_in(message.body)
        assert found, message.body
        for link in found:
            assert link.startswith(SITE_URL + "/"), (message.subject, link)
            assert "//" not in link.removeprefix("https://"), link
        assert not relative_links_in(message.body), (message.subject, message.body)


def test_a_safety_alert_email_links_to_the_alert_itself(
    settings, clinic, clinician, patient, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    clinic.clinical_inbox = "inbox@example.org"
    clinic.save(update_fields=["clinical_inbox"])

    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(clinician, patient)

    [message] = [m for m in mail.outbox if m.to == ["inbox@example.org"]]
    assert links_in(message.body) == [
        SITE_URL + reverse("measures:alert", args=[alert.external_id])
    ]


def test_a_message_email_follows_site_url_not_a_development_port(
    settings, patient, coordinator, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:18123"

    with django_capture_on_commit_callbacks(execute=True):
        thread = patient_thread(patient, coordinator)

    [message] = mail.outbox
    assert links_in(message.body) == [
        "http://127.0.0.1:18123" + reverse("messaging:thread", args=[thread.external_id])
    ]


def test_a_password_reset_link_ignores_the_host_the_request_named(
    client, settings, clinician, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]

    with django_capture_on_commit_callbacks(execute=True):  # the email goes out by a task
        client.post(
            reverse("accounts:password_reset"),
            {"email": clinician.email},
            HTTP_HOST="evil.example",
        )

    [message] = mail.outbox
    [link] = links_in(message.body)
    assert link.startswith(SITE_URL + "/accounts/password-reset/")


def test_the_deploy_check_refuses_a_missing_site_url(settings):
    from kapcare.links import check_site_url

    settings.SITE_URL = ""
    assert [error.id for error in check_site_url(None)] == ["kapcare.E002"]
    settings.SITE_URL = SITE_URL
    assert check_site_url(None) == []
