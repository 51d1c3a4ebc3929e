"""The gates read from the records: each rule's fact gathered right from the database, the
waivers and fix links added, in a fixed number of queries whatever the history holds.

`ready_session` builds, through the services, a dosing session on which every gate
passes; each test then breaks one thing. The other gate tests import these helpers."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents.tests.test_documents_fixtures import sign
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.episodes import services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.models import CareSession, GateWaiver, SessionStatus
from kapcare.measures import services as measures_services
from kapcare.measures.models import Assessment, Source
from kapcare.patients.models import BodyMeasurement, Patient, SexAtBirth
from kapcare.screening import services as screening_services
from kapcare.screening.models import EligibilityDecision, HistorySource
from kapcare.screening.tests.conftest import history_report, review_report
from tests.factories import (
    BodyMeasurementFactory,
    UserFactory,
    in_the_loop,
    nurse_of,
    open_episode,
    plan_session,
    raise_alert,
    receive_lot,
    vouched,
)
from tests.second_factor import reauthenticated

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC)  # 8:30 AM in Chicago
DOSE = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # the planned start, 9:00 AM
GOOD_CHECKLIST = services.ChecklistInput(
    fasting_confirmed=True,
    escort_confirmed=True,
    pregnancy_test="negative",
    medication_changes_reviewed=True,
    blood_pressure_systolic=126,
    blood_pressure_diastolic=80,
)


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def make_eligible(patient, clinician, patient_user):
    screening = screening_services.submit_history(
        actor=actor(patient_user),
        patient=patient,
        report=history_report(patient.clinic),
        source=HistorySource.PATIENT,
    )
    screening_services.review_screening(
        actor=actor(clinician),
        patient=patient,
        screening=screening,
        review=review_report(screening),
        complete=True,
    )
    screening_services.decide_eligibility(
        actor=actor(clinician), patient=patient, decision="eligible"
    )


def complete_questionnaire(patient, by, instrument, at, answers=None):
    size = {"phq9": 9, "gad7": 7}[instrument]
    with time_machine.travel(at, tick=False):
        return measures_services.record_assessment(
            actor=actor(by),
            patient=patient,
            instrument=instrument,
            answers=answers or [0] * size,
            source=Source.STAFF,
        ).assessment


CONFIRMED = "Email from the therapist, the same day"


def record_done(session, by, at=None, confirmation=CONFIRMED):
    """Test setup: a dose is done by its discharge (the dosing record), another session by
    recording it — by clinic staff with the therapist's `confirmation`, so that it counts
    for the gates (pass "" for a session recorded without one)."""
    with time_machine.travel(at or NOW, tick=False):
        if session.kind == "dosing":
            return services.complete_dosing_session(actor=actor(by), session=session)
        return services.record_session_status(
            actor=actor(by),
            session=session,
            to_status=SessionStatus.DONE,
            therapist_confirmation=confirmation,
        )


def ready_episode(
    patient,
    clinician,
    patient_user,
    model="blended",
    *,
    signed=True,
    in_loop=True,
    shares=("schedule", "session_summaries"),
    prepared=True,
    **fields,
):
    """Eligible, consented, prepared (KAP), a therapist in the loop (KAP, unless `in_loop`
    is false: the episode's `therapist`, or a new one, authorised to see `shares`), PHQ-9
    and GAD-7 from yesterday, weighed yesterday: everything a first dose needs but the
    day-of checklist. The preparation is recorded by the clinician with the therapist's
    confirmation (none when `prepared` is false)."""
    make_eligible(patient, clinician, patient_user)
    if in_loop and model != "standalone":
        fields["therapist"] = in_the_loop(patient, clinician, fields.get("therapist"), shares)
    episode = open_episode(patient, clinician, model=model, **fields)
    if signed:
        sign(patient, by=patient_user)
    for state in ("screening", "eligible", "consented"):
        services.change_state(actor=actor(clinician), episode=episode, to_state=state)
    if episode.is_kap and prepared:
        preparation = plan_session(
            episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=5)
        )
        record_done(preparation, clinician)
    yesterday = NOW - dt.timedelta(days=1)
    complete_questionnaire(patient, clinician, "phq9", yesterday)
    complete_questionnaire(patient, clinician, "gad7", yesterday)
    BodyMeasurementFactory(patient=patient, recorded_by=clinician, measured_on=yesterday.date())
    return episode


def ready_session(patient, clinician, patient_user, model="blended", **fields) -> CareSession:
    """A planned dosing session at DOSE on which every gate passes (unless `fields` say
    otherwise)."""
    episode = ready_episode(patient, clinician, patient_user, model, **fields)
    session = plan_session(episode, clinician, starts_at=DOSE)
    services.record_day_of_checklist(actor=actor(clinician), session=session, data=GOOD_CHECKLIST)
    dose_checked(fetched(session), clinician)
    return fetched(session)


def dose_checked(session, clinician):
    """The dosing record's gates: the dose prescribed by the clinician from a lot of the
    register and checked by a nurse; in the in-session model, the therapist present."""
    record = recording.record_for(actor(clinician), session)
    receive_lot(session.patient.clinic, "KET-2611", dt.date(2027, 6, 30))
    record = dose_services.prescribe_dose(
        actor=actor(clinician),
        record=record,
        route=session.episode.dose_route,
        mg_per_kg=Decimal("0.5"),
        infusion_minutes=40,
        lot_number="KET-2611",
    )
    second = nurse_of(session.patient.clinic)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))
    if session.episode.model == "in_session":
        dose_services.record_set_and_setting(
            actor=actor(clinician),
            record=record,
            data=dose_services.SettingInput(therapist_present=True),
        )
    return record


def fetched(session) -> CareSession:
    """The session as the access helper fetches it."""
    return CareSession.objects.select_related("episode", "patient__clinic").get(pk=session.pk)


def give_dose(session, at):
    """Record `session` as a dose given at `at` (the start itself is tested elsewhere)."""
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DONE,
        started_at=at,
        planned_start=at,
        planned_end=at + dt.timedelta(hours=2),
    )


def gates_of(session) -> dict:
    return {g.rule: g for g in gate_facts.evaluate_for_session(fetched(session), NOW)}


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(patient, clinician, patient_user):
    return ready_session(patient, clinician, patient_user)


# --- A ready session ------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["in_session", "bracketed", "blended", "standalone"])
def test_a_ready_session_passes_every_gate(patient, clinician, patient_user, model):
    session = ready_session(patient, clinician, patient_user, model)

    failing = [g.rule for g in gate_facts.evaluate_for_session(session, NOW) if not g.passed]

    assert failing == []


def test_standalone_infusion_has_no_preparation_or_integration_gate(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user, "standalone")

    assert {"preparation", "integration"}.isdisjoint(gates_of(session))


def test_gates_are_evaluated_for_the_planned_start_while_it_is_ahead(session):
    report = gate_facts.gate_report(session, NOW)

    assert report.dose_at == DOSE


# --- Gates 1 and 2: eligibility and consent ---------------------------------------------------


def last_midnight_of_eligibility(patient) -> dt.datetime:
    """The end of the decision's last valid day, midnight in Chicago, in UTC."""
    valid_until = EligibilityDecision.objects.get(patient=patient).valid_until
    midnight = dt.datetime.combine(valid_until + dt.timedelta(days=1), dt.time(), CHICAGO)
    return midnight.astimezone(dt.UTC)


def test_eligibility_holds_through_its_last_day_in_the_clinics_time_zone(patient, session):
    last_minute = last_midnight_of_eligibility(patient) - dt.timedelta(minutes=1)

    report = gate_facts.gate_report(session, last_minute)

    assert next(g for g in report.gates if g.rule == "eligibility").passed


def test_expired_eligibility_fails_and_links_to_the_screening(patient, session):
    report = gate_facts.gate_report(session, last_midnight_of_eligibility(patient))

    gate = next(g for g in report.gates if g.rule == "eligibility")
    assert not gate.passed
    assert "expired" in gate.message
    assert gate.fix_url == reverse("screening:detail", args=[patient.external_id])


def test_unsigned_consent_fails_and_links_to_the_consents(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, signed=False)

    gate = gates_of(session)["consent"]

    assert not gate.passed
    assert gate.message == "The patient has not signed the treatment consent."
    assert gate.fix_url == reverse("consents:patient_consents", args=[patient.external_id])


# --- Gates 3 and 4: preparation and integration -----------------------------------------------


def test_trauma_history_needs_a_second_preparation_session(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, has_trauma_history=True)

    gate = gates_of(session)["preparation"]

    assert not gate.passed
    assert gate.fix_url == reverse("episodes:detail", args=[session.episode.external_id])


def test_a_planned_preparation_session_does_not_count(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, has_trauma_history=True)
    plan_session(
        session.episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=2)
    )

    assert not gates_of(session)["preparation"].passed


