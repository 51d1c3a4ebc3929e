"""The health history: the patient fills it in the portal (their own only), or a clinician
enters it for them. Each submission is a new version; nothing typed is lost on an error."""

from html import unescape

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import SexAtBirth
from kapcare.screening import rules
from kapcare.screening.models import Contraindication, HistorySource, MedicalScreening
from kapcare.screening.tests.conftest import history_data
from tests.factories import PatientFactory

PORTAL_URL = reverse("screening:health_history")


def staff_url(patient):
    return reverse("screening:history", args=[patient.external_id])


def code_id(clinic, code):
    return Contraindication.objects.get(clinic=clinic, code=code).pk


# --- The portal -------------------------------------------------------------------------------


def test_patient_sees_every_question_of_their_clinics_catalogue(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.get(PORTAL_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Active psychosis" in html
    assert "Are you pregnant or breastfeeding?" in html
    assert "Ketamine or other dissociatives" in html
    assert 'name="medications-0-name"' in html


def test_patient_sends_their_history(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    data = history_data(
        clinic,
        present={"controlled_hypertension"},
        medications=[("Xanax", "0.5 mg", "as needed"), ("Sertraline", "100 mg", "daily")],
        alcohol_frequency=rules.WEEKLY,
        alcohol_last_use=rules.PAST_WEEK,
        allergies="Penicillin: rash",
    )

    response = client.post(PORTAL_URL, data)

    assert response.status_code == 302
    screening = MedicalScreening.objects.get(patient=patient)
    assert screening.version == 1
    assert screening.history_source == HistorySource.PATIENT
    assert screening.history_entered_by_id == patient_user.pk
    assert screening.allergies == "Penicillin: rash"
    assert screening.reported_pregnancy_status == rules.NOT_PREGNANT
    assert not screening.is_completed
    present = screening.condition_answers.filter(reported_present=True)
    assert [a.name for a in present] == ["Hypertension, controlled on treatment"]
    assert screening.condition_answers.count() == len(rules.DEFAULT_CONTRAINDICATIONS)
    xanax, sertraline = screening.medications.all()
    assert [f["name"] for f in xanax.interaction_flags] == ["Benzodiazepines"]
    assert sertraline.interaction_flags == []
    alcohol = screening.substance_uses.get(substance=rules.ALCOHOL)
    assert (alcohol.frequency, alcohol.last_use) == (rules.WEEKLY, rules.PAST_WEEK)


def test_sending_the_history_is_logged_as_a_create(client, patient_user, patient, clinic):
    client.force_login(patient_user)

    client.post(PORTAL_URL, history_data(clinic))

    created = AccessLogEntry.objects.get(action=AccessAction.CREATE)
    assert created.patient_id == patient.pk
    assert created.object_type == "medicalscreening"
    assert created.actor_id == patient_user.pk


def test_opening_the_page_is_logged_as_a_view_of_their_record(client, patient_user, patient):
    client.force_login(patient_user)

    client.get(PORTAL_URL)

    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.patient_id) == (AccessAction.VIEW, patient.pk)


def test_the_form_opens_with_what_was_sent_last_time(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    client.post(
        PORTAL_URL,
        history_data(
            clinic,
            present={"psychotic_disorder_history"},
            medications=[("Lamictal", "100 mg", "daily")],
            allergies="Latex",
        ),
    )

    form = client.get(PORTAL_URL).context["form"]
    medications = client.get(PORTAL_URL).context["medications"]

    assert form.initial["allergies"] == "Latex"
    assert form.initial[f"condition_{code_id(clinic, 'psychotic_disorder_history')}"] == "yes"
    assert form.initial[f"condition_{code_id(clinic, 'active_psychosis')}"] == "no"
    assert medications.forms[0].initial == {
        "name": "Lamictal",
        "dose": "100 mg",
        "frequency": "daily",
    }


def test_sending_again_makes_a_new_version_and_keeps_the_first(
    client, patient_user, patient, clinic
):
    client.force_login(patient_user)
    client.post(PORTAL_URL, history_data(clinic, allergies="None known"))

    client.post(PORTAL_URL, history_data(clinic, allergies="Sulfa drugs"))

    first, second = MedicalScreening.objects.filter(patient=patient).order_by("version")
    assert (first.version, first.allergies) == (1, "None known")
    assert (second.version, second.allergies) == (2, "Sulfa drugs")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allergies": ""}, "allergies", "write 'none known'"),
        ({"pregnancy_status": ""}, "pregnancy_status", "Choose one answer about pregnancy"),
        ({"alcohol_frequency": ""}, "alcohol_frequency", "how often you use Alcohol"),
        (
            {"cannabis_frequency": rules.DAILY, "cannabis_last_use": ""},
            "cannabis_last_use",
            "when you last used",
        ),
        (
            {"medications-0-name": "", "medications-0-dose": "10 mg"},
            "medications-0-name",
            "Enter the medication's name",
        ),
    ],
)
def test_bad_answers_are_refused_at_the_field_and_nothing_is_lost(
    client, patient_user, patient, clinic, changes, field, message
):
    client.force_login(patient_user)
    data = history_data(clinic, medications=[("Xanax", "1 mg", "nightly")], comments="Kept text")
    data.update(changes)

    response = client.post(PORTAL_URL, data)

    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert message in html
    assert "Nothing you typed has been lost." in html
    assert "Kept text" in html
    assert not MedicalScreening.objects.exists()
    form, medications = response.context["form"], response.context["medications"]
    if field.startswith("medications-"):
        assert medications.forms[0].errors
    else:
        assert field in form.errors


def test_an_unanswered_condition_is_named_in_its_message(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    data = history_data(clinic)
    del data[f"condition_{code_id(clinic, 'active_psychosis')}"]

    response = client.post(PORTAL_URL, data)

    assert "Answer yes, no or not sure for “Active psychosis”." in response.content.decode()


def test_not_sure_is_stored_as_not_known(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    data = history_data(clinic)
    data[f"condition_{code_id(clinic, 'severe_hepatic_impairment')}"] = "unsure"

    client.post(PORTAL_URL, data)

    answer = MedicalScreening.objects.get().condition_answers.get(
        contraindication__code="severe_hepatic_impairment"
    )
    assert answer.reported_present is None


@pytest.mark.parametrize(
    ("status", "present"),
    [
        (rules.PREGNANT, True),
        (rules.BREASTFEEDING, True),
        (rules.POSSIBLY_PREGNANT, None),
        (rules.NOT_PREGNANT, False),
    ],
)
def test_pregnancy_answer_fills_the_pregnancy_condition(
    client, patient_user, patient, clinic, status, present
):
    client.force_login(patient_user)

    client.post(PORTAL_URL, history_data(clinic, pregnancy=status))

    answer = MedicalScreening.objects.get().condition_answers.get(
        contraindication__code="pregnancy"
    )
    assert answer.reported_present is present


def test_a_patient_male_at_birth_is_not_asked_about_pregnancy(
    client, patient_user, patient, clinic
):
    patient.sex_at_birth = SexAtBirth.MALE
    patient.save(update_fields=["sex_at_birth"])
    client.force_login(patient_user)

    page = client.get(PORTAL_URL).content.decode()
    data = history_data(clinic)
    del data["pregnancy_status"]
    client.post(PORTAL_URL, data)

    assert "Are you pregnant" not in page
    assert MedicalScreening.objects.get().reported_pregnancy_status == rules.NOT_APPLICABLE


def test_an_inactive_condition_is_not_asked(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    client.get(PORTAL_URL)
    Contraindication.objects.filter(clinic=clinic, code="severe_hepatic_impairment").update(
        is_active=False
    )

    html = client.get(PORTAL_URL).content.decode()

    assert "Severe hepatic impairment" not in html


def test_the_portal_page_writes_to_the_signed_in_patients_record_only(
    client, patient_user, patient, other_patient, clinic
):
    client.force_login(patient_user)

    client.post(PORTAL_URL, history_data(clinic))

    assert MedicalScreening.objects.filter(patient=patient).count() == 1
    assert not MedicalScreening.objects.filter(patient=other_patient).exists()


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinician", "clinic_admin", "therapist", "outsider"]
)
def test_only_patients_use_the_portal_history(client, request, clinic, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(PORTAL_URL).status_code == 403
    assert client.post(PORTAL_URL, history_data(clinic)).status_code == 403
    assert not MedicalScreening.objects.exists()


def test_a_patient_account_without_a_record_gets_404(client, clinic):
    from kapcare.accounts.models import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.PATIENT, clinic=clinic))

    assert client.get(PORTAL_URL).status_code == 404


def test_portal_page_query_count_does_not_grow_with_the_history(
    client, patient_user, patient, clinic, django_assert_max_num_queries
):
    client.force_login(patient_user)
    client.post(
        PORTAL_URL,
        history_data(clinic, medications=[(f"Medicine {n}", "1 mg", "daily") for n in range(12)]),
    )

    # One more for the menu's count of unread messages.
    with django_assert_max_num_queries(18):
        response = client.get(PORTAL_URL)

    assert response.status_code == 200


# --- A clinician enters it for the patient ----------------------------------------------------


def test_clinician_enters_the_history_for_a_patient_without_an_account(
    client, clinician, other_patient, clinic
):
    client.force_login(clinician)

    response = client.post(staff_url(other_patient), history_data(clinic))

    assert response.status_code == 302
    assert response["Location"] == reverse("screening:review", args=[other_patient.external_id])
    screening = MedicalScreening.objects.get(patient=other_patient)
    assert screening.history_source == HistorySource.STAFF
    assert screening.history_entered_by_id == clinician.pk


def test_an_invalid_entry_by_a_clinician_is_logged_as_a_view(
    client, clinician, other_patient, clinic
):
    client.force_login(clinician)
    data = history_data(clinic, allergies="")

    client.post(staff_url(other_patient), data)

    assert list(AccessLogEntry.objects.values_list("action", "patient_id")) == [
        (AccessAction.VIEW, other_patient.pk)
    ]


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin", "therapist", "patient_user"])
def test_only_clinicians_enter_a_history_for_a_patient(client, request, patient, clinic, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(staff_url(patient)).status_code == 403
    assert client.post(staff_url(patient), history_data(clinic)).status_code == 403


def test_a_clinician_of_another_clinic_gets_404(client, outsider_clinician, patient, clinic):
    client.force_login(outsider_clinician)

    assert client.get(staff_url(patient)).status_code == 404
    assert client.post(staff_url(patient), history_data(clinic)).status_code == 404
    assert not MedicalScreening.objects.exists()


def test_history_for_another_clinic_uses_that_clinics_catalogue(
    client, outsider_clinician, other_clinic
):
    patient = PatientFactory(clinic=other_clinic)
    client.force_login(outsider_clinician)

    client.post(staff_url(patient), history_data(other_clinic))

    clinic_ids = set(
        MedicalScreening.objects.get().condition_answers.values_list(
            "contraindication__clinic_id", flat=True
        )
    )
    assert clinic_ids == {other_clinic.pk}
