"""A patient answers through the emailed link: step by step, leaving and coming back, and
the link works once."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures.models import (
    AlertKind,
    Assessment,
    AssessmentLink,
    AssessmentStatus,
    SafetyAlert,
    Source,
)


def send_link(client, staff, patient, instrument, capture) -> str:
    """Post the staff form, as a coordinator does, and take the link from the email."""
    client.force_login(staff)
    with capture(execute=True):
        response = client.post(
            reverse("measures:send_link", args=[patient.external_id]), {"instrument": instrument}
        )
    assert response.status_code == 302
    client.logout()
    path = re.search(r"https?://[^/]+(/questionnaires/[A-Za-z0-9_-]+/)", mail.outbox[-1].body)
    return path.group(1)


@pytest.fixture
def phq9_link(client, coordinator, patient, django_capture_on_commit_callbacks):
    return send_link(client, coordinator, patient, "phq9", django_capture_on_commit_callbacks)


def answer(client, url, item, value, move="next", **others):
    """Post one step: the answer on screen plus those already chosen."""
    data = {"item": item, "move": move, **others}
    if value is not None:
        data[f"item_{item}"] = value
    return client.post(url, data)


def test_staff_form_email_carries_no_patient_details(phq9_link, patient):
    message = mail.outbox[-1]
    assert message.to == [patient.email]
    for private in (patient.given_name, patient.family_name, "PHQ"):
        assert private not in message.subject + message.body


def test_opening_the_link_starts_the_questionnaire_without_signing_in(client, phq9_link, patient):
    response = client.get(phq9_link)

    assert response.status_code == 200
    assert "Little interest or pleasure in doing things" in response.content.decode()
    assessment = Assessment.objects.get(patient=patient)
    assert (assessment.source, assessment.status, assessment.entered_by) == (
        Source.LINK,
        AssessmentStatus.IN_PROGRESS,
        None,
    )
    assert AssessmentLink.objects.get().assessment_id == assessment.pk


def test_the_link_page_shows_nothing_else_of_the_record(client, phq9_link, patient):
    page = client.get(phq9_link).content.decode()

    for private in (patient.full_name, patient.email, patient.phone):
        assert private not in page
    assert 'aria-label="Main"' not in page


def test_opening_is_logged_against_the_patient_with_no_user(client, phq9_link, patient):
    before = AccessLogEntry.objects.count()

    client.get(phq9_link)

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert {r.action for r in rows} == {AccessAction.CREATE, AccessAction.VIEW}
    assert all(r.patient_id == patient.pk and r.actor_id is None for r in rows)
    assert all(r.ip_address == "127.0.0.1" for r in rows)


def test_each_step_is_saved_and_moves_to_the_next_question(client, phq9_link):
    client.get(phq9_link)

    response = answer(client, phq9_link, 1, "2")

    assert response.status_code == 302
    assert response["Location"] == f"{phq9_link}?item=2"
    assert Assessment.objects.get().answers == [2, None, None, None, None, None, None, None, None]


def test_back_keeps_the_answer_and_returns_to_the_previous_question(client, phq9_link):
    client.get(phq9_link)
    answer(client, phq9_link, 1, "2")

    response = answer(client, phq9_link, 2, "1", move="back", item_1="2")

    assert response["Location"] == f"{phq9_link}?item=1"
    assert Assessment.objects.get().answers[:2] == [2, 1]


def test_a_patient_who_leaves_halfway_finds_their_answers_on_return(client, phq9_link):
    client.get(phq9_link)
    answer(client, phq9_link, 1, "2")
    answer(client, phq9_link, 2, "3", item_1="2")
    client.cookies.clear()  # the browser was closed

    page = client.get(phq9_link).content.decode()

    assert Assessment.objects.count() == 1
    assert re.search(r'name="item_1"[^>]*value="2" checked', page)
    assert re.search(r'name="item_2"[^>]*value="3" checked', page)
    # and picks up at the first question not yet answered
    assert 'name="item" value="3"' in page


def test_completing_marks_the_link_used_and_shows_a_plain_thank_you(client, phq9_link):
    client.get(phq9_link)
    answers = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0"}

    response = client.post(phq9_link, {"item": "review", "move": "finish", **answers})

    assert response.status_code == 302
    assert response["Location"] == reverse("measures:questionnaire_done")
    assessment = Assessment.objects.get()
    assert (assessment.status, assessment.total) == (AssessmentStatus.COMPLETED, 8)
    assert AssessmentLink.objects.get().used_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Thank you" in page
    assert "988" not in page.split("<footer")[0]
    assert "8" not in re.sub(r"<[^>]+>", "", page.split("<main")[1].split("</main>")[0])
    assert SafetyAlert.objects.count() == 0


def test_a_used_link_is_refused_the_second_time(client, phq9_link):
    client.get(phq9_link)
    answers = {f"item_{n}": "0" for n in range(1, 10)}
    client.post(phq9_link, {"item": "review", "move": "finish", **answers})

    again = client.get(phq9_link)
    posted = client.post(phq9_link, {"item": "review", "move": "finish", **answers})

    assert again.status_code == 410
    assert "already been sent" in again.content.decode()
    assert posted.status_code == 410
    assert Assessment.objects.count() == 1


def test_an_expired_link_is_refused(client, phq9_link):
    link = AssessmentLink.objects.get()

    with time_machine.travel(link.expires_at + dt.timedelta(minutes=1)):
        response = client.get(phq9_link)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Assessment.objects.exists()


def test_an_unknown_link_is_refused(client, db):
    response = client.get(reverse("measures:link", args=["x" * 43]))

    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_new_link_carries_over_answers_given_through_the_old_one(
    client, phq9_link, coordinator, patient, django_capture_on_commit_callbacks
):
    client.get(phq9_link)
    answer(client, phq9_link, 1, "3")
    new_link = send_link(client, coordinator, patient, "phq9", django_capture_on_commit_callbacks)

    page = client.get(new_link).content.decode()

    assert client.get(phq9_link).status_code == 410
    assert re.search(r'name="item_1"[^>]*value="3" checked', page)
    assert AssessmentLink.objects.get(assessment__isnull=False).sent_to == patient.email
    assert Assessment.objects.count() == 1


def test_a_link_opens_only_its_own_patients_questionnaire(
    client, phq9_link, coordinator, patient, other_patient, django_capture_on_commit_callbacks
):
    other_link = send_link(
        client, coordinator, other_patient, "phq9", django_capture_on_commit_callbacks
    )
    client.get(phq9_link)
    answer(client, phq9_link, 1, "3")

    page = client.get(other_link).content.decode()
    answer(client, other_link, 1, "0")

    assert not re.search(r'name="item_1"[^>]*value="3" checked', page)
    mine = Assessment.objects.get(patient=patient)
    theirs = Assessment.objects.get(patient=other_patient)
    assert (mine.answers[0], theirs.answers[0]) == (3, 0)
    assert mine.link.patient_id == patient.pk
    assert theirs.link.patient_id == other_patient.pk


def test_item_9_above_zero_alerts_the_team_and_shows_crisis_resources(
    client, phq9_link, patient, django_capture_on_commit_callbacks
):
    client.get(phq9_link)
    answers = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "2"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(phq9_link, {"item": "review", "move": "finish", **answers})

    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.patient_id) == (AlertKind.SUICIDAL_IDEATION, patient.pk)
    assert mail.outbox[-1].to == [patient.clinic.clinical_inbox]
    page = client.get(response["Location"]).content.decode()
    assert (
        "If you are thinking about harming yourself, call or text "
        '<a href="tel:988">988</a> (Suicide &amp; Crisis Lifeline) now, or call '
        '<a href="tel:911">911</a>'
    ) in page
    assert patient.clinic.phone in page
    assert "has been alerted" in page


def test_an_invalid_value_is_refused_naming_the_item_and_keeps_the_other_answers(client, phq9_link):
    client.get(phq9_link)

    response = client.post(phq9_link, {"item": "3", "move": "next", "item_1": "2", "item_3": "7"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Question 3: choose one of the answers shown" in page
    assert re.search(r'name="item_1"[^>]*value="2" checked', page)
    assert Assessment.objects.get().answers == [None] * 9


def test_sending_with_too_many_unanswered_items_names_them_and_keeps_the_answers(client, phq9_link):
    client.get(phq9_link)

    response = client.post(
        phq9_link, {"item": "review", "move": "finish", "item_1": "2", "item_2": "1"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "items 3, 4, 5, 6, 7, 8 and 9 are unanswered" in page
    assert 'id="item_9_error"' in page
    assessment = Assessment.objects.get()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert assessment.answers[:3] == [2, 1, None]
    assert AssessmentLink.objects.get().used_at is None


def test_a_link_opened_where_staff_are_signed_in_is_still_logged_as_anonymous(
    client, phq9_link, clinician
):
    client.force_login(clinician)

    client.get(phq9_link)
    answer(client, phq9_link, 1, "1")

    assessment = Assessment.objects.get()
    assert assessment.entered_by is None
    rows = AccessLogEntry.objects.filter(object_type="assessment")
    assert rows.count() == 3  # created, viewed, answer saved
    assert not rows.exclude(actor=None).exists()


def test_a_link_that_expires_while_answering_explains_and_keeps_earlier_answers(client, phq9_link):
    client.get(phq9_link)
    answer(client, phq9_link, 1, "2")
    link = AssessmentLink.objects.get()

    with time_machine.travel(link.expires_at + dt.timedelta(minutes=1)):
        response = answer(client, phq9_link, 2, "1", move="finish", item_1="2")

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert Assessment.objects.get().answers[:2] == [2, None]
