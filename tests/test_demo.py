"""`manage.py demo`: the demo data set a new developer signs in to."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.billing.models import CoverageRecord, GoodFaithEstimate
from kapcare.clinics.models import Clinic
from kapcare.dosing.esketamine.models import (
    NasalDevice,
    RemsEnrolment,
    RemsFormSubmission,
    ResolutionCheck,
)
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
from kapcare.education.models import AfterCareHandover, EducationReceipt
from kapcare.episodes.models import DayOfChecklist, GateWaiver, counted_therapy_sessions
from kapcare.intake.models import ConsultationRequest, RequestStatus
from kapcare.journal.models import JournalEntry
from kapcare.messaging.models import Message, Thread
from kapcare.notifications.models import Notification
from kapcare.patients.models import BodyMeasurement, Patient
from kapcare.therapists.models import TherapistInvitation, TherapistProfile

DEMO_LOGINS = {
    "coordinator@demo.kapcare.org": (Role.COORDINATOR, "music-city"),
    "clinician@demo.kapcare.org": (Role.CLINICIAN, "music-city"),
    "nurse@demo.kapcare.org": (Role.NURSE, "music-city"),
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
    users = {
        user.email: user
        for user in User.objects.select_related("clinic")
        if user.has_usable_password()
    }

    assert set(users) == set(DEMO_LOGINS)
    # The only other account is the invited therapist's, unusable until he accepts.
    others = User.objects.exclude(email__in=DEMO_LOGINS)
    assert [(u.email, u.has_usable_password()) for u in others] == [
        ("sam.ortega@example.com", False)
    ]
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
            + Thread.objects.filter(patient=patient).count()
            + Message.objects.filter(thread__patient=patient).count()
            + JournalEntry.objects.filter(patient=patient).count()
            # Esketamine under its REMS: the enrolment, each nasal device, each check that
            # its effects resolved, each monitoring form sent.
            + RemsEnrolment.objects.filter(patient=patient).count()
            + NasalDevice.objects.filter(patient=patient).count()
            + ResolutionCheck.objects.filter(record__patient=patient).count()
            + RemsFormSubmission.objects.filter(record__patient=patient).count()
            # Money: coverage answers and Good Faith Estimates; patient education: the
            # guides read and the after-care pages handed over (the calendar's changes are
            # logged as updates of the session).
            + CoverageRecord.objects.filter(patient=patient).count()
            + GoodFaithEstimate.objects.filter(patient=patient).count()
            + EducationReceipt.objects.filter(patient=patient).count()
            + AfterCareHandover.objects.filter(patient=patient).count()
        )
        assert entries.count() == created, patient
        for entry in entries:
            assert entry.channel == Channel.SYSTEM
            assert entry.clinic_id == patient.clinic_id
            # Staff create records; a patient only sends their own health history, signs
            # their own consents and authorisations, tells how a session went, writes to
            # the clinic, keeps a journal and marks the guides read; the outside therapist only
            # writes messages.
            if entry.actor_role == Role.THERAPIST:
                assert (entry.actor.email, entry.object_type) == (
                    "therapist@demo.kapcare.org",
                    "message",
                )
                continue
            assert entry.actor.clinic_id == patient.clinic_id
            assert entry.actor_role in {Role.COORDINATOR, Role.CLINICIAN} or (
                entry.actor_id == patient.user_id
                and entry.object_type
                in {
                    "medicalscreening",
                    "signature",
                    "sharingauthorization",
                    "patientexperience",
                    "thread",
                    "message",
                    "journalentry",
                    "educationreceipt",  # "I have read this" on a guide
                }
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


DEMO_MODELS = [
    User,
    Patient,
    AccessLogEntry,
    TherapistProfile,
    TherapistInvitation,
    Thread,
    Message,
    JournalEntry,
    Notification,
]


def test_second_run_changes_nothing(demo):
    counts = [model.objects.count() for model in DEMO_MODELS]

    output = run_demo()

    assert "already loaded" in output
    assert [model.objects.count() for model in DEMO_MODELS] == counts


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
    from kapcare.policy import shared_scopes
    from kapcare.scopes import Scope

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

    on_tablet = Signature.objects.filter(
        kind__in=("treatment", "standalone_infusion"), method=SigningMethod.CLINIC_TABLET
    )
    witnesses = {signature.witnessed_by.email for signature in on_tablet}
    assert "coordinator@demo.kapcare.org" in witnesses
    assert Signature.objects.filter(kind="treatment").values("patient").distinct().count() >= 3


def test_demo_consents_are_each_for_the_patients_episode_on_the_document_of_its_model(demo):
    from kapcare.consents import services
    from kapcare.consents.models import TREATMENT_KINDS, DocumentKind, Signature

    signatures = Signature.objects.filter(kind__in=TREATMENT_KINDS).select_related("episode")
    kinds = {(s.episode.model, s.kind) for s in signatures}
    assert kinds == {
        ("blended", DocumentKind.TREATMENT),
        ("bracketed", DocumentKind.TREATMENT),
        ("in_session", DocumentKind.TREATMENT),
        ("standalone", DocumentKind.STANDALONE),
    }
    assert all(s.care_model == s.episode.model for s in signatures)
    for standalone in signatures.filter(kind=DocumentKind.STANDALONE):
        assert "not ketamine-assisted psychotherapy" in standalone.signed_text
        assert "Standalone ketamine infusions" in standalone.signed_text
    statuses = {services.episode_consent_status(s.episode)[0] for s in signatures}
    assert statuses == {"current"}


def test_demo_therapist_has_seven_live_one_expired_and_one_revoked_authorisation(demo):
    from kapcare.consents.models import SharingAuthorization
    from kapcare.policy import visible_patients

    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    now = timezone.now()
    statuses = sorted(
        (authorization.status_on(now), authorization.patient.user_id is None)
        for authorization in SharingAuthorization.objects.filter(therapist=therapist)
    )
    # Four for the current courses, three for the past KAP courses she still follows.
    assert statuses == [
        ("active", False),
        *[("active", True)] * 6,
        ("expired", True),
        ("revoked", True),
    ]
    expired = SharingAuthorization.objects.get(therapist=therapist, expires_at__lte=now)
    assert expired.expires_on < timezone.localdate(now, expired.clinic.zone)
    visible = visible_patients(therapist)
    assert visible.count() == 7
    assert "patient@demo.kapcare.org" in {p.user.email for p in visible if p.user}
    # Each of the seven is in a KAP course that names her.
    for patient in visible:
        assert patient.episodes.filter(therapist=therapist).exists(), patient


def test_demo_therapists_patients_share_different_scopes(demo):
    from kapcare.policy import shared_scopes, visible_patients
    from kapcare.scopes import Scope

    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    scopes = {
        patient.full_name: frozenset(shared_scopes(therapist, patient))
        for patient in visible_patients(therapist)
    }

    assert scopes["Jordan Ellis"] == set(Scope.values)
    # The three past courses share one set of scopes (kapcare/demo/consents.py).
    assert len(set(scopes.values())) == 5
    assert all(Scope.SCHEDULE in shared for shared in scopes.values())
    assert any(Scope.MEASURES not in shared for shared in scopes.values())
    assert any(Scope.SESSION_SUMMARIES not in shared for shared in scopes.values())


def test_demo_therapist_home_lists_her_patients_only(demo, client):
    from kapcare.consents.models import SharingAuthorization
    from kapcare.policy import visible_patients

    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    client.force_login(therapist)

    content = client.get(reverse("therapist_home")).content.decode()

    for patient in visible_patients(therapist):
        assert patient.display_name in content
    for gone in SharingAuthorization.objects.filter(therapist=therapist).exclude(
        patient__in=visible_patients(therapist)
    ):
        assert gone.patient.display_name not in content


def test_demo_therapist_records_her_sessions_in_her_portal(demo):
    from kapcare.episodes.models import CareSession

    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    recorded = CareSession.objects.filter(run_by=therapist, status="done").exclude(modality="")

    patients = set(recorded.values_list("patient__user__email", flat=True))
    assert "patient@demo.kapcare.org" in patients
    assert len(patients) >= 2
    assert set(recorded.values_list("modality", flat=True)) <= {"ifs", "act", "cbt"}
    assert all(session.duration_minutes for session in recorded)
    assert all(session.status_note for session in recorded)
    missed = CareSession.objects.get(
        patient__user__email="patient@demo.kapcare.org", status="missed"
    )
    assert missed.kind == "integration"


def test_demo_kap_sessions_done_count_for_the_gates(demo):
    """Every preparation and integration done in a KAP episode was recorded by the
    episode's therapist or carries their confirmation; an in-session dose names the
    episode's therapist as present."""
    from kapcare.episodes.models import CareSession

    done = CareSession.objects.filter(
        kind__in=["preparation", "integration"], status="done", episode__therapist__isnull=False
    ).exclude(episode__model="standalone")
    by_therapist = done.filter(counted_therapy_sessions())
    assert done.count() == by_therapist.count()
    confirmed = done.exclude(therapist_confirmation="")
    assert confirmed.exists()
    assert all(s.status_changed_by.role == Role.COORDINATOR for s in confirmed)
    assert all(s.therapist_confirmation.startswith("Email from ") for s in confirmed)
    in_session = DosingRecord.objects.filter(
        session__episode__model="in_session", therapist_present=True
    )
    assert in_session.exists()
    for record in in_session.select_related("session__episode"):
        assert record.present_therapist_id == record.session.episode.therapist_id


