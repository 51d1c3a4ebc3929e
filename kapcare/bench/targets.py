"""What the bench asks for, found in the database itself: the clinic, one user per role and
the records worth loading (the patient with the longest history, the dose under way, an
episode in treatment), so the same bench runs on the demo and on a generated network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Role, User
from kapcare.bench.urls import BARE_VIEW_PATH
from kapcare.clinics.models import Clinic
from kapcare.consents.models import SharingAuthorization
from kapcare.dosing.models import DosingRecord
from kapcare.episodes.models import CareSession, Episode, EpisodeState, SessionStatus
from kapcare.messaging.models import Thread
from kapcare.patients.models import Patient

STAFF_ROLES_BENCHED = (Role.COORDINATOR, Role.CLINICIAN, Role.NURSE, Role.ADMIN)


class NothingToBench(Exception):
    """The database lacks what the bench needs (no clinic, no staff)."""


@dataclass(frozen=True)
class Target:
    """One page or API call as the load generator asks for it."""

    name: str
    kind: str  # "page", "api" or "bare"
    role: str
    path: str  # with the records' ids
    pattern: str  # as the report shows it, ids left out
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Records:
    long_history_patient: Patient
    live_record: DosingRecord | None
    episode_in_treatment: Episode | None
    thread: Thread | None
    shared_patient: Patient | None


def choose_clinic(slug: str | None = None) -> Clinic:
    """The clinic named, or the one with the most patients."""
    clinics = Clinic.objects.all()
    if slug:
        clinic = clinics.filter(slug=slug).first()
        if clinic is None:
            raise NothingToBench(f"No clinic {slug!r} in this database.")
        return clinic
    counts = Patient.objects.values("clinic_id").annotate(n=Count("id")).order_by("-n", "clinic_id")
    top = counts.first()
    if top is None:
        raise NothingToBench("No patients in this database: load the demo or generate a network.")
    return clinics.get(pk=top["clinic_id"])


def _with_authenticator_first(users):
    """Users who signed in with a second factor before come first: the bench passes it for
    them as they would."""
    has_device = Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True))
    return users.annotate(has_device=has_device).order_by("-has_device", "pk")


def long_history_patient(clinic: Clinic) -> Patient:
    top = (
        CareSession.objects.filter(patient__clinic=clinic)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n", "patient_id")
        .first()
    )
    if top is not None:
        return Patient.objects.get(pk=top["patient_id"])
    return Patient.objects.filter(clinic=clinic).order_by("pk").first()


def find_records(clinic: Clinic, therapist: User | None) -> Records:
    patient = long_history_patient(clinic)
    records = DosingRecord.objects.filter(clinic=clinic).select_related("session")
    live_record = (
        records.filter(session__status=SessionStatus.IN_PROGRESS)
        .order_by("-session__planned_start", "pk")
        .first()
    ) or records.order_by("-session__planned_start", "pk").first()
    episode = (
        Episode.objects.filter(clinic=clinic, state=EpisodeState.IN_TREATMENT)
        .order_by("-pk")
        .first()
    )
    thread = Thread.objects.filter(clinic=clinic).order_by("-last_message_at", "pk").first()
    shared_patient = None
    if therapist is not None:
        shared = SharingAuthorization.objects.live().filter(clinic=clinic, therapist=therapist)
        if shared.filter(patient_id=patient.pk).exists():
            shared_patient = patient
        elif first := shared.select_related("patient").order_by("patient_id").first():
            shared_patient = first.patient
    return Records(
        long_history_patient=patient,
        live_record=live_record,
        episode_in_treatment=episode,
        thread=thread,
        shared_patient=shared_patient,
    )


def find_users(clinic: Clinic) -> dict[str, User]:
    """One active user per role: staff of the clinic, the outside therapist with the most
    live authorisations from its patients, and a patient who uses the portal."""
    users: dict[str, User] = {}
    for role in STAFF_ROLES_BENCHED:
        user = _with_authenticator_first(
            User.objects.filter(clinic=clinic, role=role, is_active=True)
        ).first()
        if user is not None:
            users[role] = user
    if Role.COORDINATOR not in users:
        raise NothingToBench(f"{clinic} has no active coordinator to sign in as.")
    top_therapist = (
        SharingAuthorization.objects.live(timezone.now())
        .filter(clinic=clinic, therapist__is_active=True)
        .values("therapist_id")
        .annotate(n=Count("id"))
        .order_by("-n", "therapist_id")
        .first()
    )
    if top_therapist is not None:
        users[Role.THERAPIST] = User.objects.get(pk=top_therapist["therapist_id"])
    patient_user = (
        User.objects.filter(
            clinic=clinic, role=Role.PATIENT, is_active=True, patient_record__isnull=False
        )
        .annotate(n=Count("patient_record__care_sessions"))
        .order_by("-n", "pk")
        .first()
    )
    if patient_user is not None:
        users[Role.PATIENT] = patient_user
    return users


def build_targets(users: dict[str, User], records: Records) -> list[Target]:
    """The pages and API calls of each role that is there, the bare view first."""
    targets = _coordinator_targets(records)
    if Role.CLINICIAN in users:
        targets += _clinician_targets(records)
    if Role.NURSE in users:
        targets += _nurse_targets()
    if Role.ADMIN in users:
        targets += _admin_targets()
    if Role.THERAPIST in users:
        targets += _therapist_targets(records)
    if Role.PATIENT in users:
        targets += _patient_targets()
    return targets + _api_targets(users, records)


def _coordinator_targets(records: Records) -> list[Target]:
    """The bare view, then the coordinator's desk, schedule, patients and messages."""
    patient = records.long_history_patient
    targets = [
        Target("bare Django view", "bare", Role.COORDINATOR, BARE_VIEW_PATH, BARE_VIEW_PATH),
        Target("coordinator home", "page", Role.COORDINATOR, "/desk/", "/desk/"),
        Target("schedule day view", "page", Role.COORDINATOR, "/schedule/day/", "/schedule/day/"),
        Target(
            "schedule week view", "page", Role.COORDINATOR, "/schedule/week/", "/schedule/week/"
        ),
        Target("patient list", "page", Role.COORDINATOR, "/patients/", "/patients/"),
        Target(
            "patient search",
            "page",
            Role.COORDINATOR,
            "/patients/",
            "/patients/",
            method="POST",
            form={"query": patient.family_name[:3]},
        ),
        Target("messages", "page", Role.COORDINATOR, "/messages/", "/messages/"),
    ]
    if records.thread is not None:
        path = f"/messages/{records.thread.external_id}/"
        targets.append(
            Target("message thread", "page", Role.COORDINATOR, path, "/messages/{thread}/")
        )
    if records.episode_in_treatment is not None:
        path = f"/episodes/{records.episode_in_treatment.external_id}/"
        targets.append(Target("episode", "page", Role.COORDINATOR, path, "/episodes/{episode}/"))
    return targets


