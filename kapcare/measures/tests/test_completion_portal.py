"""A signed-in patient fills in questionnaires in the portal."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessLogEntry
from kapcare.measures.models import AlertKind, Assessment, AssessmentStatus, SafetyAlert, Source


@pytest.fixture
def signed_in(client, patient_user, patient):
    client.force_login(patient_user)
    return client


def main_text(page: str) -> str:
    """What the page says in its main landmark, without markup."""
    return re.sub(r"<[^>]+>", " ", page.split("<main")[1].split("</main>")[0])


def url(instrument="phq9"):
    return reverse("measures:portal_questionnaire", args=[instrument])


def test_portal_home_links_to_the_questionnaires(signed_in):
    page = signed_in.get(reverse("portal:home")).content.decode()

    assert reverse("measures:portal_questionnaires") in page


def test_list_offers_all_four_questionnaires(signed_in):
    response = signed_in.get(reverse("measures:portal_questionnaires"))

    assert response.status_code == 200
    for instrument in ("phq9", "gad7", "pcl5", "cssrs_screen"):
        assert url(instrument) in response.content.decode()


def test_opening_a_questionnaire_starts_nothing_until_an_answer_is_saved(signed_in, patient):
    response = signed_in.get(url())

    assert response.status_code == 200
    assert not Assessment.objects.exists()
    assert AccessLogEntry.objects.filter(patient=patient).exists()


def test_a_started_questionnaire_is_listed_to_continue(signed_in, patient):
    signed_in.post(url("gad7"), {"item": "1", "move": "next", "item_1": "2"})

    page = signed_in.get(reverse("measures:portal_questionnaires")).content.decode()

    assessment = Assessment.objects.get()
    assert (assessment.source, assessment.entered_by_id, assessment.answers[0]) == (
        Source.PORTAL,
        patient.user_id,
        2,
    )
    assert "1 of 7 answered" in page
    assert "Continue" in page


def test_save_and_finish_later_keeps_the_answers(signed_in):
    response = signed_in.post(
        url(), {"item": "1", "move": "save", "all": "1", "item_1": "1", "item_5": "3"}
    )

    assert response.status_code == 302
    assert Assessment.objects.get().answers == [1, None, None, None, 3, None, None, None, None]
    page = signed_in.get(response["Location"]).content.decode()
    assert "Your answers are saved" in page
    assert re.search(r'name="item_5"[^>]*value="3" checked', page)


def test_completing_in_the_portal_thanks_without_showing_a_score(signed_in, patient):
    answers = {f"item_{n}": "2" for n in range(1, 8)}

    response = signed_in.post(url("gad7"), {"item": "review", "move": "finish", **answers})

    assessment = Assessment.objects.get()
    assert (assessment.status, assessment.source, assessment.total) == (
        AssessmentStatus.COMPLETED,
        Source.PORTAL,
        14,
    )
    text = main_text(signed_in.get(response["Location"]).content.decode())
    assert "Thank you" in text
    assert "14" not in text
    assert "moderate" not in text
    assert "Help is available" not in text


def test_item_9_in_the_portal_raises_an_alert_at_once_and_shows_crisis_resources(
    signed_in, patient, django_capture_on_commit_callbacks
):
    answers = {f"item_{n}": "0" for n in range(1, 9)} | {"item_9": "1"}

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url(), {"item": "review", "move": "finish", **answers})

    assert SafetyAlert.objects.get().kind == AlertKind.SUICIDAL_IDEATION
    assert [m.to for m in mail.outbox] == [[patient.clinic.clinical_inbox]]
    page = signed_in.get(response["Location"]).content.decode()
    assert "If you are thinking about harming yourself" in page
    assert "Back to your questionnaires" in page


def test_cssrs_no_to_question_2_goes_straight_to_question_6(signed_in):
    response = signed_in.post(
        url("cssrs_screen"), {"item": "2", "move": "next", "item_1": "no", "item_2": "no"}
    )

    assert response["Location"] == f"{url('cssrs_screen')}?item=6"


def test_cssrs_yes_to_question_6_asks_6b_and_no_finishes(signed_in):
    base = {"item": "6", "move": "next", "item_1": "no", "item_2": "no"}

    yes = signed_in.post(url("cssrs_screen"), {**base, "item_6": "yes"})
    no = signed_in.post(url("cssrs_screen"), {**base, "item_6": "no"})

    assert yes["Location"].endswith("?item=7")
    assert no["Location"].endswith("?item=review")


def test_cssrs_answers_to_questions_not_asked_are_left_out(signed_in):
    answers = {"item_1": "no", "item_2": "no", "item_3": "yes", "item_4": "yes", "item_6": "no"}

    signed_in.post(url("cssrs_screen"), {"item": "review", "move": "finish", **answers})

    assessment = Assessment.objects.get()
    assert assessment.answers == [False, False, None, None, None, False, None]
    assert assessment.band == "no risk"
    assert not SafetyAlert.objects.exists()


def test_cssrs_high_risk_shows_crisis_resources(signed_in):
    answers = {"item_1": "yes", "item_2": "yes", "item_3": "no", "item_4": "yes"}
    answers |= {"item_5": "no", "item_6": "no"}

    response = signed_in.post(url("cssrs_screen"), {"item": "review", "move": "finish", **answers})

    assert SafetyAlert.objects.get().kind == AlertKind.SUICIDE_RISK_HIGH
    assert "Help is available right now" in signed_in.get(response["Location"]).content.decode()


def test_the_patient_form_shows_one_question_at_a_time_on_a_phone(signed_in):
    page = signed_in.get(f"{url()}?item=4").content.decode()

    assert 'class="questionnaire stepped"' in page
    assert re.search(r'class="question current"[^>]*id="item_4"', page)
    assert page.count('class="question current') == 1
    assert page.count("<legend>") == 9  # all on one page on a desktop
    assert "/static/kapcare/questionnaire.css" in page  # one at a time below 40rem:
    assert (
        "@media (max-width: 40rem)" in Path(finders.find("kapcare/questionnaire.css")).read_text()
    )


def test_unknown_questionnaire_is_not_found(signed_in):
    assert signed_in.get(url("bdi2")).status_code == 404


def test_staff_cannot_use_the_patient_portal_pages(client, coordinator, patient):
    client.force_login(coordinator)

    assert client.get(reverse("measures:portal_questionnaires")).status_code == 403
    assert client.post(url(), {"item": "1", "move": "next", "item_1": "1"}).status_code == 403
    assert not Assessment.objects.exists()


def test_review_step_lists_unanswered_questions_and_whether_they_can_be_left(signed_in):
    signed_in.post(url(), {"item": "1", "move": "next", "item_1": "1"})
    phq9 = signed_in.get(f"{url()}?item=review").content.decode()
    signed_in.post(url("pcl5"), {"item": "1", "move": "next", "item_1": "1"})
    pcl5 = signed_in.get(f"{url('pcl5')}?item=review").content.decode()

    assert f'href="{url()}?item=9"' in phq9
    assert "Please answer them before sending" in phq9  # 8 missing: more than 2 may not be
    assert f'href="{url("pcl5")}?item=20"' in pcl5


def test_review_step_allows_sending_within_the_instruments_tolerance(signed_in):
    answers = {f"item_{n}": "1" for n in range(1, 9)}
    signed_in.post(url(), {"item": "8", "move": "next", **answers})

    page = signed_in.get(f"{url()}?item=review").content.decode()

    assert "send your answers as they are" in page


def test_list_says_when_each_questionnaire_was_last_sent(signed_in, clinic):
    answers = {f"item_{n}": "0" for n in range(1, 8)}
    signed_in.post(url("gad7"), {"item": "review", "move": "finish", **answers})

    page = signed_in.get(reverse("measures:portal_questionnaires")).content.decode()

    completed = timezone.localtime(Assessment.objects.get().completed_at, clinic.zone)
    assert page.count("Last sent") == 1
    assert f"Last sent {completed:%b} {completed.day}, {completed.year}" in page


def test_a_page_with_errors_stays_all_on_one_page_when_asked_for(signed_in):
    response = signed_in.post(url(), {"item": "1", "move": "save", "all": "1", "item_2": "x"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="questionnaire"' in page
    assert "Question 2: choose one of the answers shown" in page
