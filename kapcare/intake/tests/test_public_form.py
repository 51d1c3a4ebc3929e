"""The public "no-pressure call" page: anyone may ask, robots and floods are turned away."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.intake.models import ConsultationRequest, ContactMethod
from tests.factories import ConsultationRequestFactory

VALID = {
    "given_name": "June",
    "family_name": "Carter",
    "email": "june@example.org",
    "phone": "615-555-0111",
    "preferred_contact": ContactMethod.TEXT,
    "preferred_time": "Weekday evenings",
    "hopes": "My therapist suggested KAP for long-standing depression.",
    "consent_to_contact": "on",
    "website": "",
}


@pytest.fixture
def url(clinic):
    return reverse("intake:request", args=[clinic.slug])


def test_anyone_can_open_the_form_and_sees_the_clinic_name_and_phone(client, clinic, url):
    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Music City Ketamine" in html
    assert 'href="tel:615-555-0100"' in html
    assert "Nothing is decided on the call" in html
    assert html.count("<h1") == 1


def test_the_honeypot_is_hidden_skipped_by_the_keyboard_and_labelled(client, url):
    html = client.get(url).content.decode()

    assert '<div class="honeypot">' in html
    assert 'name="website"' in html
    assert 'tabindex="-1"' in html
    assert 'autocomplete="off"' in html
    assert '<label for="id_website">Leave this field empty' in html


def test_unknown_clinic_answers_404(client, db):
    response = client.get(reverse("intake:request", args=["no-such-clinic"]))

    assert response.status_code == 404


def test_a_valid_request_is_stored_for_the_clinic_and_thanked(client, clinic, url):
    response = client.post(url, VALID)

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:thanks", args=[clinic.slug])
    stored = ConsultationRequest.objects.get()
    assert stored.clinic_id == clinic.pk
    assert (stored.given_name, stored.family_name) == ("June", "Carter")
    assert stored.preferred_contact == ContactMethod.TEXT
    assert stored.consent_to_contact is True
    assert stored.status == "new"
    assert stored.submitted_from == "127.0.0.1"


def test_a_stored_request_is_logged_as_created_by_nobody_signed_in(client, clinic, url):
    client.post(url, VALID)

    entry = AccessLogEntry.objects.get()
    stored = ConsultationRequest.objects.get()
    assert entry.action == AccessAction.CREATE
    assert entry.actor_id is None
    assert entry.clinic_id == clinic.pk
    assert entry.patient_id is None
    assert entry.object_id == str(stored.external_id)
    assert entry.ip_address == "127.0.0.1"


def test_the_thank_you_page_says_the_clinic_will_reach_out(client, clinic):
    response = client.get(reverse("intake:thanks", args=[clinic.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Music City Ketamine" in html
    assert "will reach out" in html


def test_a_phone_number_alone_is_enough(client, url):
    response = client.post(url, {**VALID, "email": "", "preferred_contact": ContactMethod.PHONE})

    assert response.status_code == 302
    assert ConsultationRequest.objects.get().email == ""


def test_without_email_or_phone_both_fields_say_what_is_missing(client, url):
    response = client.post(url, {**VALID, "email": "", "phone": ""})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Please give an email address or a phone number" in errors["email"][0]
    assert "Please give an email address or a phone number" in errors["phone"][0]
    assert not ConsultationRequest.objects.exists()


def test_asking_for_an_email_without_giving_one_is_pointed_out(client, url):
    response = client.post(url, {**VALID, "email": "", "preferred_contact": ContactMethod.EMAIL})

    assert response.context["form"].errors["email"] == [
        "You asked us to email you: please give your email address."
    ]


def test_without_consent_nothing_is_stored_and_the_box_says_why(client, url):
    data = {key: value for key, value in VALID.items() if key != "consent_to_contact"}

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Please tick this box" in response.context["form"].errors["consent_to_contact"][0]
    assert not ConsultationRequest.objects.exists()


def test_invalid_input_keeps_everything_typed(client, url):
    response = client.post(url, {**VALID, "email": "not-an-email", "phone": "12"})

    html = response.content.decode()
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["email"] == ["Enter an email address like name@example.com."]
    assert "area code" in errors["phone"][0]
    assert 'value="June"' in html
    assert 'value="Carter"' in html
    assert 'value="not-an-email"' in html
    assert 'value="Weekday evenings"' in html
    assert "My therapist suggested KAP" in html
    assert "Nothing you typed has been lost" in html


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"given_name": "x" * 5000},
        {"preferred_contact": "carrier-pigeon"},
        {"hopes": "y" * 5000},
        {"consent_to_contact": ["on", "off"]},
    ],
)
def test_malformed_submissions_are_answered_not_crashed(client, url, data):
    response = client.post(url, data)

    assert response.status_code == 200
    assert not ConsultationRequest.objects.exists()


def test_a_filled_honeypot_is_thanked_but_nothing_is_stored(client, clinic, url):
    response = client.post(url, {**VALID, "website": "http://spam.example"})

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:thanks", args=[clinic.slug])
    assert not ConsultationRequest.objects.exists()
    assert not AccessLogEntry.objects.exists()


def test_too_many_requests_from_one_address_get_429_and_keep_what_was_typed(
    client, clinic, url, settings
):
    settings.CONSULTATION_REQUESTS_PER_HOUR = 2
    ConsultationRequestFactory.create_batch(2, clinic=clinic, submitted_from="127.0.0.1")

    response = client.post(url, VALID)

    html = response.content.decode()
    assert response.status_code == 429
    assert "several requests from your connection" in html
    assert 'value="June"' in html
    assert 'value="june@example.org"' in html
    assert 'value="Weekday evenings"' in html
    assert "My therapist suggested KAP" in html
    assert ConsultationRequest.objects.count() == 2


def test_requests_older_than_an_hour_do_not_count_towards_the_limit(client, clinic, url, settings):
    settings.CONSULTATION_REQUESTS_PER_HOUR = 2
    earlier = ConsultationRequestFactory.create_batch(2, clinic=clinic, submitted_from="127.0.0.1")
    an_hour_ago = timezone.now() - dt.timedelta(hours=1, minutes=1)
    ConsultationRequest.objects.filter(pk__in=[r.pk for r in earlier]).update(
        created_at=an_hour_ago
    )

    response = client.post(url, VALID)

    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 3


def test_requests_from_other_addresses_do_not_count_towards_the_limit(
    client, clinic, url, settings
):
    settings.CONSULTATION_REQUESTS_PER_HOUR = 2
    ConsultationRequestFactory.create_batch(2, clinic=clinic, submitted_from="203.0.113.9")

    response = client.post(url, VALID)

    assert response.status_code == 302
