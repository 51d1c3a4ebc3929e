"""Eligibility decisions: refused as the rules say, signed, immutable, superseded by the next,
valid for the clinic's number of months and then expired."""

import datetime as dt
import zoneinfo
from html import unescape

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.screening import rules, services, status
from kapcare.screening.models import EligibilityDecision
from kapcare.screening.tests.conftest import actor

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def decision_url(patient):
    return reverse("screening:eligibility", args=[patient.external_id])


def decide(client, patient, decision, conditions="", justification=""):
    return client.post(
        decision_url(patient),
        {"decision": decision, "conditions": conditions, "justification": justification},
    )


def test_no_decision_before_the_screening_is_completed(client, clinician, patient, submit_history):
    submit_history(patient)
    client.force_login(clinician)

    page = client.get(decision_url(patient))
    response = decide(client, patient, rules.ELIGIBLE)

    assert page.status_code == 200
    assert "must first be completed and signed" in page.content.decode()
    assert "completed and signed by a clinician" in unescape(response.content.decode())
    assert not EligibilityDecision.objects.exists()


def test_no_decision_without_any_screening(client, clinician, patient):
    client.force_login(clinician)

    response = decide(client, patient, rules.NOT_ELIGIBLE, justification="Not seen yet")

    assert response.status_code == 200
    assert not EligibilityDecision.objects.exists()


def test_the_page_shows_the_reasons_drawn_from_the_screening(
    client, clinician, patient, completed_screening
):
    completed_screening(
        patient,
        present={"psychotic_disorder_history"},
        medications=[("Adderall XR", "20 mg", "daily")],
        systolic=150,
        diastolic=92,
    )
    client.force_login(clinician)

    html = client.get(decision_url(patient)).content.decode()

    assert "History of a psychotic disorder" in html
    assert '<span class="badge badge-warn">Relative</span>' in html
    assert "Adderall XR 20 mg daily — Stimulants" in html
    assert "150/92 mmHg" in html
    assert "At or above warning level" in html
    assert "Justification needed" in html


def test_the_page_says_an_absolute_contraindication_blocks_eligibility(
    client, clinician, patient, completed_screening
):
    completed_screening(patient, present={"severe_hepatic_impairment"})
    client.force_login(clinician)

    html = client.get(decision_url(patient)).content.decode()

    assert '<span class="badge badge-danger">Absolute</span> Severe hepatic impairment' in html
    assert "Blocks eligibility" in html


def test_clinician_finds_a_clear_patient_eligible(client, clinician, patient, completed_screening):
    screening = completed_screening(patient)
    client.force_login(clinician)

    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=CHICAGO), tick=False):
        response = decide(client, patient, rules.ELIGIBLE)

    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.decision == rules.ELIGIBLE
    assert decision.decided_by_id == clinician.pk
    assert decision.screening_id == screening.pk
    assert decision.valid_until == dt.date(2027, 3, 1)
    assert decision.reasons.startswith("No contraindication")
    assert decision.screening_snapshot["version"] == screening.version
    assert decision.screening_snapshot["blood_pressure"] == "124/78"


def test_validity_is_counted_from_the_clinics_date(client, clinician, patient, completed_screening):
    completed_screening(patient)
    client.force_login(clinician)

    # 03:00 UTC on Mar 2 is still Mar 1 in Chicago.
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        decide(client, patient, rules.ELIGIBLE)

    assert EligibilityDecision.objects.get().valid_until == dt.date(2027, 2, 28)


def test_validity_follows_the_clinics_setting(
    client, clinician, patient, clinic, completed_screening
):
    clinic.eligibility_valid_months = 6
    clinic.save(update_fields=["eligibility_valid_months"])
    completed_screening(patient)
    client.force_login(clinician)

    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=CHICAGO), tick=False):
        decide(client, patient, rules.ELIGIBLE)

    assert EligibilityDecision.objects.get().valid_until == dt.date(2026, 9, 1)


