"""factory_boy factories for every model the tests need."""

import datetime as dt

import factory

from kapcare.accounts.models import Role, User
from kapcare.clinics.models import Clinic
from kapcare.intake.models import ConsultationRequest
from kapcare.patients.models import BodyMeasurement, Patient, SexAtBirth

PASSWORD = "correct horse battery staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "America/Chicago"
    phone = "615-555-0100"
    email = factory.Sequence(lambda n: f"front-desk@clinic{n}.example")
    clinical_inbox = factory.Sequence(lambda n: f"clinical@clinic{n}.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    role = Role.COORDINATOR
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.django.Password(PASSWORD)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=21, maximum_age=75)
    sex_at_birth = SexAtBirth.FEMALE
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    phone = "615-555-0199"


class BodyMeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BodyMeasurement

    patient = factory.SubFactory(PatientFactory)
    measured_on = factory.LazyFunction(lambda: dt.date(2026, 11, 1))
    weight_kg = 72.5
    height_cm = 170
    recorded_by = factory.SubFactory(
        UserFactory, clinic=factory.SelfAttribute("..patient.clinic"), role=Role.CLINICIAN
    )


class ConsultationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationRequest

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"caller{n}@example.org")
    phone = "615-555-0142"
    preferred_time = "Weekday mornings"
    hopes = "I have had depression for years and want to understand KAP."
    consent_to_contact = True


def raise_alert(clinician, patient):
    """A PHQ-9 with item 9 above 0, entered by `clinician`; returns the safety alert."""
    from kapcare.audit.log import Actor
    from kapcare.measures import services
    from kapcare.measures.models import Source

    completion = services.record_assessment(
        actor=Actor(user=clinician, ip_address=None),
        patient=patient,
        instrument="phq9",
        answers=[0] * 8 + [1],
        source=Source.STAFF,
    )
    return completion.alerts[0]


def authorize(patient, therapist, scopes=("measures",), expires_on=None, by=None):
    """A signed sharing authorisation from `patient` to `therapist` for `scopes`, made
    through `services.authorize_sharing` as the pages make it: signed by the patient in the
    portal (`by` defaults to the patient's own account), or on the clinic tablet when `by`
    is a coordinator or clinician. Expires on the clinic's default day unless given."""
    from kapcare.audit.log import Actor
    from kapcare.consents import rules, services
    from kapcare.consents.models import SigningMethod

    by = by or patient.user
    method = SigningMethod.PORTAL if by.role == Role.PATIENT else SigningMethod.CLINIC_TABLET
    if expires_on is None:
        expires_on = rules.default_expiry(
            services.clinic_today(patient.clinic), patient.clinic.sharing_authorization_months
        )
    return services.authorize_sharing(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        patient=patient,
        request=services.AuthorizationInput(
            therapist_email=therapist.email,
            therapist_name=therapist.full_name,
            scopes=list(scopes),
            expires_on=expires_on,
        ),
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True, method=method),
        expected_sha256=None,
    )


def in_the_loop(patient, by, therapist=None, scopes=("schedule", "session_summaries")):
    """An outside therapist in the loop for `patient`'s KAP course: in the clinic's directory
    with licence and KAP training verified by `by` (clinic staff), and authorised by the
    patient to see `scopes`. `therapist` (a user), or a new one. Returns the therapist."""
    from kapcare.therapists.models import TherapistProfile
    from kapcare.therapists.tests.directory_factories import (
        add_therapist,
        complete_credentials,
        verify,
    )

    entries = TherapistProfile.objects.filter(clinic=patient.clinic, user=therapist)
    if therapist is not None and entries.exists():
        # An entry the clinic made when the therapist was first named: give it credentials.
        entries.update(**complete_credentials())
        profile = entries.get()
    else:
        email = therapist.email if therapist else f"loop-{patient.pk}@practice.example"
        name = therapist.full_name if therapist else "Lou Loop"
        profile = add_therapist(by, email=email, full_name=name)
    verify(profile, by)
    authorize(patient, profile.user, scopes=scopes)
    return profile.user


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scheduling.Room"

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Suite {n + 1}")


def open_episode(patient, by, model="blended", therapist=None, **fields):
    """An episode of care opened through the service, as the pages open it."""
    from kapcare.audit.log import Actor
    from kapcare.episodes import services

    data = services.EpisodeInput(
        model=model,
        diagnosis_code=fields.pop("diagnosis_code", "F33.2"),
        therapist=therapist,
        **fields,
    )
    return services.open_episode(
        actor=Actor(user=by, ip_address="127.0.0.1"), patient=patient, data=data
    )


def plan_session(episode, by, kind="dosing", starts_at=None, room=None, clinician=None):
    """A planned session of `episode`; a dosing session gets a room and `by` (a clinician
    unless `clinician` is given) and books its appointment."""
    from kapcare.audit.log import Actor
    from kapcare.episodes import services

    if starts_at is None:
        starts_at = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    if kind == "dosing":
        room = room or RoomFactory(clinic=episode.clinic)
        clinician = clinician or by
    return services.add_session(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        episode=episode,
        data=services.SessionInput(kind=kind, starts_at=starts_at, room=room, clinician=clinician),
    )


def asked_coverage(patient, by, status="filing_claim"):
    """The coverage question answered, as every booking form asks it first (45 CFR
    149.610(b)); by default insured and filing a claim, so that no estimate is owed."""
    from kapcare.audit.log import Actor
    from kapcare.billing import services

    insured = status != "uninsured"
    return services.record_coverage(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        patient=patient,
        data=services.CoverageInput(
            status=status,
            insurer="Aetna" if insured else "",
            member_id="W1234567" if status == "filing_claim" else "",
        ),
    )


def vouched(user):
    """`user` as a second person who typed their own email and password on the screen
    just now (`kapcare.accounts.second_person`)."""
    from django.utils import timezone

    from kapcare.accounts.second_person import SecondPerson

    return SecondPerson(user=user, confirmed_at=timezone.now())


def nurse_of(clinic, **fields) -> User:
    return UserFactory(role=Role.NURSE, clinic=clinic, credentials="RN", **fields)


def receive_lot(clinic, lot_number="KET-2611", expiry=None, amount_mg="1000", by=None):
    """Ketamine of `lot_number` received into `clinic`'s register (by a clinician, the
    count witnessed by a nurse), so that a dose may be prescribed from it. `expiry`: a
    year from today unless given."""
    from decimal import Decimal

    from django.utils import timezone

    from kapcare.audit.log import Actor
    from kapcare.dosing.substances import services

    by = by or UserFactory(role=Role.CLINICIAN, clinic=clinic)
    return services.receive_stock(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        clinic=clinic,
        lot_number=lot_number,
        lot_expiry=expiry or timezone.localdate() + dt.timedelta(days=365),
        amount_mg=Decimal(amount_mg),
        witness=vouched(nurse_of(clinic)),
        strength="50 mg/mL",
        dosage_form="injectable_solution",
    )
