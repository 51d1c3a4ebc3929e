"""The record page's "Signature and addenda" part and its actions: sign, add an addendum.
Bad input shows the page again (422) with the message at the field."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import Addendum
from kapcare.dosing.tests.test_signing_fixtures import finished_record, fresh, signed_record
from tests.factories import PASSWORD
from tests.second_factor import code_for, give_authenticator


def record_url(record) -> str:
    return reverse("dosing:record", args=[record.session.external_id])


def sign_url(record) -> str:
    return reverse("signing:sign", args=[record.session.external_id])


def addendum_url(record) -> str:
    return reverse("signing:addendum", args=[record.session.external_id])


def part_context(response, key: str) -> dict:
    return next(context for part, context in response.context["parts"] if part.key == key)


@pytest.fixture
def record(patient, clinician):
    return finished_record(patient, clinician)


def test_a_clinician_signs_from_the_record_page(client, clinician, record):
    client.force_login(clinician)

    response = client.post(sign_url(record), {"reauthentication": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == record_url(record) + "#signature"
    assert fresh(record).signed_by_id == clinician.pk


def test_the_signed_record_shows_who_signed_and_when(client, clinician, patient):
    signed = signed_record(patient, clinician)
    client.force_login(clinician)

    content = client.get(record_url(signed)).content.decode()

    assert "✓ Signed</span>" in content
    assert "by Cal Clinician, CRNA" in content
    assert 'action="' + sign_url(signed) not in content


def test_the_page_lists_what_signing_still_needs_and_disables_the_button(
    client, clinician, patient
):
    record = finished_record(patient, clinician, discharged_at=None, discharged_by=None)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert "<li>The patient has not been discharged.</li>" in content
    assert 'disabled aria-describedby="sign-missing">Sign the record' in content


def test_signing_too_early_shows_the_page_again_with_the_reason(client, clinician, patient):
    record = finished_record(patient, clinician, discharged_at=None, discharged_by=None)
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    response = client.post(sign_url(record), {"reauthentication": PASSWORD})

    assert response.status_code == 422
    assert "The record was not signed." in response.content.decode()
    assert "the patient has not been discharged" in response.content.decode()
    assert not fresh(record).is_signed
    assert AccessLogEntry.objects.filter(pk__gt=before, action=AccessAction.VIEW).exists()


def test_a_coordinator_may_not_sign(client, coordinator, record):
    client.force_login(coordinator)

    assert client.post(sign_url(record), {"reauthentication": PASSWORD}).status_code == 403
    assert not fresh(record).is_signed


def test_staff_of_another_clinic_get_404(client, other_clinic, record):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="clinician", clinic=other_clinic))

    assert client.post(sign_url(record), {"reauthentication": PASSWORD}).status_code == 404


def test_signing_is_post_only(client, clinician, record):
    client.force_login(clinician)

    assert client.get(sign_url(record)).status_code == 405


def test_a_clinician_adds_an_addendum_from_the_record_page(client, clinician, patient):
    signed = signed_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(addendum_url(signed), {"text": "Patient called: slept well."})

    assert response.status_code == 302
    assert Addendum.objects.get(record=signed).text == "Patient called: slept well."
    content = client.get(record_url(signed)).content.decode()
    assert "Patient called: slept well." in content


def test_a_blank_addendum_is_an_error_at_its_field(client, clinician, patient):
    signed = signed_record(patient, clinician)
    client.force_login(clinician)

    response = client.post(addendum_url(signed), {"text": ""})

    assert response.status_code == 422
    form = part_context(response, "signature")["addendum_form"]
    assert form.errors["text"] == ["Write what the addendum adds or corrects."]
    assert 'id="addendum_text_error"' in response.content.decode()


def test_an_addendum_before_signing_shows_the_page_again(client, clinician, record):
    client.force_login(clinician)

    response = client.post(addendum_url(record), {"text": "Typed with care."})

    assert response.status_code == 422
    content = response.content.decode()
    assert "change the record itself instead" in content
    assert "Typed with care." in content  # nothing typed is lost
    assert not Addendum.objects.exists()


def test_the_addendum_form_appears_only_once_signed(client, clinician, record):
    client.force_login(clinician)

    assert 'action="' + addendum_url(record) not in client.get(record_url(record)).content.decode()


# --- Signing re-enters the password and the current code (step-up) ------------------------


def refusals_of(record) -> int:
    return AccessLogEntry.objects.filter(
        action=AccessAction.REFUSED, patient=record.patient, object_type="dosingrecord"
    ).count()


def test_the_sign_form_asks_for_the_password_and_the_current_authenticator_code(
    client, clinician, record
):
    give_authenticator(clinician)
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert '<label for="sign_reauthentication">Your password' in content
    assert '<label for="sign_reauthentication_code">Your current authenticator code' in content
    assert content.index('for="sign_reauthentication"') < content.index(
        'for="sign_reauthentication_code"'
    )


def test_someone_without_an_app_is_asked_for_the_password_alone(client, clinician, record):
    client.force_login(clinician)

    content = client.get(record_url(record)).content.decode()

    assert '<label for="sign_reauthentication">Your password' in content
    assert "sign_reauthentication_code" not in content


def test_signing_without_the_password_is_refused_at_the_field(client, clinician, record):
    give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(sign_url(record), {})

    assert response.status_code == 422
    form = part_context(response, "signature")["sign_form"]
    assert form.errors["reauthentication"] == ["Re-enter your password to confirm that it is you."]
    assert 'id="sign_reauthentication_error"' in response.content.decode()
    assert not fresh(record).is_signed


def test_a_wrong_password_is_refused_at_the_field_and_logged(client, clinician, record):
    device = give_authenticator(clinician)
    client.force_login(clinician)
    code = code_for(device)

    response = client.post(
        sign_url(record), {"reauthentication": "not my password", "reauthentication_code": code}
    )

    assert response.status_code == 422
    form = part_context(response, "signature")["sign_form"]
    assert form.errors == {"reauthentication": ["That password is not right."]}
    assert form.data["reauthentication_code"] == code  # what was typed is kept
    assert not fresh(record).is_signed
    assert refusals_of(record) == 1


def test_signing_with_a_wrong_code_is_refused(client, clinician, record):
    device = give_authenticator(clinician)
    client.force_login(clinician)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(
        sign_url(record), {"reauthentication": PASSWORD, "reauthentication_code": wrong}
    )

    assert response.status_code == 422
    form = part_context(response, "signature")["sign_form"]
    assert "That code is not right" in form.errors["reauthentication_code"][0]
    assert 'id="sign_reauthentication_code_error"' in response.content.decode()
    assert not fresh(record).is_signed
    assert refusals_of(record) == 1


def test_the_password_alone_does_not_sign_for_someone_with_an_app(client, clinician, record):
    give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(sign_url(record), {"reauthentication": PASSWORD})

    assert response.status_code == 422
    assert not fresh(record).is_signed


def test_the_code_alone_does_not_sign(client, clinician, record):
    device = give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(sign_url(record), {"reauthentication_code": code_for(device)})

    assert response.status_code == 422
    assert not fresh(record).is_signed


def test_signing_with_the_password_and_the_current_code_signs(client, clinician, record):
    device = give_authenticator(clinician)
    client.force_login(clinician)

    response = client.post(
        sign_url(record),
        {"reauthentication": PASSWORD, "reauthentication_code": code_for(device)},
    )

    assert response.status_code == 302
    signed = fresh(record)
    assert (signed.signed_by_id, signed.signed_with) == (clinician.pk, "password+code")
    assert refusals_of(record) == 0
