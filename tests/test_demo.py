"""`manage.py demo`: the demo data set a new developer signs in to."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.clinics.models import Clinic
from kapcare.dosing.models import (
    AdverseEvent,
    ControlledSubstanceEntry,
    DischargeAssessment,
    DosingRecord,
    Intervention,
    Observation,
    PatientExperience,
    TherapistSummary,
)
from kapcare.episodes.models import DayOfChecklist, GateWaiver
from kapcare.intake.models import ConsultationRequest, RequestStatus
from kapcare.patients.models import BodyMeasurement, Patient

DEMO_LOGINS = {
    "coordinator@demo.kapcare.org": (Role.COORDINATOR, "music-city"),
    "clinician@demo.kapcare.org": (Role.CLINICIAN, "music-city"),
    "admin@demo.kapcare.org": (Role.ADMIN, "music-city"),
    "therapist@demo.kapcare.org": (Role.THERAPIST, None),
    "patient@demo.kapcare.org": (Role.PATIENT, "music-city"),
    "admin@cumberland.demo.kapcare.org": (Role.ADMIN, "cumberland-infusion"),
    "coordinator@cumberland.demo.kapcare.org": (Role.COORDINATOR, "cumberland-infusion"),
}


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    return run_demo()


@pytest.mark.django_db
def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        run_demo()

    assert not Clinic.objects.exists()
    assert not User.objects.exists()


def test_demo_builds_two_clinics_in_their_time_zones(demo):
    music_city = Clinic.objects.get(slug="music-city")
    assert music_city.name == "Music City Ketamine"
    assert music_city.time_zone == "America/Chicago"
    assert music_city.phone == "615-555-0123"
    assert music_city.email.endswith("@demo.kapcare.org")
    assert music_city.clinical_inbox.endswith("@demo.kapcare.org")
    cumberland = Clinic.objects.get(slug="cumberland-infusion")
    assert cumberland.name == "Cumberland Infusion Center"
    assert cumberland.time_zone == "America/New_York"


def test_demo_creates_one_sign_in_per_role_with_the_right_clinic(demo):
    users = {user.email: user for user in User.objects.select_related("clinic")}

    assert set(users) == set(DEMO_LOGINS)
    for email, (role, clinic_slug) in DEMO_LOGINS.items():
        assert users[email].role == role, email
        assert (users[email].clinic.slug if users[email].clinic else None) == clinic_slug, email
        assert " " in users[email].full_name, email
    assert users["clinician@demo.kapcare.org"].credentials == "CRNA"
    assert users["therapist@demo.kapcare.org"].credentials == "LMFT"


def test_demo_patient_sign_in_is_linked_to_a_patient_record(demo):
    patient = Patient.objects.get(user__email="patient@demo.kapcare.org")

    assert patient.clinic.slug == "music-city"
    assert patient.full_name == patient.user.full_name


@pytest.mark.parametrize("email", sorted(DEMO_LOGINS))
def test_each_demo_user_can_sign_in_with_the_demo_password(demo, client, email):
    response = client.post(
        reverse("accounts:login"), {"username": email, "password": "kapcare-demo"}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


def test_demo_gives_each_clinic_its_patients(demo):
    assert Patient.objects.filter(clinic__slug="music-city").count() == 20
    assert Patient.objects.filter(clinic__slug="cumberland-infusion").count() == 3


def test_demo_patients_have_varied_demographics(demo):
    patients = Patient.objects.filter(clinic__slug="music-city")

    assert len({p.sex_at_birth for p in patients}) >= 3
    assert len({p.city for p in patients}) >= 4
    assert any(p.preferred_name for p in patients)
    assert any(p.pronouns == "they/them" for p in patients)
    ages = [p.age_on(p.created_at.date()) for p in patients]
    assert min(ages) >= 21
    assert max(ages) - min(ages) >= 25


def test_each_demo_patient_has_a_height_and_two_to_four_weights(demo):
    for patient in Patient.objects.all():
        measurements = BodyMeasurement.objects.filter(patient=patient)
        weights = [m for m in measurements if m.weight_kg is not None]
        heights = [m for m in measurements if m.height_cm is not None]
        screened = patient.medical_screenings.filter(completed_at__isnull=False).count()
        # A dosing day records a weight when none is recent (gate 8).
        dosing_days = {
            timezone.localdate(session.planned_start, patient.clinic.zone)
            for session in patient.care_sessions.filter(kind="dosing")
        }
        weights = [m for m in weights if m.measured_on not in dosing_days]
        assert 2 <= len(weights) <= 4 + screened, patient
        assert len(heights) == 1, patient
        assert len({m.measured_on for m in measurements}) == len(measurements), patient


def test_demo_records_are_created_by_clinic_staff_in_the_access_log(demo):
    for patient in Patient.objects.select_related("clinic"):
        entries = AccessLogEntry.objects.filter(patient=patient, action=AccessAction.CREATE)
        created = (
            1
            + patient.body_measurements.count()
            + patient.assessments.count()
            + patient.medical_screenings.count()
            + patient.eligibility_decisions.count()
            + patient.consent_signatures.count()
            + patient.sharing_authorizations.count()
            + patient.episodes.count()
            + patient.care_sessions.count()
            + patient.appointments.count()
            + DayOfChecklist.objects.filter(patient=patient).count()
            + GateWaiver.objects.filter(patient=patient).count()
            + DosingRecord.objects.filter(patient=patient).count()
            # One row per reading of vital signs (its observations are written together).
            + Observation.objects.filter(patient=patient).values("reading_id").distinct().count()
            + AdverseEvent.objects.filter(patient=patient).count()
            + Intervention.objects.filter(record__patient=patient).count()
            + DischargeAssessment.objects.filter(record__patient=patient).count()
            + ControlledSubstanceEntry.objects.filter(patient=patient).count()
            + PatientExperience.objects.filter(patient=patient).count()
            + TherapistSummary.objects.filter(patient=patient).count()
        )
        assert entries.count() == created, patient
        for entry in entries:
            assert entry.channel == Channel.SYSTEM
            assert entry.clinic_id == patient.clinic_id
            assert entry.actor.clinic_id == patient.clinic_id
            # Staff create records; a patient only sends their own health history, signs
            # their own consents and authorisations, and tells how a session went.
            assert entry.actor_role in {Role.COORDINATOR, Role.CLINICIAN} or (
                entry.actor_id == patient.user_id
                and entry.object_type
                in {"medicalscreening", "signature", "sharingauthorization", "patientexperience"}
            )


def test_demo_has_consultation_requests_in_every_status(demo):
    requests = ConsultationRequest.objects.filter(clinic__slug="music-city")
    statuses = {request.status for request in requests}

    assert statuses == set(RequestStatus.values)
    converted = requests.get(status=RequestStatus.CONVERTED)
    assert converted.patient.clinic_id == converted.clinic_id
    assert converted.patient.full_name == converted.full_name
    for request in requests.exclude(status=RequestStatus.NEW):
        assert request.status_changes.last().to_status == request.status


def test_second_run_changes_nothing(demo):
    counts = (User.objects.count(), Patient.objects.count(), AccessLogEntry.objects.count())

    output = run_demo()

    assert "already loaded" in output
    assert (User.objects.count(), Patient.objects.count(), AccessLogEntry.objects.count()) == counts


def test_demo_prints_the_sign_ins(demo):
    assert "kapcare-demo" in demo
    for email in DEMO_LOGINS:
        assert email in demo


def test_demo_has_questionnaire_histories_and_one_open_safety_alert(demo):
    from kapcare.measures.models import Assessment, SafetyAlert

    music_city = Clinic.objects.get(slug="music-city")
    completed = Assessment.objects.filter(patient__clinic=music_city, status="completed")
    assert completed.filter(instrument="phq9").values("patient").distinct().count() >= 5
    assert {"phq9", "gad7", "pcl5", "cssrs_screen"} <= set(
        completed.values_list("instrument", flat=True)
    )
    assert SafetyAlert.objects.filter(clinic=music_city, reviewed_at__isnull=True).count() == 1
    assert SafetyAlert.objects.filter(clinic=music_city, reviewed_at__isnull=False).count() == 1


def test_demo_portal_patient_has_a_phq9_response(demo):
    from kapcare.measures import scoring
    from kapcare.measures.models import Assessment

    totals = list(
        Assessment.objects.filter(
            patient__user__email="patient@demo.kapcare.org", instrument="phq9"
        )
        .order_by("completed_at")
        .values_list("total", flat=True)
    )
    assert scoring.is_response(totals[0], totals[-1])


def test_demo_has_every_eligibility_outcome_and_a_history_awaiting_review(demo):
    from kapcare.screening import rules
    from kapcare.screening.models import EligibilityDecision, HistorySource, MedicalScreening

    decisions = EligibilityDecision.objects.filter(patient__clinic__slug="music-city")
    assert set(decisions.values_list("decision", flat=True)) == {
        rules.ELIGIBLE,
        rules.ELIGIBLE_WITH_CONDITIONS,
        rules.NOT_ELIGIBLE,
    }
    refused = decisions.get(decision=rules.NOT_ELIGIBLE)
    assert "psychosis" in refused.reasons.lower()
    assert refused.valid_until is None
    waiting = MedicalScreening.objects.filter(completed_at__isnull=True)
    assert waiting.count() == 1
    portal_history = MedicalScreening.objects.get(patient__user__email="patient@demo.kapcare.org")
    assert portal_history.history_source == HistorySource.PATIENT


def test_demo_portal_patient_has_signed_the_consent_and_shares_everything_with_the_therapist(
    demo,
):
    from kapcare.consents import services
    from kapcare.consents.models import SharingAuthorization, SigningMethod
    from kapcare.policy import Scope, shared_scopes

    patient = Patient.objects.get(user__email="patient@demo.kapcare.org")
    therapist = User.objects.get(email="therapist@demo.kapcare.org")

    status, signature, _ = services.treatment_consent_status(patient)
    assert (status, signature.method) == ("current", SigningMethod.PORTAL)
    assert signature.hash_matches
    live = SharingAuthorization.objects.live().get(patient=patient)
    assert (live.therapist_id, live.therapist_name) == (therapist.pk, "Rachel Kim")
    assert live.signature.method == SigningMethod.PORTAL
    assert shared_scopes(therapist, patient) == set(Scope.values)


def test_demo_has_tablet_consents_witnessed_by_staff(demo):
    from kapcare.consents.models import Signature, SigningMethod

    on_tablet = Signature.objects.filter(kind="treatment", method=SigningMethod.CLINIC_TABLET)
    witnesses = {signature.witnessed_by.email for signature in on_tablet}
    assert "coordinator@demo.kapcare.org" in witnesses
    assert Signature.objects.filter(kind="treatment").values("patient").distinct().count() >= 3


def test_demo_therapist_has_one_expired_and_one_revoked_authorisation(demo):
    from django.utils import timezone

    from kapcare.consents.models import SharingAuthorization
    from kapcare.policy import visible_patients

    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    now = timezone.now()
    statuses = sorted(
        (authorization.status_on(now), authorization.patient.user_id is None)
        for authorization in SharingAuthorization.objects.filter(therapist=therapist)
    )
    assert statuses == [("active", False), ("expired", True), ("revoked", True)]
    expired = SharingAuthorization.objects.get(therapist=therapist, expires_at__lte=now)
    assert expired.expires_on < timezone.localdate(now, expired.clinic.zone)
    assert [p.user.email for p in visible_patients(therapist)] == ["patient@demo.kapcare.org"]


def test_demo_has_an_episode_in_every_state_and_every_model(demo):
    from kapcare.episodes.models import CareModel, Episode, EpisodeState

    episodes = Episode.objects.filter(clinic__slug="music-city")
    assert set(episodes.values_list("state", flat=True)) == set(EpisodeState.values)
    assert set(episodes.values_list("model", flat=True)) == set(CareModel.values)
    for episode in episodes:
        transitions = list(episode.transitions.values_list("to_state", flat=True))
        assert transitions[-1] == episode.state, episode


def test_demo_books_a_week_ahead_with_one_dose_blocked_and_one_given_under_a_waiver(demo):
    from kapcare.episodes import gate_facts
    from kapcare.episodes.models import CareSession

    now = timezone.now()
    ahead = CareSession.objects.filter(
        patient__clinic__slug="music-city",
        status="planned",
        planned_start__gte=now,
        planned_start__lt=now + dt.timedelta(days=8),
    ).select_related("episode", "patient__clinic")
    assert ahead.filter(kind="dosing").count() >= 3
    assert ahead.exclude(kind="dosing").exists()
    blocked = {
        session.patient.full_name: {g.rule for g in gate_facts.gate_report(session, now).blocking}
        for session in ahead.filter(kind="dosing")
    }
    assert any("safety_review" in rules for rules in blocked.values())
    waiver = GateWaiver.objects.get(patient__user__email="patient@demo.kapcare.org")
    assert (waiver.rule, waiver.session.status) == ("integration", "done")
    assert waiver.reason


def test_demo_shows_an_overdue_integration_to_the_front_desk(demo, client):
    client.force_login(User.objects.get(email="coordinator@demo.kapcare.org"))

    content = client.get(reverse("coordinator_home")).content.decode()

    assert "Integration overdue" in content
    assert "Robert Haynes" in content


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC),  # a Sunday morning in Nashville
        dt.datetime(2026, 11, 24, 4, 30, tzinfo=dt.UTC),  # 10:30 PM the evening before
        dt.datetime(2026, 11, 27, 23, 45, tzinfo=dt.UTC),  # a Friday, after closing
    ],
)
def test_demo_loads_whatever_the_day_and_hour(db, settings, moment):
    """Sessions are placed relative to the moment the demo is loaded: past doses are
    given at their own time, today's is under way however late it is."""
    import time_machine

    from kapcare.episodes.models import Episode, EpisodeState

    settings.DEBUG = True
    with time_machine.travel(moment, tick=False):
        run_demo()

    states = set(Episode.objects.values_list("state", flat=True))
    assert states == set(EpisodeState.values)


