"""The demo data set: two clinics, one sign-in per role, patients and consultation requests,
the clinic's directory of outside therapists, secure messages and a patient's journal.

Built the way the clinic would build it: patients and body measurements go through
`kapcare.patients.services` with a named staff member as the actor, so the access log shows
who created each record, as it would in real use. Random choices come from a fixed seed,
so every demo database holds the same people (dates are relative to the day it is loaded).
"""

import base64
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts import second_factor
from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.clinics.models import Clinic
from kapcare.consents.services import ensure_default_documents
from kapcare.demo.billing import load_billing
from kapcare.demo.calendar import load_calendar_changes
from kapcare.demo.consents import load_consents
from kapcare.demo.correspondence import load_correspondence
from kapcare.demo.education import load_education
from kapcare.demo.episodes import RACHEL, SAM, load_courses, open_episodes, stories
from kapcare.demo.measures import load_measures
from kapcare.demo.outcomes import load_follow_ups
from kapcare.demo.register import report_missing_vial, take_biennial_inventory
from kapcare.demo.screening import load_screening
from kapcare.demo.sign_ins import AUTHENTICATOR_KEY, PASSWORD
from kapcare.demo.therapists import load_therapists
from kapcare.intake.models import ConsultationRequest, ContactMethod, RequestStatus, StatusChange
from kapcare.outcomes import summary as outcome_summaries
from kapcare.patients.models import Patient, SexAtBirth
from kapcare.patients.services import create_patient, record_body_measurement

SEED = 615
# The demo clinic opened this long before the demo is loaded: before the earliest course's
# referral (episodes.py).
OPENED_DAYS_AGO = 400
DEMO_CLINIC_SLUG = "music-city"
OTHER_CLINIC_SLUG = "cumberland-infusion"


@dataclass(frozen=True)
class Login:
    email: str
    full_name: str
    role: Role
    clinic_slug: str | None
    credentials: str = ""


LOGINS = [
    Login("coordinator@demo.kapcare.org", "Maya Robinson", Role.COORDINATOR, DEMO_CLINIC_SLUG),
    Login("clinician@demo.kapcare.org", "Daniel Okafor", Role.CLINICIAN, DEMO_CLINIC_SLUG, "CRNA"),
    Login("nurse@demo.kapcare.org", "Grace Alvarez", Role.NURSE, DEMO_CLINIC_SLUG, "RN"),
    Login("admin@demo.kapcare.org", "Laura Whitfield", Role.ADMIN, DEMO_CLINIC_SLUG),
    Login("therapist@demo.kapcare.org", "Rachel Kim", Role.THERAPIST, None, "LMFT"),
    Login("patient@demo.kapcare.org", "Jordan Ellis", Role.PATIENT, DEMO_CLINIC_SLUG),
    Login("admin@cumberland.demo.kapcare.org", "Marcus Bell", Role.ADMIN, OTHER_CLINIC_SLUG),
    Login(
        "coordinator@cumberland.demo.kapcare.org",
        "Priya Natarajan",
        Role.COORDINATOR,
        OTHER_CLINIC_SLUG,
    ),
]

CLINICS = {
    DEMO_CLINIC_SLUG: {
        "name": "Music City Ketamine",
        "time_zone": "America/Chicago",
        "phone": "615-555-0123",
        "email": "hello@demo.kapcare.org",
        "clinical_inbox": "clinical@demo.kapcare.org",
        # Made up for the demo, with a valid check digit.
        "dea_registration_number": "BM4286515",
        "dea_registered_address": "2100 West End Ave, Suite 400\nNashville, TN 37203",
    },
    OTHER_CLINIC_SLUG: {
        "name": "Cumberland Infusion Center",
        "time_zone": "America/New_York",
        "phone": "423-555-0150",
        "email": "hello@cumberland.demo.kapcare.org",
        "clinical_inbox": "clinical@cumberland.demo.kapcare.org",
    },
}