def test_a_second_done_preparation_session_passes_after_trauma(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, has_trauma_history=True)
    second = plan_session(
        session.episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=2)
    )
    record_done(second, clinician)

    assert gates_of(session)["preparation"].passed


@pytest.fixture
def second_dose(patient, clinician, session):
    """The ready session was the first dose, given three days ago; this is the next."""
    give_dose(session, NOW - dt.timedelta(days=3))
    # Another clinician: the first dose's appointment still holds DOSE on the calendar.
    colleague = UserFactory(role=Role.CLINICIAN, clinic=clinician.clinic)
    following = plan_session(session.episode, clinician, starts_at=DOSE, clinician=colleague)
    services.record_day_of_checklist(actor=actor(clinician), session=following, data=GOOD_CHECKLIST)
    return fetched(following)


def test_second_dose_without_integration_fails(second_dose):
    gate = gates_of(second_dose)["integration"]

    assert not gate.passed
    assert "since the previous dose" in gate.message


def test_integration_done_after_the_first_dose_passes(clinician, second_dose):
    integration = plan_session(
        second_dose.episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )
    record_done(integration, clinician)

    assert gates_of(second_dose)["integration"].passed


def test_integration_before_the_first_dose_does_not_count(clinician, second_dose):
    early = plan_session(
        second_dose.episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=4)
    )
    record_done(early, clinician)

    assert not gates_of(second_dose)["integration"].passed