def test_demo_has_an_episode_in_every_state_and_every_model(demo):
    from kapcare.episodes.models import CareModel, Episode, EpisodeState

    episodes = Episode.objects.filter(clinic__slug="music-city")
    assert set(episodes.values_list("state", flat=True)) == set(EpisodeState.values)
    assert set(episodes.values_list("model", flat=True)) == set(CareModel.values)
    for episode in episodes:
        transitions = list(episode.transitions.values_list("to_state", flat=True))
        assert transitions[-1] == episode.state, episode


def test_demo_books_a_week_ahead_with_one_dose_blocked_and_one_given_under_a_waiver(demo):
    from kapcare.episodes.gates import facts as gate_facts
    from kapcare.episodes.models import CareSession

    now = timezone.now()
    # From the start of today: today's booked doses are on the Today board.
    zone = Clinic.objects.get(slug="music-city").zone
    midnight = dt.datetime.combine(timezone.localdate(now, zone), dt.time(0), tzinfo=zone)
    ahead = CareSession.objects.filter(
        patient__clinic__slug="music-city",
        status="planned",
        planned_start__gte=midnight,
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


def test_demo_today_board_shows_sessions_checked_in_under_way_and_held_by_their_gates(demo, client):
    from kapcare.episodes.models import CareSession

    client.force_login(User.objects.get(email="clinician@demo.kapcare.org"))

    content = client.get(reverse("clinician_home")).content.decode()

    assert "Dose under way" in content
    assert "Checked in" in content
    held = CareSession.objects.get(
        patient__clinic__slug="music-city",
        episode__model="in_session",
        kind="dosing",
        status="planned",
    )
    gates = client.get(reverse("today:gates", args=[held.external_id])).content.decode()
    assert "not passed" in gates
    assert "Safety review" in gates


def test_demo_shows_an_overdue_integration_to_the_front_desk(demo, client):
    client.force_login(User.objects.get(email="coordinator@demo.kapcare.org"))

    content = client.get(reverse("coordinator_home")).content.decode()

    assert "Integration overdue" in content
    assert "Robert Haynes" in content


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


def test_demo_nurse_second_checks_every_dose_and_witnesses_every_waste(demo, client):
    nurse = User.objects.get(email="nurse@demo.kapcare.org")
    records = DosingRecord.objects.filter(clinic__slug="music-city", confirmed_at__isnull=False)
    assert records.exists()
    assert set(records.values_list("confirmed_by", flat=True)) == {nurse.pk}
    assert not records.filter(confirmed_by=models.F("prescribed_by")).exists()
    register = ControlledSubstanceEntry.objects.filter(clinic__slug="music-city")
    wastes = register.filter(kind="wasted")
    assert wastes.exists()
    assert set(wastes.values_list("witness", flat=True)) == {nurse.pk}
    receipts = register.filter(kind="received")
    assert set(receipts.values_list("witness", flat=True)) == {nurse.pk}
    assert not register.filter(witness__role=Role.COORDINATOR).exists()

    client.force_login(nurse)
    assert client.get(reverse("home"))["Location"] == reverse("clinician_home")
    assert client.get(reverse("substances:register")).status_code == 200


def test_the_biennial_inventory_reconciling_the_demo_register(demo, client):
    from kapcare.dosing.substances.inventory import services as inventory_services
    from kapcare.dosing.tests.test_dea_fixtures import counts_as_registered, take

    clinic = Clinic.objects.get(slug="music-city")
    nurse = User.objects.get(email="nurse@demo.kapcare.org")
    demo_inventory = inventory_services.last_inventory(clinic.pk)
    counts = list(demo_inventory.counts.all())
    on_hand = {lot.lot_number: lot.stock_mg for lot in inventory_services.lots_on_hand(clinic.pk)}
    assert (demo_inventory.kind, demo_inventory.taken_by_id) == ("biennial", nurse.pk)
    assert demo_inventory.registration_number == clinic.dea_registration_number != ""
    assert counts
    assert {c.lot_number: c.counted_mg for c in counts} == on_hand
    assert not any(count.is_discrepancy for count in counts)

    lot = counts[0].lot_number
    miscount = take(
        nurse,
        clinic,
        counts_as_registered(
            clinic, {lot: on_hand[lot] - 5}, reasons={lot: "One vial short at the count"}
        ),
    )

    assert [c.lot_number for c in miscount.counts.all() if c.is_discrepancy] == [lot]
    client.force_login(nurse)
    page = client.get(reverse("substances:inventory", args=[miscount.external_id]))
    assert "1 discrepancy between the count and the register." in page.content.decode()
    assert client.get(reverse("substances:register_print")).status_code == 200


def test_the_demos_missing_vial_is_reported_submitted_and_out_of_the_register(demo, client):
    from kapcare.dosing.substances.models import TheftLossReport

    clinic = Clinic.objects.get(slug="music-city")
    nurse = User.objects.get(email="nurse@demo.kapcare.org")
    [report] = TheftLossReport.objects.filter(clinic=clinic)
    [line] = report.lines.select_related("entry")
    assert (report.kind, report.filed_by_id, report.submitted_by_id) == (
        "other",
        nurse.pk,
        nurse.pk,
    )
    assert report.dea_confirmation
    assert report.registration_number == clinic.dea_registration_number != ""
    assert (line.quantity_mg, line.entry.kind, line.entry.amount_mg) == (500, "lost", 500)
    assert line.entry.lot_number == line.lot_number
    assert line.drug_name  # the register's identity of the lot, as Form 106 asks

    client.force_login(nurse)
    register = client.get(reverse("substances:register"))
    assert register.context["discrepancies"] == []
    losses = client.get(reverse("substances:losses")).content.decode()
    assert str(report.external_id) in losses


def test_demo_prescribed_lots_are_in_the_register_in_date_on_their_dose_day(demo):
    received = {
        entry.lot_number: entry.lot_expiry
        for entry in ControlledSubstanceEntry.objects.filter(
            clinic__slug="music-city", kind="received"
        )
    }
    prescribed = DosingRecord.objects.filter(
        clinic__slug="music-city", dose_mg__isnull=False
    ).select_related("session", "clinic")
    assert prescribed.exists()
    for record in prescribed:
        day = timezone.localdate(record.session.planned_start, record.clinic.zone)
        assert record.lot_number in received, record.lot_number
        assert record.lot_expiry == received[record.lot_number]
        assert record.lot_expiry >= day


def test_demo_directory_lists_rachel_kim_verified_by_clinic_staff(demo):
    from kapcare.therapists import invitations, services
    from kapcare.therapists.models import Credential

    music_city = Clinic.objects.get(slug="music-city")
    profile = TherapistProfile.objects.get(user__email="therapist@demo.kapcare.org")
    today = timezone.localdate(timezone.now(), music_city.zone)

    assert profile.clinic == music_city
    assert (profile.licence_type, profile.licence_state) == ("lmft", "TN")
    assert profile.licence_number
    assert profile.licence_expires_on >= today + dt.timedelta(days=365)
    assert profile.training_programme
    assert profile.training_completed_on < today
    assert profile.is_askp3_member
    assert set(profile.modalities) == {"ifs", "act", "cbt"}
    assert str(profile.fee_per_session) == "150.00"
    assert (profile.city, profile.state) == ("Nashville", "TN")
    for credential in Credential:
        at, by = services.VERIFICATION_FIELDS[credential]
        assert getattr(profile, at) is not None, credential
        verifier = getattr(profile, by)
        assert (verifier.clinic, verifier.role) in {
            (music_city, Role.COORDINATOR),
            (music_city, Role.ADMIN),
        }, credential
    standing = services.standing_of(profile, today, music_city.licence_expiry_warning_days)
    assert standing.is_verified
    assert standing.warnings == []
    assert profile.invitation_accepted_at is not None
    assert invitations.invitation_status(profile).state == invitations.ACCEPTED


def test_demo_directory_has_sam_ortega_invited_and_not_verified(demo):
    from kapcare.therapists import invitations, services

    music_city = Clinic.objects.get(slug="music-city")
    profile = TherapistProfile.objects.get(user__full_name="Sam Ortega")
    today = timezone.localdate(timezone.now(), music_city.zone)

    assert profile.clinic == music_city
    assert profile.licence_type
    assert profile.licence_number
    assert profile.licence_expires_on
    assert profile.licence_verified_at is None
    assert profile.training_verified_at is None
    assert not profile.user.has_usable_password()
    assert profile.invitation_accepted_at is None
    assert invitations.invitation_status(profile).state == invitations.PENDING
    standing = services.standing_of(profile, today, music_city.licence_expiry_warning_days)
    assert not standing.is_verified
    assert any("Licence" in warning for warning in standing.warnings)
    # Patients who look for a therapist find only the verified one.
    verified = services.search_directory(music_city.pk, verified_on=today)
    assert [entry.user.email for entry in verified] == ["therapist@demo.kapcare.org"]


def test_demo_episode_with_the_unverified_therapist_warns_on_its_page_and_its_dose(demo, client):
    from kapcare.episodes.gates import facts as gate_facts
    from kapcare.episodes.models import CareSession, Episode

    episode = Episode.objects.get(therapist__full_name="Sam Ortega")
    dose = CareSession.objects.get(episode=episode, kind="dosing", status="planned")
    client.force_login(User.objects.get(email="coordinator@demo.kapcare.org"))

    episode_page = client.get(reverse("episodes:detail", args=[episode.external_id]))
    gates_page = client.get(reverse("gates:session", args=[dose.external_id]))

    assert episode.is_kap
    assert episode.state == "consented"
    assert "Licence not verified" in episode_page.content.decode()
    assert "licence is not verified by the clinic" in gates_page.content.decode()
    in_loop = next(
        gate
        for gate in gate_facts.gate_report(dose, timezone.now()).gates
        if gate.rule == "therapist_in_loop"
    )
    assert not in_loop.passed
    # Rachel's episodes carry no credential warning.
    rachel = Episode.objects.filter(therapist__email="therapist@demo.kapcare.org").first()
    assert (
        "Outside therapist:"
        not in client.get(reverse("episodes:detail", args=[rachel.external_id])).content.decode()
    )


def test_demo_has_two_threads_about_the_portal_patient_with_one_unread_each_side(demo):
    from kapcare.messaging import services

    jordan = Patient.objects.get(user__email="patient@demo.kapcare.org")
    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    front_desk = User.objects.get(email="coordinator@demo.kapcare.org")
    threads = {thread.kind: thread for thread in Thread.objects.filter(patient=jordan)}

    assert set(threads) == {"therapist", "patient"}
    assert threads["therapist"].therapist == therapist
    for thread in threads.values():
        assert 2 <= thread.messages.count() <= 4
    with_rachel = threads["therapist"].messages.values_list("author__email", flat=True)
    assert {"therapist@demo.kapcare.org", "coordinator@demo.kapcare.org"} == set(with_rachel)
    assert any("fast" in m.body.lower() for m in threads["patient"].messages.all())
    assert services.unread_counts(therapist).total == 1
    assert services.unread_counts(front_desk).by_thread == {threads["patient"].pk: 1}
    assert services.unread_counts(jordan.user).total == 0
    # The patient never sees the clinic's thread with the therapist.
    assert list(services.visible_threads(jordan.user)) == [threads["patient"]]


def test_demo_journal_has_a_shared_intention_a_private_and_a_shared_reflection(demo):
    from kapcare import policy

    jordan = Patient.objects.get(user__email="patient@demo.kapcare.org")
    therapist = User.objects.get(email="therapist@demo.kapcare.org")
    entries = list(JournalEntry.objects.filter(patient=jordan).select_related("dosing_session"))
    now = timezone.now()

    intention = next(e for e in entries if e.kind == "intention")
    assert intention.shared_with == therapist
    assert intention.dosing_session.status == "planned"
    assert intention.dosing_session.planned_start > now
    reflections = sorted((e for e in entries if e.kind == "reflection"), key=lambda e: e.created_at)
    assert [e.is_shared for e in reflections] == [True, False]
    for reflection in reflections:
        assert reflection.dosing_session.status == "done"
        assert reflection.created_at > reflection.dosing_session.planned_start
    private = reflections[-1]
    assert not policy.can(therapist, policy.Action.VIEW_SHARED_JOURNAL, private)
    assert policy.can(therapist, policy.Action.VIEW_SHARED_JOURNAL, intention)


def test_demo_has_a_spravato_patient_with_one_rems_form_sent_and_one_due(demo, client):
    from kapcare.dosing.esketamine import services as esketamine
    from kapcare.dosing.models import NasalDevice, RemsEnrolment, RemsFormSubmission

    music_city = Clinic.objects.get(slug="music-city")
    records = DosingRecord.objects.filter(clinic=music_city, drug="esketamine")
    assert sorted(records.values_list("dose_mg", flat=True)) == [56, 84]
    assert not records.filter(signed_at__isnull=True).exists()
    assert NasalDevice.objects.filter(record__in=records).count() == 5
    enrolment = RemsEnrolment.objects.get(clinic=music_city)
    assert set(records.values_list("patient", flat=True)) == {enrolment.patient_id}
    assert RemsFormSubmission.objects.filter(record__in=records).count() == 1
    assert [form.state for form in esketamine.forms_of(music_city)] == ["due"]
    assert music_city.esketamine_enabled

    client.force_login(User.objects.get(email="clinician@demo.kapcare.org"))
    assert (
        "REMS Patient Monitoring Forms to send"
        in client.get(reverse("clinician_home")).content.decode()
    )
    register = client.get(reverse("substances:register")).content.decode()
    assert music_city.rems_certification_id in register


# --- The story in order ---------------------------------------------------------------------


def assert_story_in_order() -> None:
    """Every episode of the demo clinic tells its story in order — screening completed,
    consent signed, first preparation, first dose — with each dose started inside its
    booking, each integration after its dose, no dose on a weekend, and nothing done in
    the future: only booked (or cancelled) sessions lie ahead."""
    from kapcare.consents.models import TREATMENT_KINDS, Signature
    from kapcare.episodes.models import CareSession, Episode, EpisodeTransition, SessionKind
    from kapcare.screening.models import EligibilityDecision, MedicalScreening

    clinic = Clinic.objects.get(slug="music-city")
    zone = clinic.zone
    now = timezone.now()
    today = timezone.localdate(now, zone)
    episodes = Episode.objects.filter(clinic=clinic).select_related("patient")
    assert episodes.count() >= 15
    for episode in episodes:
        name = f"{episode.patient.full_name} ({episode.model})"
        sessions = list(CareSession.objects.filter(episode=episode).order_by("planned_start"))
        doses = [s for s in sessions if s.kind == SessionKind.DOSING]
        preparations = [s for s in sessions if s.kind == SessionKind.PREPARATION]
        integrations = [s for s in sessions if s.kind == SessionKind.INTEGRATION]
        screening = (
            MedicalScreening.objects.filter(patient=episode.patient, completed_at__isnull=False)
            .order_by("completed_at")
            .first()
        )
        consent = (
            Signature.objects.filter(episode=episode, kind__in=TREATMENT_KINDS)
            .order_by("signed_at")
            .first()
        )
        steps = [
            ("screening completed", screening.completed_at if screening else None),
            ("consent signed", consent.signed_at if consent else None),
            ("first preparation", preparations[0].planned_start if preparations else None),
            ("first dose", (doses[0].started_at or doses[0].planned_start) if doses else None),
        ]
        known = [(step, moment) for step, moment in steps if moment is not None]
        assert [moment for _, moment in known] == sorted(m for _, m in known), (name, known)
        if doses:
            assert consent is not None, name
        for dose in doses:
            booked = timezone.localtime(dose.planned_start, zone)
            assert booked.weekday() < 5, (name, booked)
            if dose.started_at is not None:
                assert dose.planned_start <= dose.started_at <= dose.planned_end, (name, dose)
                assert timezone.localdate(dose.started_at, zone) == booked.date(), name
        for dose, integration in zip(doses, integrations, strict=False):
            assert integration.planned_start > dose.planned_end, (name, dose, integration)
        for session in sessions:
            if session.planned_start > now:
                assert session.status in ("planned", "cancelled"), (name, session)
            for moment in (session.started_at, session.checked_in_at, session.status_changed_at):
                assert moment is None or moment <= now, (name, session)
        for transition in EpisodeTransition.objects.filter(episode=episode):
            assert transition.changed_at <= now, (name, transition.to_state)
    in_clinic = {"patient__clinic": clinic}
    assert not Signature.objects.filter(signed_at__gt=now, **in_clinic).exists()
    assert not MedicalScreening.objects.filter(completed_at__gt=now, **in_clinic).exists()
    assert not EligibilityDecision.objects.filter(decided_at__gt=now, **in_clinic).exists()
    records = DosingRecord.objects.filter(clinic=clinic)
    for field in ("dose_ended_at", "discharged_at", "signed_at"):
        assert not records.filter(**{f"{field}__gt": now}).exists(), field
    assert not Observation.objects.filter(taken_at__gt=now, record__clinic=clinic).exists()
    assert not BodyMeasurement.objects.filter(measured_on__gt=today, **in_clinic).exists()
    from kapcare.measures.models import Assessment

    assert not Assessment.objects.filter(completed_at__gt=now, **in_clinic).exists()


def test_demo_tells_every_story_in_order(demo):
    assert_story_in_order()