@pytest.mark.parametrize("decision", [rules.ELIGIBLE, rules.ELIGIBLE_WITH_CONDITIONS])
def test_an_absolute_contraindication_refuses_eligible_and_names_it(
    client, clinician, patient, completed_screening, decision
):
    completed_screening(patient, present={"active_psychosis"})
    client.force_login(clinician)

    response = decide(
        client, patient, decision, conditions="Close follow-up", justification="I know best"
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["decision"]
    assert "Absolute contraindication present: Active psychosis" in errors[0]
    assert "Close follow-up" in response.content.decode()
    assert not EligibilityDecision.objects.exists()


def test_an_absolute_contraindication_allows_not_eligible(
    client, clinician, patient, completed_screening
):
    completed_screening(patient, present={"aneurysm"})
    client.force_login(clinician)

    response = decide(client, patient, rules.NOT_ELIGIBLE)

    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.valid_until is None
    assert decision.reason_lines == [
        "Absolute contraindication: Aneurysm or arteriovenous malformation"
    ]


def test_a_relative_contraindication_needs_a_justification(
    client, clinician, patient, completed_screening
):
    completed_screening(patient, present={"psychotic_disorder_history"})
    client.force_login(clinician)

    refused = decide(client, patient, rules.ELIGIBLE)
    accepted = decide(
        client, patient, rules.ELIGIBLE, justification="Single episode in 2009, well since."
    )

    assert "History of a psychotic disorder" in refused.context["form"].errors["justification"][0]
    assert accepted.status_code == 302
    assert EligibilityDecision.objects.get().justification == "Single episode in 2009, well since."


def test_an_interacting_medication_needs_a_justification(
    client, clinician, patient, completed_screening
):
    completed_screening(patient, medications=[("Klonopin", "1 mg", "nightly")])
    client.force_login(clinician)

    response = decide(client, patient, rules.ELIGIBLE)

    assert "Benzodiazepines" in response.context["form"].errors["justification"][0]


def test_eligible_with_conditions_needs_the_conditions(
    client, clinician, patient, completed_screening
):
    completed_screening(patient)
    client.force_login(clinician)

    response = decide(client, patient, rules.ELIGIBLE_WITH_CONDITIONS)

    assert response.context["form"].errors["conditions"] == [
        "Write the conditions the patient is eligible under."
    ]


def test_deciding_is_logged_as_a_create(client, clinician, patient, completed_screening):
    completed_screening(patient)
    client.force_login(clinician)

    decide(client, patient, rules.ELIGIBLE)

    entry = AccessLogEntry.objects.filter(actor=clinician).latest("id")
    assert (entry.action, entry.object_type, entry.patient_id) == (
        AccessAction.CREATE,
        "eligibilitydecision",
        patient.pk,
    )
    assert entry.object_id == str(EligibilityDecision.objects.get().external_id)


def test_a_refused_decision_is_logged_as_a_view(client, clinician, patient, completed_screening):
    completed_screening(patient, present={"active_psychosis"})
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    decide(client, patient, rules.ELIGIBLE)

    rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.patient_id) for r in rows] == [(AccessAction.VIEW, patient.pk)]


# --- Signed and immutable ---------------------------------------------------------------------


@pytest.fixture
def decision(patient, clinician, completed_screening):
    completed_screening(patient)
    return services.decide_eligibility(
        actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
    )


def test_a_decision_cannot_be_saved_again(decision):
    decision.justification = "Changed my mind"

    with pytest.raises(PermissionError):
        decision.save()


def test_a_decision_cannot_be_updated_or_deleted_through_the_queryset(decision):
    with pytest.raises(PermissionError):
        EligibilityDecision.objects.filter(pk=decision.pk).update(decision=rules.NOT_ELIGIBLE)
    with pytest.raises(PermissionError):
        EligibilityDecision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(PermissionError):
        decision.delete()


def test_the_database_refuses_to_change_a_decision(decision):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_eligibilitydecision SET justification = 'x' WHERE id = %s",
            [decision.pk],
        )