# --- Gate 5: questionnaires -------------------------------------------------------------------


def test_phq9_eight_days_old_fails_and_links_to_sending_questionnaires(
    patient, clinician, patient_user
):
    episode = ready_episode(patient, clinician, patient_user)
    session = plan_session(episode, clinician, starts_at=DOSE)
    Assessment.objects.filter(patient=patient, instrument="phq9").update(
        completed_at=DOSE - dt.timedelta(days=8)
    )

    gate = gates_of(session)["measures"]

    assert not gate.passed
    assert "the last PHQ-9 was on Nov 23, 2026" in gate.message
    assert gate.fix_url == reverse("measures:send_link", args=[patient.external_id])


def test_later_dose_knows_the_baseline_from_before_the_first(patient, clinician, second_dose):
    complete_questionnaire(patient, clinician, "phq9", NOW - dt.timedelta(days=4))

    gate = gates_of(second_dose)["measures"]

    assert gate.passed
    assert not gate.warning


def test_later_dose_without_a_baseline_before_the_first_is_flagged(second_dose):
    # The ready episode's questionnaires are from yesterday, after the first dose.
    gate = gates_of(second_dose)["measures"]

    assert gate.passed
    assert gate.warning


# --- Gate 6: safety review --------------------------------------------------------------------


def test_open_safety_alert_fails_and_links_to_it(patient, clinician, session):
    alert = raise_alert(clinician, patient)

    gate = gates_of(session)["safety_review"]

    assert not gate.passed
    assert gate.fix_url == reverse("measures:alert", args=[alert.external_id])


def test_two_open_alerts_link_to_the_alert_list(patient, clinician, session):
    raise_alert(clinician, patient)
    raise_alert(clinician, patient)

    assert gates_of(session)["safety_review"].fix_url == reverse("measures:alerts")


def test_reviewed_safety_alert_passes(patient, clinician, session):
    alert = raise_alert(clinician, patient)
    measures_services.review_alert(actor=actor(clinician), alert=alert, note="Called; safe.")

    assert gates_of(session)["safety_review"].passed


def test_another_patients_alert_does_not_count(clinician, other_patient, session):
    raise_alert(clinician, other_patient)

    assert gates_of(session)["safety_review"].passed


# --- Gate 7: interval -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "passed"),
    [(dt.timedelta(hours=47, minutes=59), False), (dt.timedelta(hours=48), True)],
)
def test_interval_since_a_dose_of_any_episode(
    patient, clinician, patient_user, session, before, passed
):
    earlier_episode = open_episode(patient, clinician, model="standalone")
    earlier = plan_session(earlier_episode, clinician, starts_at=NOW - dt.timedelta(days=9))
    give_dose(earlier, DOSE - before)

    assert gates_of(session)["dose_interval"].passed is passed


def test_a_cancelled_dose_is_not_a_previous_dose(clinician, session):
    cancelled = plan_session(session.episode, clinician, starts_at=NOW - dt.timedelta(days=1))
    services.record_session_status(
        actor=actor(clinician), session=cancelled, to_status="cancelled", note="Unwell."
    )

    gates = gates_of(session)

    assert gates["dose_interval"].passed
    assert gates["integration"].passed


# --- Gates 8 and 9: day of --------------------------------------------------------------------


def test_no_checklist_fails_both_day_of_gates_and_links_to_the_form(
    patient, clinician, patient_user
):
    episode = ready_episode(patient, clinician, patient_user)
    session = plan_session(episode, clinician, starts_at=DOSE)

    gates = gates_of(session)

    assert not gates["day_of_checklist"].passed
    assert not gates["blood_pressure"].passed
    page = reverse("gates:session", args=[session.external_id])
    assert gates["day_of_checklist"].fix_url == f"{page}#checklist"
    assert gates["blood_pressure"].fix_url == f"{page}#checklist"