FEMALE_NAMES = [
    "Abigail", "Alicia", "Brianna", "Carmen", "Danielle", "Elena", "Fatima", "Grace",
    "Hannah", "Imani", "Julia", "Keisha", "Lauren", "Mei", "Natalie", "Olivia", "Rosa",
    "Sarah", "Tamara", "Yolanda",
]  # fmt: skip
MALE_NAMES = [
    "Aaron", "Andre", "Benjamin", "Carlos", "David", "Ethan", "Gabriel", "Hector", "Isaac",
    "Jamal", "Kevin", "Luis", "Marcus", "Nathan", "Omar", "Patrick", "Raymond", "Samuel",
    "Tyler", "Wesley",
]  # fmt: skip
FAMILY_NAMES = [
    "Alvarez", "Anderson", "Bennett", "Brooks", "Castillo", "Chen", "Coleman", "Davis",
    "Delgado", "Foster", "Garcia", "Hayes", "Holloway", "Jackson", "Johnson", "Kowalski",
    "Lee", "Martinez", "Mitchell", "Nguyen", "Osei", "Patel", "Pham", "Ramirez", "Reed",
    "Sanders", "Thompson", "Turner", "Vasquez", "Washington", "Williams", "Young",
]  # fmt: skip
# Middle Tennessee towns with one of their real ZIP codes.
MIDDLE_TENNESSEE = [
    ("Nashville", "37203"), ("Nashville", "37206"), ("Nashville", "37211"),
    ("Franklin", "37064"), ("Brentwood", "37027"), ("Murfreesboro", "37130"),
    ("Hendersonville", "37075"), ("Mount Juliet", "37122"), ("Smyrna", "37167"),
    ("Gallatin", "37066"), ("Clarksville", "37040"), ("Lebanon", "37087"),
]  # fmt: skip
EAST_TENNESSEE = [("Chattanooga", "37403"), ("Cleveland", "37311"), ("Knoxville", "37902")]
STREETS = [
    "Maple Ave", "Belmont Blvd", "Church St", "Hillsboro Pike", "Elm Hill Pike",
    "Gallatin Pike", "Riverside Dr", "Woodland St", "Franklin Rd", "Cedar Ln",
]  # fmt: skip
RELATIONSHIPS = ["Spouse", "Partner", "Sister", "Brother", "Mother", "Father", "Friend"]

# People whose details are not left to chance: the portal patient, and a few who show
# that the chart records preferred names, gender identity and pronouns as given.
PORTAL_PATIENT = {
    "given_name": "Jordan",
    "family_name": "Ellis",
    "sex_at_birth": SexAtBirth.MALE,
    "pronouns": "he/him",
    "age": 34,
}
CHOSEN_PATIENTS = [
    {
        "given_name": "Alexandra",
        "family_name": "Brooks",
        "preferred_name": "Alex",
        "sex_at_birth": SexAtBirth.FEMALE,
        "gender_identity": "Non-binary",
        "pronouns": "they/them",
        "age": 27,
    },
    {
        "given_name": "Robert",
        "family_name": "Haynes",
        "preferred_name": "Bobby",
        "sex_at_birth": SexAtBirth.MALE,
        "pronouns": "he/him",
        "age": 68,
    },
    {
        "given_name": "Samira",
        "family_name": "Haddad",
        "sex_at_birth": SexAtBirth.DECLINED,
        "gender_identity": "Woman",
        "pronouns": "she/her",
        "age": 41,
    },
]
MUSIC_CITY_PATIENT_COUNT = 20
CUMBERLAND_PATIENT_COUNT = 3


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    patient_count: int = 0
    request_count: int = 0


def demo_is_loaded() -> bool:
    return Clinic.objects.filter(slug=DEMO_CLINIC_SLUG).exists()


