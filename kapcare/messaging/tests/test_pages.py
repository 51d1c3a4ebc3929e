"""The message pages for each role: the inbox, a thread (with its reply form) and the
three ways to start a thread, under every state of the therapist's authorisation."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.messaging import services
from kapcare.messaging.context_processors import nav_label, unread_messages
from kapcare.messaging.models import Thread, ThreadKind
from kapcare.messaging.tests.conftest import revoke
from kapcare.messaging.tests.factories import patient_thread, reply, therapist_thread
from tests.factories import PatientFactory, UserFactory, authorize

OK, DENIED, MISSING = 200, 403, 404


def thread_url(thread) -> str:
    return reverse("messaging:thread", args=[thread.external_id])


def staff_new_url(patient) -> str:
    return reverse("messaging:staff_new", args=[patient.external_id])


def therapist_new_url(patient) -> str:
    return reverse("messaging:therapist_new", args=[patient.external_id])


INBOX = reverse("messaging:inbox")
PORTAL_NEW = reverse("messaging:portal_new")


@pytest.fixture
def clinic_thread(patient, coordinator):
    return patient_thread(patient, coordinator, subject="Before your next visit")


@pytest.fixture
def shared_thread(patient, clinician, therapist, authorisation):
    return therapist_thread(patient, therapist, by=clinician, subject="Integration plan")


# --- The inbox ---------------------------------------------------------------------------


def test_staff_inbox_lists_the_clinics_threads_with_patient_and_unread(
    client, coordinator, patient, therapist, clinic_thread, shared_thread
):
    reply(shared_thread, therapist, "Thursday works for me.")
    client.force_login(coordinator)

    response = client.get(INBOX)

    page = response.content.decode()
    assert response.status_code == OK
    assert "Before your next visit" in page
    assert "Integration plan" in page
    assert patient.display_name in page
    assert "1 unread" in page  # the therapist's answer, new to the clinic


def test_inbox_is_newest_first(client, coordinator, patient, other_patient):
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        patient_thread(patient, coordinator, subject="Older thread")
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)):
        patient_thread(other_patient, coordinator, subject="Newer thread")
    client.force_login(coordinator)

    page = client.get(INBOX).content.decode()

    assert page.index("Newer thread") < page.index("Older thread")


def test_staff_of_another_clinic_see_none_of_its_threads(client, outsider, clinic_thread):
    client.force_login(outsider)

    assert "Before your next visit" not in client.get(INBOX).content.decode()


def test_therapist_inbox_shows_only_their_threads_while_authorised(
    client,
    patient,
    patient_user,
    clinician,
    therapist,
    authorisation,
    clinic_thread,
    shared_thread,
    colleague,
    colleague_authorisation,
):
    therapist_thread(patient, colleague, by=clinician, subject="For Cleo only")
    client.force_login(therapist)

    page = client.get(INBOX).content.decode()
    assert "Integration plan" in page
    assert "Before your next visit" not in page
    assert "For Cleo only" not in page

    revoke(authorisation, patient_user)

    assert "Integration plan" not in client.get(INBOX).content.decode()


def test_patient_inbox_shows_their_threads_with_the_clinic_only(
    client, patient_user, clinic_thread, shared_thread, other_patient, coordinator
):
    patient_thread(other_patient, coordinator, subject="Someone else")
    client.force_login(patient_user)

    page = client.get(INBOX).content.decode()

    assert "Before your next visit" in page
    assert "Integration plan" not in page
    assert "Someone else" not in page


def test_inbox_logs_each_patient_named_once(client, coordinator, patient, other_patient):
    for p in (patient, patient, other_patient):
        patient_thread(p, coordinator)
    client.force_login(coordinator)

    client.get(INBOX)

    rows = AccessLogEntry.objects.filter(actor=coordinator, action=AccessAction.LIST)
    assert sorted(rows.values_list("patient_id", flat=True)) == sorted(
        [patient.pk, other_patient.pk]
    )


def test_inbox_is_paginated_at_50_and_its_older_link_shows_the_rest(client, coordinator, patient):
    # Two threads share each moment, so the page boundary falls inside a tie.
    start = timezone.now() - dt.timedelta(days=1)
    for number in range(51):
        Thread.objects.create(
            clinic=patient.clinic,
            patient=patient,
            kind=ThreadKind.PATIENT,
            subject=f"Thread {number}",
            created_by=coordinator,
            last_message_at=start + dt.timedelta(minutes=number // 2),
        )
    client.force_login(coordinator)

    first = client.get(INBOX)
    older = client.get(INBOX, {"before": first.context["older"]})

    assert len(first.context["threads"]) == 50
    assert [t.subject for t in older.context["threads"]] == ["Thread 0"]
    assert older.context["older"] is None
    assert "Newest" in older.content.decode()


def test_inbox_runs_the_same_queries_for_1_or_30_threads(
    client, coordinator, patient, django_assert_max_num_queries
):
    patient_thread(patient, coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(10) as one:
        client.get(INBOX)
    for _ in range(29):
        patient_thread(PatientFactory(clinic=patient.clinic), coordinator)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(INBOX)

    assert len(response.context["threads"]) == 30


# --- A thread ----------------------------------------------------------------------------


def test_reading_a_thread_marks_it_read_and_logs_the_view(
    client, patient_user, patient, clinic_thread
):
    client.force_login(patient_user)
    assert services.unread_counts(patient_user).total == 1

    response = client.get(thread_url(clinic_thread))

    assert response.status_code == OK
    assert services.unread_counts(patient_user).total == 0
    assert AccessLogEntry.objects.filter(
        actor=patient_user, action=AccessAction.VIEW, object_id=str(clinic_thread.external_id)
    ).exists()


def test_a_reply_is_posted_and_the_page_shown_again(client, patient_user, clinic_thread):
    client.force_login(patient_user)

    response = client.post(thread_url(clinic_thread), {"body": "See you then."}, follow=True)

    assert response.redirect_chain[-1][0] == thread_url(clinic_thread)
    assert "See you then." in response.content.decode()
    assert clinic_thread.messages.count() == 2


def test_an_empty_reply_is_refused_at_the_field(client, patient_user, clinic_thread):
    client.force_login(patient_user)

    response = client.post(thread_url(clinic_thread), {"body": "  "})

    assert response.status_code == OK
    assert response.context["form"].errors["body"] == ["Write a message."]
    assert clinic_thread.messages.count() == 1


def test_a_too_long_reply_is_refused_and_kept(client, patient_user, clinic_thread):
    client.force_login(patient_user)
    text = "y" * 5001

    response = client.post(thread_url(clinic_thread), {"body": text})

    assert "Keep a message to 5000 characters" in response.context["form"].errors["body"][0]
    assert text in response.content.decode()


def test_authorised_therapist_reads_and_replies_in_their_thread(client, therapist, shared_thread):
    client.force_login(therapist)

    assert client.get(thread_url(shared_thread)).status_code == OK
    response = client.post(thread_url(shared_thread), {"body": "Noted."})

    assert response.status_code == 302
    assert shared_thread.messages.filter(author=therapist).exists()


def test_therapist_gets_404_on_the_thread_once_the_authorisation_expired(
    client, therapist, shared_thread, authorisation
):
    with time_machine.travel(authorisation.expires_at + dt.timedelta(minutes=1)):
        client.force_login(therapist)
        assert client.get(thread_url(shared_thread)).status_code == MISSING
        assert client.get(therapist_new_url(shared_thread.patient)).status_code == MISSING


def test_revoked_therapist_gets_404_on_the_thread_and_new_on_the_next_request(
    client, therapist, patient, patient_user, shared_thread, authorisation
):
    client.force_login(therapist)
    assert client.get(thread_url(shared_thread)).status_code == OK
    assert client.get(therapist_new_url(patient)).status_code == OK

    revoke(authorisation, patient_user)

    assert client.get(thread_url(shared_thread)).status_code == MISSING
    assert client.post(thread_url(shared_thread), {"body": "Hello?"}).status_code == MISSING
    assert client.get(therapist_new_url(patient)).status_code == MISSING
    assert shared_thread.messages.count() == 1


def test_therapist_gets_404_on_another_therapists_thread(
    client, therapist, authorisation, patient, clinician, colleague, colleague_authorisation
):
    thread = therapist_thread(patient, colleague, by=clinician)
    client.force_login(therapist)

    assert client.get(thread_url(thread)).status_code == MISSING


def test_therapist_gets_404_on_a_clinic_patient_thread(
    client, therapist, authorisation, clinic_thread
):
    client.force_login(therapist)

    assert client.get(thread_url(clinic_thread)).status_code == MISSING


def test_patient_cannot_open_a_clinic_therapist_thread(client, patient_user, shared_thread):
    client.force_login(patient_user)

    assert client.get(thread_url(shared_thread)).status_code == MISSING
    assert client.post(thread_url(shared_thread), {"body": "Hi"}).status_code == MISSING


def test_another_patient_cannot_open_the_thread(client, clinic, clinic_thread):
    stranger = UserFactory(role="patient", clinic=clinic)
    PatientFactory(clinic=clinic, user=stranger)
    client.force_login(stranger)

    assert client.get(thread_url(clinic_thread)).status_code == MISSING


def test_staff_of_another_clinic_get_404_on_the_thread(client, outsider, shared_thread):
    client.force_login(outsider)

    assert client.get(thread_url(shared_thread)).status_code == MISSING


def test_staff_still_read_a_therapist_thread_after_revocation_without_a_reply_form(
    client, coordinator, patient_user, shared_thread, authorisation
):
    revoke(authorisation, patient_user)
    client.force_login(coordinator)

    response = client.get(thread_url(shared_thread))

    page = response.content.decode()
    assert response.status_code == OK
    assert "Hi." in page
    assert "no longer holds a live sharing authorisation" in page
    assert 'name="body"' not in page


def test_staff_reply_after_revocation_is_refused_at_the_field(
    client, coordinator, patient_user, shared_thread, authorisation
):
    client.force_login(coordinator)
    revoke(authorisation, patient_user)

    response = client.post(thread_url(shared_thread), {"body": "Are you still there?"})

    assert response.status_code == OK
    assert "no longer holds" in response.context["form"].errors["body"][0]
    assert "Are you still there?" in response.content.decode()
    assert shared_thread.messages.count() == 1


def test_thread_page_runs_the_same_queries_for_1_or_30_messages(
    client, patient_user, clinic_thread, coordinator, django_assert_max_num_queries
):
    client.force_login(patient_user)
    with django_assert_max_num_queries(20) as one:  # the first reading creates the mark
        client.get(thread_url(clinic_thread))
    for number in range(29):
        reply(clinic_thread, coordinator if number % 2 else patient_user, f"Message {number}")

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(thread_url(clinic_thread))

    assert len(response.context["thread_messages"]) == 30


def test_a_long_thread_shows_its_latest_messages_and_links_to_the_earlier_ones(
    client, patient_user, clinic_thread, coordinator
):
    for number in range(services.MESSAGES_SHOWN + 4):
        reply(clinic_thread, coordinator, f"Message {number:03}")
    client.force_login(patient_user)

    latest = client.get(thread_url(clinic_thread))
    shown = [message.body for message in latest.context["thread_messages"]]
    earlier = client.get(thread_url(clinic_thread), {"cursor": latest.context["earlier"]})

    assert shown[-1] == f"Message {services.MESSAGES_SHOWN + 3:03}"
    assert len(shown) == services.MESSAGES_SHOWN
    assert "Earlier messages" in latest.content.decode()
    before = [message.body for message in earlier.context["thread_messages"]]
    assert before + shown == [
        message.body for message in clinic_thread.messages.order_by("created_at", "id")
    ]
    assert earlier.context["earlier"] is None


# --- New threads -------------------------------------------------------------------------


def test_staff_new_thread_lists_only_therapists_authorised_now(
    client, coordinator, patient, therapist, authorisation, colleague
):
    client.force_login(coordinator)

    page = client.get(staff_new_url(patient)).content.decode()

    assert "Theo Therapist" in page
    assert "Cleo Colleague" not in page


def test_staff_write_to_the_patient(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        staff_new_url(patient),
        {"recipient": "patient", "subject": "Your results", "body": "Please call us."},
    )

    thread = Thread.objects.get()
    assert response["Location"] == thread_url(thread)
    assert (thread.kind, thread.subject) == (ThreadKind.PATIENT, "Your results")


def test_staff_write_to_an_authorised_therapist(
    client, coordinator, patient, therapist, authorisation
):
    client.force_login(coordinator)

    client.post(
        staff_new_url(patient),
        {"recipient": f"therapist:{therapist.external_id}", "subject": "Plan", "body": "Hi."},
    )

    assert Thread.objects.get().therapist_id == therapist.pk


def test_staff_cannot_start_a_therapist_thread_after_revocation(
    client, coordinator, patient, patient_user, therapist, authorisation
):
    client.force_login(coordinator)
    client.get(staff_new_url(patient))
    revoke(authorisation, patient_user)

    response = client.post(
        staff_new_url(patient),
        {"recipient": f"therapist:{therapist.external_id}", "subject": "Plan", "body": "Hi there."},
    )

    assert response.status_code == OK
    assert "Theo Therapist no longer holds" in response.context["form"].errors["recipient"][0]
    assert "Hi there." in response.content.decode()
    assert not Thread.objects.exists()


def test_staff_must_choose_a_recipient(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(staff_new_url(patient), {"subject": "Plan", "body": "Hi."})

    assert response.context["form"].errors["recipient"] == ["Choose whom to write to."]


def test_staff_choosing_someone_unknown_get_a_message_at_the_field(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        staff_new_url(patient), {"recipient": "therapist:nonsense", "subject": "S", "body": "B"}
    )

    assert response.status_code == OK
    assert (
        "Choose the patient or one of the therapists"
        in response.context["form"].errors["recipient"][0]
    )


def test_authorised_therapist_writes_to_the_clinic(client, therapist, patient, authorisation):
    client.force_login(therapist)

    response = client.post(therapist_new_url(patient), {"subject": "Session", "body": "Done."})

    thread = Thread.objects.get()
    assert response["Location"] == thread_url(thread)
    assert (thread.kind, thread.therapist_id) == (ThreadKind.THERAPIST, therapist.pk)


def test_therapist_without_authorisation_gets_404_on_new(client, therapist, patient):
    client.force_login(therapist)

    assert client.get(therapist_new_url(patient)).status_code == MISSING
    assert (
        client.post(therapist_new_url(patient), {"subject": "S", "body": "B"}).status_code
        == MISSING
    )


def test_therapist_authorised_for_another_patient_gets_404_on_new(
    client, therapist, patient, other_patient, clinician
):
    authorize(other_patient, therapist, by=clinician)
    client.force_login(therapist)

    assert client.get(therapist_new_url(patient)).status_code == MISSING


def test_patient_writes_to_their_clinic(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.post(PORTAL_NEW, {"subject": "A question", "body": "Can I drive?"})

    thread = Thread.objects.get()
    assert response["Location"] == thread_url(thread)
    assert (thread.patient_id, thread.kind) == (patient.pk, ThreadKind.PATIENT)


def test_patient_form_keeps_what_was_typed(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.post(PORTAL_NEW, {"subject": "", "body": "Can I drive?"})

    assert response.context["form"].errors["subject"] == ["Give the thread a subject."]
    assert "Can I drive?" in response.content.decode()
    assert not Thread.objects.exists()


# --- The menu ----------------------------------------------------------------------------


def test_menu_says_the_unread_count_in_words(client, patient_user, clinic_thread, coordinator):
    reply(clinic_thread, coordinator, "Second")
    client.force_login(patient_user)

    assert "Messages, 2 unread" in client.get(INBOX).content.decode()

    client.get(thread_url(clinic_thread))

    page = client.get(INBOX).content.decode()
    assert "Messages, 2 unread" not in page
    assert ">Messages<" in page


def test_menu_counts_unread_messages_in_one_query_per_request(
    rf, patient_user, clinic_thread, django_assert_num_queries
):
    request = rf.get("/")
    request.user = patient_user
    context = unread_messages(request)

    with django_assert_num_queries(1):
        assert context["unread_message_count"]() == 1
        assert str(nav_label(request)) == "Messages, 1 unread"
        assert context["unread_message_count"]() == 1


def test_menu_runs_no_query_for_a_visitor(rf, db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()

    with django_assert_num_queries(0):
        assert unread_messages(request) == {}