def test_weight_older_than_thirty_days_links_to_a_new_measurement(patient, session):
    BodyMeasurement.objects.filter(patient=patient).update(measured_on=dt.date(2026, 10, 31))

    gate = gates_of(session)["day_of_checklist"]

    assert not gate.passed
    assert gate.fix_url == reverse("patients:body_measurement_create", args=[patient.external_id])


def test_a_height_alone_is_not_a_weight(patient, clinician, session):
    BodyMeasurement.objects.filter(patient=patient).update(measured_on=dt.date(2026, 10, 1))
    BodyMeasurementFactory(
        patient=patient, recorded_by=clinician, measured_on=dt.date(2026, 11, 30), weight_kg=None
    )

    assert not gates_of(session)["day_of_checklist"].passed


def test_male_patient_needs_no_pregnancy_test(patient, clinician, session):
    Patient.objects.filter(pk=patient.pk).update(sex_at_birth=SexAtBirth.MALE)
    services.record_day_of_checklist(
        actor=actor(clinician),
        session=session,
        data=services.ChecklistInput(**{**GOOD_CHECKLIST.__dict__, "pregnancy_test": "not_done"}),
    )

    assert gates_of(session)["day_of_checklist"].passed


def test_female_patient_needs_the_pregnancy_test(clinician, session):
    services.record_day_of_checklist(
        actor=actor(clinician),
        session=session,
        data=services.ChecklistInput(**{**GOOD_CHECKLIST.__dict__, "pregnancy_test": "not_done"}),
    )

    gate = gates_of(session)["day_of_checklist"]

    assert gate.message == "Still to confirm: a negative pregnancy test."


def test_blood_pressure_at_the_clinics_hold_level_fails(clinic, clinician, session):
    clinic.bp_warn_systolic, clinic.bp_hold_systolic = 120, 126
    clinic.save(update_fields=["bp_warn_systolic", "bp_hold_systolic"])

    assert not gates_of(session)["blood_pressure"].passed


# --- Waivers ----------------------------------------------------------------------------------


def hold_blood_pressure(session, clinician):
    data = {**GOOD_CHECKLIST.__dict__, "blood_pressure_systolic": 172}
    services.record_day_of_checklist(
        actor=actor(clinician), session=session, data=services.ChecklistInput(**data)
    )


def test_a_waiver_shows_on_its_rule(patient, clinician, session):
    hold_blood_pressure(session, clinician)
    services.waive_gate(
        actor=actor(clinician),
        session=session,
        rule="blood_pressure",
        reason="Rechecked after rest.",
        reauthentication=reauthenticated(clinician),
    )

    gate = gates_of(session)["blood_pressure"]

    assert (gate.passed, gate.waived, gate.blocks) == (False, True, False)
    assert gate.status_label == "Waived"


def test_a_waiver_of_another_session_does_not_count(patient, clinician, session):
    hold_blood_pressure(session, clinician)
    other = plan_session(session.episode, clinician, starts_at=DOSE + dt.timedelta(days=3))
    services.waive_gate(
        actor=actor(clinician),
        session=other,
        rule="blood_pressure",
        reason="Rechecked after rest.",
        reauthentication=reauthenticated(clinician),
    )

    assert GateWaiver.objects.count() == 1
    assert gates_of(session)["blood_pressure"].blocks


def test_the_safety_review_is_never_offered_for_a_waiver(patient, clinician, session):
    raise_alert(clinician, patient)

    gate = gates_of(session)["safety_review"]

    assert (gate.blocks, gate.waivable) == (True, False)


# --- Queries ----------------------------------------------------------------------------------


def test_gates_page_queries_do_not_grow_with_the_history(
    client, patient, clinician, session, django_assert_max_num_queries
):
    client.force_login(clinician)
    url = reverse("gates:session", args=[session.external_id])
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    episode = session.episode
    for day in range(2, 8):
        done = plan_session(
            episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=day)
        )
        record_done(done, clinician)
        complete_questionnaire(patient, clinician, "phq9", NOW - dt.timedelta(days=day))
        complete_questionnaire(patient, clinician, "gad7", NOW - dt.timedelta(days=day))
        raise_alert(clinician, patient)
        BodyMeasurementFactory(patient=patient, recorded_by=clinician)
    hold_blood_pressure(session, clinician)
    for rule in ("blood_pressure",):
        services.waive_gate(
            actor=actor(clinician),
            session=session,
            rule=rule,
            reason="Seen.",
            reauthentication=reauthenticated(clinician),
        )

    with django_assert_max_num_queries(len(first)):
        assert client.get(url).status_code == 200