def load_demo() -> DemoResult:
    """Create the demo data set, or do nothing if it is already there."""
    if demo_is_loaded():
        return DemoResult(loaded=False)
    rng = random.Random(SEED)
    with transaction.atomic():
        clinics = {
            slug: Clinic.objects.create(slug=slug, **fields) for slug, fields in CLINICS.items()
        }
        users = {login.email: _create_user(login, clinics) for login in LOGINS}
        music_city = clinics[DEMO_CLINIC_SLUG]
        today = timezone.now().astimezone(music_city.zone).date()
        # The clinic's consent documents were published when it opened, before any story.
        opened = today - dt.timedelta(days=OPENED_DAYS_AGO)
        ensure_default_documents(music_city, published_at=_at_nine(music_city, opened))
        front_desk = _actor(users["coordinator@demo.kapcare.org"])
        nurse = _actor(users["clinician@demo.kapcare.org"])

        used_names: set[tuple[str, str]] = set()
        people = _people(rng, MUSIC_CITY_PATIENT_COUNT, MIDDLE_TENNESSEE, "615", used_names)
        patients = [
            _create_patient(rng, music_city, person, front_desk, nurse, today) for person in people
        ]
        portal_patient = patients[0]
        portal_patient.user = users["patient@demo.kapcare.org"]
        portal_patient.save(update_fields=["user"])
        # Every course's story (referral, screening, consent) before its first session,
        # in the clinic's working days (episodes.py).
        story = stories(today)
        load_measures(patients, nurse, timezone.now())
        load_screening(
            patients, nurse, {index: s.screened(music_city) for index, s in story.items()}
        )
        therapist = users["therapist@demo.kapcare.org"]
        admin = _actor(users["admin@demo.kapcare.org"])
        # The directory before the episodes that name its therapists; episodes before
        # consents, so that each consent carries its course's cost estimate.
        directory = load_therapists(music_city, therapist, front_desk, admin, today)
        episodes = open_episodes(
            patients, nurse, {RACHEL: directory.verified, SAM: directory.unverified}
        )
        load_consents(
            patients,
            front_desk,
            nurse,
            therapist,
            {index: s.consented(music_city) for index, s in story.items()},
        )
        load_courses(episodes, front_desk, nurse, admin)
        load_billing(music_city, episodes, therapist, front_desk, admin, today)
        load_calendar_changes(music_city, front_desk)
        load_follow_ups(patients, nurse, timezone.now())
        # The dashboards read the kept summaries: written now, not left to the worker.
        outcome_summaries.rebuild(music_city)
        load_correspondence(portal_patient, front_desk, therapist)
        load_education(
            music_city,
            portal_patient,
            _actor(users["patient@demo.kapcare.org"]),
            nurse,
        )
        # The loss before the count: the inventory reconciles with the register after it.
        report_missing_vial(music_city, users["nurse@demo.kapcare.org"], PASSWORD)
        take_biennial_inventory(music_city, users["nurse@demo.kapcare.org"], PASSWORD)
        # Last: until then the records were signed re-entering the password (`step_up`).
        _give_authenticators(users.values())

        callers = _people(rng, len(REQUEST_PLAN), MIDDLE_TENNESSEE, "615", used_names, chosen=())
        requests = _consultation_requests(rng, music_city, front_desk, callers, patients[-1])

        cumberland = clinics[OTHER_CLINIC_SLUG]
        cumberland_desk = _actor(users["coordinator@cumberland.demo.kapcare.org"])
        cumberland_today = timezone.now().astimezone(cumberland.zone).date()
        east = _people(rng, CUMBERLAND_PATIENT_COUNT, EAST_TENNESSEE, "423", used_names, chosen=())
        for person in east:
            _create_patient(
                rng, cumberland, person, cumberland_desk, cumberland_desk, cumberland_today
            )
    return DemoResult(
        loaded=True,
        patient_count=len(patients) + CUMBERLAND_PATIENT_COUNT,
        request_count=requests,
    )


def _at_nine(clinic: Clinic, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=clinic.zone)


def _actor(user: User) -> Actor:
    return Actor(user=user, ip_address=None, channel=Channel.SYSTEM)


def _give_authenticators(users) -> None:
    """The demo's authenticator app for everyone who must sign in with two factors."""
    for user in users:
        if second_factor.is_required(user):
            TOTPDevice.objects.create(
                user=user,
                name=second_factor.AUTHENTICATOR_NAME,
                key=AUTHENTICATOR_KEY,
                confirmed=True,
            )


def authenticator_key() -> str:
    """The demo key as authenticator apps take it typed in (base32)."""
    return base64.b32encode(bytes.fromhex(AUTHENTICATOR_KEY)).decode()


