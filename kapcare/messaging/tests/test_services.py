"""Who may write where, unread counts, the emails to the other side, the access log, and
messages that the database keeps unchanged."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.messaging import services
from kapcare.messaging.models import Message, Thread, ThreadKind
from kapcare.messaging.tests.conftest import revoke
from kapcare.messaging.tests.factories import (
    actor,
    patient_thread,
    reply,
    therapist_thread,
)
from kapcare.refusals import Refused
from tests.factories import PatientFactory, UserFactory


def start(by, patient, kind=ThreadKind.PATIENT, therapist=None, subject="Hello", body="Hi."):
    return services.start_thread(
        actor=actor(by),
        patient=patient,
        kind=kind,
        therapist=therapist,
        subject=subject,
        body=body,
    )


# --- Who may write where -----------------------------------------------------------------


def test_staff_start_a_thread_with_the_patient_with_its_first_message(coordinator, patient):
    thread = patient_thread(patient, coordinator, subject="Your visit", body="See you Monday.")

    assert thread.kind == ThreadKind.PATIENT
    assert thread.clinic_id == patient.clinic_id
    assert [m.body for m in thread.messages.all()] == ["See you Monday."]


def test_staff_start_a_thread_with_an_authorised_therapist(
    clinician, patient, therapist, authorisation
):
    thread = therapist_thread(patient, therapist, by=clinician)

    assert thread.therapist_id == therapist.pk
    assert thread.created_by_id == clinician.pk


def test_staff_cannot_start_a_thread_with_a_therapist_the_patient_never_authorised(
    clinician, patient, therapist
):
    with pytest.raises(Refused) as refused:
        therapist_thread(patient, therapist, by=clinician)

    assert "no longer holds a live sharing authorisation" in refused.value.problems["therapist"]
    assert not Thread.objects.exists()


def test_staff_cannot_start_a_therapist_thread_after_revocation(
    clinician, patient, patient_user, therapist, authorisation
):
    revoke(authorisation, patient_user)

    with pytest.raises(Refused) as refused:
        therapist_thread(patient, therapist, by=clinician)

    assert "Theo Therapist" in refused.value.problems["therapist"]


def test_staff_cannot_post_in_a_therapist_thread_once_revoked_but_the_thread_stays(
    clinician, patient, patient_user, therapist, authorisation
):
    thread = therapist_thread(patient, therapist, by=clinician)
    revoke(authorisation, patient_user)

    with pytest.raises(Refused) as refused:
        reply(thread, clinician, "One more thing")

    assert "stays in the record" in refused.value.problems["body"]
    assert thread.messages.count() == 1


def test_therapist_posts_in_their_own_thread_while_authorised(
    clinician, patient, therapist, authorisation
):
    thread = therapist_thread(patient, therapist, by=clinician)

    reply(thread, therapist, "Integration went well.")

    assert thread.messages.filter(author=therapist).count() == 1


def test_therapist_cannot_post_once_the_authorisation_expired(
    clinician, patient, therapist, authorisation
):
    thread = therapist_thread(patient, therapist, by=clinician)

    expired = time_machine.travel(authorisation.expires_at + dt.timedelta(minutes=1))
    with expired, pytest.raises(Refused):
        reply(thread, therapist)


def test_therapist_cannot_post_in_another_therapists_thread(
    clinician, patient, therapist, authorisation, colleague, colleague_authorisation
):
    thread = therapist_thread(patient, colleague, by=clinician)

    with pytest.raises(Refused):
        reply(thread, therapist)


def test_therapist_cannot_start_a_thread_without_an_authorisation(patient, therapist):
    with pytest.raises(Refused):
        therapist_thread(patient, therapist)


def test_therapist_cannot_write_to_the_patient(patient, therapist, authorisation):
    with pytest.raises(Refused):
        start(therapist, patient, kind=ThreadKind.PATIENT)


def test_patient_cannot_post_in_a_clinic_therapist_thread(
    clinician, patient, patient_user, therapist, authorisation
):
    thread = therapist_thread(patient, therapist, by=clinician)

    with pytest.raises(Refused):
        reply(thread, patient_user)


def test_patient_cannot_start_a_thread_with_a_therapist(
    patient, patient_user, therapist, authorisation
):
    with pytest.raises(Refused):
        start(patient_user, patient, kind=ThreadKind.THERAPIST, therapist=therapist)


def test_patient_writes_only_about_themselves(patient_user, other_patient):
    with pytest.raises(Refused):
        start(patient_user, other_patient)


def test_staff_of_another_clinic_cannot_write_about_the_patient(outsider, patient):
    with pytest.raises(Refused):
        start(outsider, patient)


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Hello", "   ", "body"),
        ("Hello", "x" * (services.MAX_BODY + 1), "body"),
        ("", "Hi.", "subject"),
        ("s" * 201, "Hi.", "subject"),
    ],
)
def test_a_message_needs_a_body_and_a_short_subject(coordinator, patient, subject, body, field):
    with pytest.raises(Refused) as refused:
        start(coordinator, patient, subject=subject, body=body)

    assert field in refused.value.problems


def test_a_message_of_exactly_5000_characters_is_accepted(coordinator, patient):
    thread = start(coordinator, patient, body="x" * services.MAX_BODY)

    assert len(thread.messages.get().body) == 5000


# --- Unread ------------------------------------------------------------------------------


def test_unread_counts_go_up_for_the_recipient_and_down_after_reading(
    coordinator, patient, patient_user
):
    thread = patient_thread(patient, coordinator)
    reply(thread, coordinator, "And another thing.")

    assert services.unread_counts(patient_user).by_thread == {thread.pk: 2}
    assert services.unread_counts(coordinator).total == 0

    services.read_thread(actor=actor(patient_user), thread=thread)

    assert services.unread_counts(patient_user).total == 0


def test_a_reply_is_unread_to_the_other_side_only(coordinator, clinician, patient, patient_user):
    thread = patient_thread(patient, coordinator)
    services.mark_read(patient_user, thread)
    reply(thread, patient_user, "Thank you.")

    assert services.unread_counts(patient_user).total == 0
    assert services.unread_counts(coordinator).total == 1
    # The clinic is one side: a colleague's message is not unread to the clinician.
    assert services.unread_counts(clinician).total == 1


def test_a_message_the_clinic_answered_is_no_longer_unread_to_any_staff_member(
    coordinator, clinician, patient, patient_user
):
    thread = patient_thread(patient, patient_user, body="Coffee before my session?")
    assert services.unread_counts(clinician).total == 1

    reply(thread, coordinator, "Black coffee up to two hours before is fine.")

    assert services.unread_counts(clinician).total == 0
    assert services.unread_counts(patient_user).total == 1
    reply(thread, patient_user, "Thanks!")
    assert services.unread_counts(clinician).total == 1


def test_a_therapists_unread_messages_vanish_with_the_authorisation(
    clinician, patient, patient_user, therapist, authorisation
):
    therapist_thread(patient, therapist, by=clinician)
    assert services.unread_counts(therapist).total == 1

    revoke(authorisation, patient_user)

    assert services.unread_counts(therapist).total == 0


def test_unread_counts_take_one_query(
    coordinator, patient, other_patient, patient_user, django_assert_num_queries
):
    for p in (patient, other_patient, patient):
        patient_thread(p, patient_user if p == patient else coordinator)

    with django_assert_num_queries(1):
        counts = services.unread_counts(coordinator)

    assert counts.total == 2


# --- Waiting for the clinic (what the staff's unread count reads) ------------------------


def _awaits_clinic(thread) -> bool:
    return Thread.objects.values_list("awaits_clinic", flat=True).get(pk=thread.pk)


def test_a_thread_the_patient_starts_awaits_the_clinic(patient, patient_user):
    assert _awaits_clinic(patient_thread(patient, patient_user))


def test_a_thread_the_clinic_starts_does_not_await_it(coordinator, patient):
    assert not _awaits_clinic(patient_thread(patient, coordinator))


def test_a_thread_a_therapist_starts_awaits_the_clinic(patient, therapist, authorisation):
    assert _awaits_clinic(therapist_thread(patient, therapist))


@pytest.mark.parametrize(
    ("replies", "awaits"),
    [
        (["patient_user"], True),
        (["patient_user", "clinician"], False),
        (["patient_user", "coordinator", "patient_user"], True),
        (["coordinator"], False),
    ],
)
def test_each_message_sets_whether_the_thread_awaits_the_clinic(
    request, coordinator, patient, replies, awaits
):
    thread = patient_thread(patient, coordinator)
    for author in replies:
        reply(thread, request.getfixturevalue(author))

    assert _awaits_clinic(thread) is awaits


def test_the_migration_sets_each_existing_thread_from_its_latest_message(
    coordinator, patient, patient_user
):
    backfill = importlib.import_module(
        "kapcare.messaging.migrations.0004_threads_awaiting_the_clinic"
    ).set_from_latest_message
    answered = patient_thread(patient, patient_user, subject="Answered")
    reply(answered, coordinator)
    waiting = patient_thread(patient, coordinator, subject="Waiting")
    reply(waiting, patient_user)
    Thread.objects.update(awaits_clinic=False)

    backfill(django_apps, None)

    assert set(Thread.objects.filter(awaits_clinic=True)) == {waiting}


def test_an_answered_thread_is_not_read_for_the_staff_count(coordinator, patient, patient_user):
    answered = patient_thread(patient, patient_user, subject="First")
    reply(answered, coordinator)
    waiting = patient_thread(patient, coordinator, subject="Second")
    reply(waiting, patient_user)

    with CaptureQueriesContext(connection) as captured:
        counts = services.unread_counts(coordinator)

    assert counts.by_thread == {waiting.pk: 1}
    assert '"messaging_thread"."awaits_clinic"' in captured.captured_queries[0]["sql"]


# --- Email -------------------------------------------------------------------------------


def test_staff_message_emails_the_patients_portal_account_once_without_phi(
    coordinator, patient, patient_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = patient_thread(patient, coordinator, subject="Ketamine dose", body="Your PHQ-9")

    assert [m.to for m in mail.outbox] == [[patient_user.email]]
    email = mail.outbox[0]
    assert email.subject == "New secure message from Music City Ketamine"
    assert f"{settings.SITE_URL}/messages/{thread.external_id}/" in email.body
    for phi in ("Pat", "Patient", "Ketamine dose", "PHQ-9"):
        assert phi not in email.subject + email.body.replace("Music City Ketamine", "")


def test_staff_message_to_a_patient_without_portal_account_emails_nobody(
    coordinator, other_patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        patient_thread(other_patient, coordinator)

    assert mail.outbox == []


def test_staff_message_emails_the_therapist(
    clinician, patient, therapist, authorisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        therapist_thread(patient, therapist, by=clinician)

    assert [m.to for m in mail.outbox] == [[therapist.email]]


def test_messages_to_the_clinic_go_to_its_front_desk(
    clinic,
    clinician,
    patient,
    patient_user,
    therapist,
    authorisation,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        patient_thread(patient, patient_user)
        therapist_thread(patient, therapist)

    assert [m.to for m in mail.outbox] == [[clinic.email], [clinic.email]]


def test_a_clinic_without_an_address_is_not_emailed(
    clinic, patient, patient_user, django_capture_on_commit_callbacks
):
    clinic.email = ""
    clinic.save(update_fields=["email"])
    patient.clinic.email = ""

    with django_capture_on_commit_callbacks(execute=True):
        patient_thread(patient, patient_user)

    assert mail.outbox == []


def test_each_message_is_emailed_once(
    coordinator, patient, patient_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = patient_thread(patient, coordinator)
        message = reply(thread, coordinator)
        services._notify_other_side(thread, message)  # asked again: a no-op

    assert len(mail.outbox) == 2


def test_a_refused_message_sends_nothing(
    clinician, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        therapist_thread(patient, therapist, by=clinician)

    assert mail.outbox == []


# --- Access log --------------------------------------------------------------------------


def test_starting_a_thread_logs_the_thread_and_its_message(coordinator, patient):
    thread = patient_thread(patient, coordinator)

    rows = AccessLogEntry.objects.filter(patient=patient, actor=coordinator)
    assert sorted(rows.values_list("object_type", "action")) == [
        ("message", AccessAction.CREATE),
        ("thread", AccessAction.CREATE),
    ]
    assert rows.filter(object_id=str(thread.external_id)).exists()


def test_a_reply_is_logged_with_the_message(coordinator, patient, patient_user):
    thread = patient_thread(patient, coordinator)

    message = reply(thread, patient_user)

    assert AccessLogEntry.objects.filter(
        actor=patient_user, action=AccessAction.CREATE, object_id=str(message.external_id)
    ).exists()


def test_a_therapist_reading_a_thread_is_a_disclosure(clinician, patient, therapist, authorisation):
    thread = therapist_thread(patient, therapist, by=clinician)

    services.read_thread(actor=actor(therapist), thread=thread)

    row = AccessLogEntry.objects.filter(actor=therapist, object_type="thread").latest("id")
    assert row.action == AccessAction.DISCLOSE
    assert row.patient_id == patient.pk


# --- Messages are never changed ----------------------------------------------------------


@pytest.fixture
def message(coordinator, patient):
    return patient_thread(patient, coordinator).messages.get()


def test_a_message_cannot_be_changed_even_by_a_raw_update(message):
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(body="Edited")

    message.refresh_from_db()
    assert message.body == "Hello."


def test_a_message_cannot_be_deleted(message):
    with pytest.raises(PermissionError, match="never deleted"), transaction.atomic():
        Message.objects.filter(pk=message.pk).delete()
    with (
        pytest.raises(DatabaseError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM messaging_message WHERE id = %s", [message.pk])

    assert Message.objects.filter(pk=message.pk).exists()


def test_the_thread_still_moves_on_when_a_message_is_added(coordinator, patient, patient_user):
    thread = patient_thread(patient, coordinator)
    before = Thread.objects.get(pk=thread.pk).last_message_at

    with time_machine.travel(before + dt.timedelta(minutes=5)):
        reply(thread, patient_user)

    assert Thread.objects.get(pk=thread.pk).last_message_at > before


def test_staff_of_a_clinic_may_write_to_a_new_patient(coordinator, clinic):
    newcomer = PatientFactory(clinic=clinic, user=UserFactory(role="patient", clinic=clinic))

    thread = patient_thread(newcomer, coordinator)

    assert thread.patient_id == newcomer.pk


# --- The menu's count, bounded ----------------------------------------------------------------


def _questions_awaiting_the_clinic(patient_user, patient, count: int) -> None:
    """`count` threads started by the patient, each one message the clinic has not
    answered (written in bulk: the menu's count reads them as the services leave them)."""
    threads = Thread.objects.bulk_create(
        Thread(
            clinic_id=patient.clinic_id,
            patient=patient,
            kind=ThreadKind.PATIENT,
            subject=f"Question {number}",
            created_by=patient_user,
            awaits_clinic=True,
        )
        for number in range(count)
    )
    Message.objects.bulk_create(
        Message(thread=thread, author=patient_user, body="A question") for thread in threads
    )


@pytest.mark.parametrize("waiting", [1, services.MENU_COUNT_CAP + 5])
def test_the_menu_count_is_one_bounded_query_at_one_and_many_waiting_threads(
    coordinator, patient, patient_user, django_assert_num_queries, waiting
):
    _questions_awaiting_the_clinic(patient_user, patient, waiting)

    with django_assert_num_queries(1):
        shown = services.menu_unread(coordinator)

    assert shown == min(waiting, services.MENU_COUNT_CAP + 1)


def test_the_menu_says_99_plus_past_the_cap_and_the_count_below_it():
    from kapcare.messaging.context_processors import menu_label

    cap = services.MENU_COUNT_CAP
    assert menu_label(0) == "Messages"
    assert menu_label(cap) == f"Messages, {cap} unread"
    assert menu_label(cap + 1) == f"Messages, {cap}+ unread"