def test_a_new_decision_supersedes_the_old_one(client, clinician, patient, decision):
    client.force_login(clinician)

    decide(client, patient, rules.NOT_ELIGIBLE, justification="Declined after discussion")

    assert EligibilityDecision.objects.count() == 2
    current = status.eligibility_for(patient, timezone.localdate())
    assert current.decision.decision == rules.NOT_ELIGIBLE
    assert current.status.label == "Not eligible"
    html = client.get(decision_url(patient)).content.decode()
    assert "Superseded" in html
    assert "Declined after discussion" in html


# --- Validity and expiry ----------------------------------------------------------------------


def test_status_is_eligible_until_the_last_valid_day_then_expired(
    patient, clinician, completed_screening
):
    completed_screening(patient)
    with time_machine.travel(dt.datetime(2026, 1, 15, 10, 0, tzinfo=CHICAGO), tick=False):
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )

    on_last_day = status.eligibility_for(patient, dt.date(2027, 1, 14)).status
    a_day_later = status.eligibility_for(patient, dt.date(2027, 1, 15)).status

    assert on_last_day.label == "Eligible until Jan 14, 2027"
    assert on_last_day.is_eligible
    assert a_day_later.label == "Expired on Jan 15, 2027"
    assert not a_day_later.is_eligible


def test_chart_shows_the_decision_expired_once_the_year_is_over(
    client, clinician, patient, completed_screening
):
    completed_screening(patient)
    with time_machine.travel(dt.datetime(2026, 1, 15, 10, 0, tzinfo=CHICAGO), tick=False):
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )
    with time_machine.travel(dt.datetime(2027, 1, 15, 9, 0, tzinfo=CHICAGO), tick=False):
        client.force_login(clinician)
        html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert '<span class="badge badge-warn">Expired on Jan 15, 2027</span>' in html


def test_an_absolute_contraindication_screened_after_the_decision_needs_review(
    patient, clinician, decision, completed_screening
):
    completed_screening(patient, present={"active_substance_use_disorder"})

    current = status.eligibility_for(patient, timezone.localdate())

    assert current.status.state == rules.REVIEW_NEEDED
    assert not current.status.is_eligible
    assert "Active substance use disorder" in current.status.detail
    assert current.screening_changed_since


def test_a_clear_screening_after_the_decision_keeps_it_eligible_but_notes_the_change(
    patient, decision, completed_screening
):
    completed_screening(patient)

    current = status.eligibility_for(patient, timezone.localdate())

    assert current.status.is_eligible
    assert current.screening_changed_since


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinic_admin", "therapist", "patient_user", "outsider"]
)
def test_only_clinicians_decide_eligibility(client, request, patient, completed_screening, persona):
    completed_screening(patient)
    client.force_login(request.getfixturevalue(persona))

    assert client.get(decision_url(patient)).status_code == 403
    assert decide(client, patient, rules.ELIGIBLE).status_code == 403
    assert not EligibilityDecision.objects.exists()


def test_a_clinician_of_another_clinic_gets_404(
    client, outsider_clinician, patient, completed_screening
):
    completed_screening(patient)
    client.force_login(outsider_clinician)

    assert client.get(decision_url(patient)).status_code == 404
    assert decide(client, patient, rules.ELIGIBLE).status_code == 404
    assert not EligibilityDecision.objects.exists()


def test_decision_page_query_count_does_not_grow_with_decisions(
    client, clinician, patient, completed_screening, django_assert_max_num_queries
):
    completed_screening(patient, medications=[(f"Medicine {n}", "1 mg", "daily") for n in range(8)])
    for _ in range(6):
        services.decide_eligibility(
            actor=actor(clinician), patient=patient, decision=rules.ELIGIBLE
        )
    client.force_login(clinician)

    with django_assert_max_num_queries(16):
        response = client.get(decision_url(patient))

    assert response.status_code == 200