def _create_user(login: Login, clinics: dict[str, Clinic]) -> User:
    return User.objects.create_user(
        login.email,
        PASSWORD,
        full_name=login.full_name,
        role=login.role,
        clinic=clinics[login.clinic_slug] if login.clinic_slug else None,
        credentials=login.credentials,
    )


def _people(rng, count: int, towns, area_code: str, used: set, chosen=None) -> list[dict]:
    """`count` people with names not in `used`: the portal patient and the chosen ones
    first (unless `chosen` says otherwise), then varied others."""
    fixed = [PORTAL_PATIENT, *CHOSEN_PATIENTS] if chosen is None else chosen
    people = [dict(person) for person in fixed[:count]]
    used.update((p["given_name"], p["family_name"]) for p in people)
    while len(people) < count:
        sex = rng.choice([SexAtBirth.FEMALE, SexAtBirth.FEMALE, SexAtBirth.MALE])
        given = rng.choice(FEMALE_NAMES if sex == SexAtBirth.FEMALE else MALE_NAMES)
        family = rng.choice(FAMILY_NAMES)
        if (given, family) in used:
            continue
        used.add((given, family))
        people.append(
            {
                "given_name": given,
                "family_name": family,
                "sex_at_birth": sex,
                "pronouns": rng.choice(["", "she/her" if sex == SexAtBirth.FEMALE else "he/him"]),
                "age": rng.randint(22, 72),
            }
        )
    for person in people:
        town, postal_code = rng.choice(towns)
        contact_given = rng.choice(FEMALE_NAMES + MALE_NAMES)
        person.update(
            email=f"{person['given_name']}.{person['family_name']}@example.com".lower(),
            phone=_phone(rng, area_code),
            address_line=f"{rng.randint(100, 4999)} {rng.choice(STREETS)}",
            city=town,
            state="TN",
            postal_code=postal_code,
            emergency_contact_name=f"{contact_given} {person['family_name']}",
            emergency_contact_relationship=rng.choice(RELATIONSHIPS),
            emergency_contact_phone=_phone(rng, area_code),
        )
    return people


def _phone(rng, area_code: str) -> str:
    """A number in 555-0100..0199, the range reserved for fiction."""
    return f"{area_code}-555-{rng.randint(100, 199):04d}"


def _create_patient(rng, clinic, person: dict, registrar: Actor, measurer: Actor, today):
    age = person.pop("age")
    person["birth_date"] = today - dt.timedelta(days=age * 365 + rng.randint(10, 350))
    patient = create_patient(actor=registrar, clinic=clinic, data=person)
    _record_measurements(rng, patient, person["sex_at_birth"], measurer, today)
    return patient


def _record_measurements(rng, patient: Patient, sex: str, actor: Actor, today) -> None:
    """Two to four weights over recent months; height once, with the first weight."""
    mean_height = 163 if sex == SexAtBirth.FEMALE else 176
    height_m = rng.gauss(mean_height, 7) / 100
    weight = rng.uniform(19.5, 34.0) * height_m * height_m
    visits = rng.randint(2, 4)
    days_ago = sorted(rng.sample(range(3, 200), visits), reverse=True)
    for index, days in enumerate(days_ago):
        record_body_measurement(
            actor=actor,
            patient=patient,
            measured_on=today - dt.timedelta(days=days),
            weight_kg=Decimal(f"{weight:.1f}"),
            height_cm=Decimal(f"{height_m * 100:.1f}") if index == 0 else None,
        )
        weight += rng.uniform(-2.5, 1.5)