def test_demo_has_signed_dosing_records_one_hypertension_event_and_one_session_under_way(
    demo, client
):
    from kapcare.episodes.models import CareSession

    records = DosingRecord.objects.filter(clinic__slug="music-city")
    done = records.filter(session__status="done")
    assert done.count() >= 10
    assert not done.filter(signed_at__isnull=True).exists()
    assert all(r.signed_at > r.discharged_at > r.dose_ended_at for r in done)
    assert Observation.objects.filter(record__in=done).count() >= 9 * 6 * done.count()
    event = AdverseEvent.objects.get(record__clinic__slug="music-city")
    assert event.kind == "hypertension"
    assert Observation.objects.filter(record=event.record).exclude(alert_threshold="").exists()
    under_way = CareSession.objects.get(status="in_progress")
    assert timezone.localdate(under_way.started_at, under_way.episode.clinic.zone) == (
        timezone.localdate(timezone.now(), under_way.episode.clinic.zone)
    )
    released = TherapistSummary.objects.get(released_at__isnull=False)
    assert released.patient.user.email == "patient@demo.kapcare.org"

    client.force_login(User.objects.get(email="clinician@demo.kapcare.org"))
    register = client.get(reverse("substances:register"))
    assert register.status_code == 200
    assert register.context["discrepancies"] == []
    assert "Reconciled" in register.content.decode()