def _clinician_targets(records: Records) -> list[Target]:
    """The clinician's home, the longest chart, safety alerts and a live dosing record."""
    patient = records.long_history_patient
    targets = [
        Target("clinician home", "page", Role.CLINICIAN, "/clinical/", "/clinical/"),
        Target(
            "patient chart (longest history)",
            "page",
            Role.CLINICIAN,
            f"/patients/{patient.external_id}/",
            "/patients/{patient}/",
        ),
        Target("safety alerts", "page", Role.CLINICIAN, "/safety-alerts/", "/safety-alerts/"),
    ]
    if records.live_record is not None:
        session_id = records.live_record.session.external_id
        targets += [
            Target(
                "dosing record",
                "page",
                Role.CLINICIAN,
                f"/dosing-sessions/{session_id}/record/",
                "/dosing-sessions/{session}/record/",
            ),
            Target(
                "dosing record, live vitals",
                "page",
                Role.CLINICIAN,
                f"/dosing-sessions/{session_id}/vitals/live/",
                "/dosing-sessions/{session}/vitals/live/",
                headers={"HX-Request": "true"},
            ),
        ]
    return targets


def _nurse_targets() -> list[Target]:
    """The controlled-substance register."""
    return [
        Target(
            "controlled-substance register",
            "page",
            Role.NURSE,
            "/controlled-substances/",
            "/controlled-substances/",
        )
    ]


def _admin_targets() -> list[Target]:
    """The clinic admin's home and the access log."""
    return [
        Target("clinic admin home", "page", Role.ADMIN, "/clinic-admin/", "/clinic-admin/"),
        Target("access log", "page", Role.ADMIN, "/access-log/", "/access-log/"),
    ]


def _therapist_targets(records: Records) -> list[Target]:
    """The therapist's home, messages and the record shared with them."""
    targets = [
        Target("therapist home", "page", Role.THERAPIST, "/therapist/", "/therapist/"),
        Target("therapist messages", "page", Role.THERAPIST, "/messages/", "/messages/"),
    ]
    if records.shared_patient is not None:
        targets.append(
            Target(
                "shared record",
                "page",
                Role.THERAPIST,
                f"/shared/patients/{records.shared_patient.external_id}/",
                "/shared/patients/{patient}/",
            )
        )
    return targets


def _patient_targets() -> list[Target]:
    """The patient's portal: home, measures, journal and messages."""
    return [
        Target("patient portal home", "page", Role.PATIENT, "/portal/", "/portal/"),
        Target("portal measures", "page", Role.PATIENT, "/portal/measures/", "/portal/measures/"),
        Target("portal journal", "page", Role.PATIENT, "/portal/journal/", "/portal/journal/"),
        Target("patient messages", "page", Role.PATIENT, "/messages/", "/messages/"),
    ]


def _api_targets(users: dict[str, User], records: Records) -> list[Target]:
    """The API calls, as a clinician (or a coordinator where there is none) and as a
    therapist."""
    patient = records.long_history_patient
    api_role = Role.CLINICIAN if Role.CLINICIAN in users else Role.COORDINATOR
    targets = [
        Target("API me", "api", api_role, "/api/v1/me", "/api/v1/me"),
        Target("API patients", "api", api_role, "/api/v1/patients", "/api/v1/patients"),
        Target(
            "API patient",
            "api",
            api_role,
            f"/api/v1/patients/{patient.external_id}",
            "/api/v1/patients/{patient}",
        ),
        Target(
            "API episodes in treatment",
            "api",
            api_role,
            "/api/v1/episodes?state=in_treatment",
            "/api/v1/episodes?state=in_treatment",
        ),
        Target(
            "API dosing sessions under way",
            "api",
            api_role,
            "/api/v1/dosing-sessions?status=in_progress",
            "/api/v1/dosing-sessions?status=in_progress",
        ),
    ]
    if records.live_record is not None:
        session_id = records.live_record.session.external_id
        targets.append(
            Target(
                "API dosing session",
                "api",
                api_role,
                f"/api/v1/dosing-sessions/{session_id}",
                "/api/v1/dosing-sessions/{session}",
            )
        )
    if Role.THERAPIST in users:
        targets.append(
            Target(
                "API therapist's patients",
                "api",
                Role.THERAPIST,
                "/api/v1/patients",
                "/api/v1/patients",
            )
        )
    return targets