# (status, path through the queue, contact method, days since the request arrived)
REQUEST_PLAN = [
    (RequestStatus.NEW, [], ContactMethod.PHONE, 0),
    (RequestStatus.NEW, [], ContactMethod.EMAIL, 1),
    (RequestStatus.NEW, [], ContactMethod.TEXT, 3),
    (RequestStatus.CONTACTED, [RequestStatus.CONTACTED], ContactMethod.PHONE, 4),
    (RequestStatus.CONTACTED, [RequestStatus.CONTACTED], ContactMethod.EMAIL, 6),
    (
        RequestStatus.SCHEDULED,
        [RequestStatus.CONTACTED, RequestStatus.SCHEDULED],
        ContactMethod.PHONE,
        8,
    ),
    (RequestStatus.SCHEDULED, [RequestStatus.SCHEDULED], ContactMethod.TEXT, 9),
    (
        RequestStatus.DECLINED,
        [RequestStatus.CONTACTED, RequestStatus.DECLINED],
        ContactMethod.PHONE,
        15,
    ),
]
HOPES = [
    "I've tried three antidepressants over ten years. My psychiatrist mentioned ketamine and I'd "
    "like to understand what a course involves.",
    "My therapist suggested KAP for PTSD after a car accident. Can you work with her?",
    "Looking for information about cost and whether you take insurance.",
    "I'm a veteran dealing with depression and would like to talk to someone about options.",
    "Postpartum depression that hasn't lifted. Is this safe while I'm no longer breastfeeding?",
    "I'd like to know how many sessions are usual and whether my own counselor can be involved.",
    "Anxiety and depression for most of my adult life. Friend had a good experience with you.",
    "Just exploring. Please call after 5pm.",
]
STATUS_NOTES = {
    RequestStatus.CONTACTED: "Left a voicemail and sent the information pack.",
    RequestStatus.SCHEDULED: "Consultation call booked with the clinician.",
    RequestStatus.DECLINED: "Decided to wait until after moving house; may call back in spring.",
    RequestStatus.CONVERTED: "Consultation done; registered as a patient.",
}


def _consultation_requests(rng, clinic: Clinic, actor: Actor, callers, convert_to: Patient) -> int:
    """Requests in every status, and one converted into `convert_to`, with their history."""
    now = timezone.now()
    for (status, path, method, days_ago), person, hopes in zip(
        REQUEST_PLAN, callers, HOPES, strict=True
    ):
        request = ConsultationRequest.objects.create(
            clinic=clinic,
            given_name=person["given_name"],
            family_name=person["family_name"],
            email=person["email"] if method == ContactMethod.EMAIL or rng.random() < 0.6 else "",
            phone=person["phone"],
            preferred_contact=method,
            preferred_time=rng.choice(["Weekday mornings", "Lunchtime", "After 5pm", "Any time"]),
            hopes=hopes,
            consent_to_contact=True,
            status=status,
        )
        _backdate(request, path, actor, now - dt.timedelta(days=days_ago, hours=rng.randint(1, 9)))

    converted = ConsultationRequest.objects.create(
        clinic=clinic,
        given_name=convert_to.given_name,
        family_name=convert_to.family_name,
        email=convert_to.email,
        phone=convert_to.phone,
        preferred_contact=ContactMethod.PHONE,
        preferred_time="Weekday mornings",
        hopes="My therapist and I think KAP could help with treatment-resistant depression.",
        consent_to_contact=True,
        status=RequestStatus.CONVERTED,
        patient=convert_to,
    )
    path = [RequestStatus.CONTACTED, RequestStatus.SCHEDULED, RequestStatus.CONVERTED]
    _backdate(converted, path, actor, now - dt.timedelta(days=3, hours=6))
    return len(REQUEST_PLAN) + 1


def _backdate(request: ConsultationRequest, path, actor: Actor, arrived_at) -> None:
    """Record the request's moves through the queue, a day or two apart, after it arrived."""
    ConsultationRequest.objects.filter(pk=request.pk).update(
        created_at=arrived_at, updated_at=arrived_at
    )
    previous, moment = RequestStatus.NEW, arrived_at
    for target in path:
        moment += dt.timedelta(days=1, hours=2)
        change = StatusChange.objects.create(
            request=request,
            from_status=previous,
            to_status=target,
            note=STATUS_NOTES[target],
            changed_by=actor.user,
        )
        StatusChange.objects.filter(pk=change.pk).update(changed_at=moment)
        previous = target
    if path:
        ConsultationRequest.objects.filter(pk=request.pk).update(updated_at=moment)
