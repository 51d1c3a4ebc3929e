"""Demo consents and sharing: the portal patient has signed the treatment consent in the
portal and authorised the demo therapist, Rachel Kim, to see everything; more patients
signed on the clinic tablet. Three of them authorised Rachel on the tablet too, each with
fewer scopes (patient 1: schedule, summaries and safety alerts; patient 2, whose doses she
sits in on: schedule and summaries; patient 3: schedule and questionnaires), so her portal
lists exactly four patients and shows what each scope opens. One more authorisation to her
has expired and one was revoked: those two
patients she no longer sees.

Each treatment consent is signed for the patient's episode and names its model: the KAP
consent for the KAP courses, the standalone-infusion consent (no psychotherapy) for
patient 5's standalone infusions.

Everything goes through `kapcare.consents.services`, as the pages and the API do: the
typed name must match the record, the text signed is the clinic's current version with the
patient's particulars, and each signature and authorisation has its row in the access log.
"""

import datetime as dt

from django.utils import timezone

from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.consents import rules, services
from kapcare.consents.models import SharingAuthorization, SigningMethod, sha256_hex
from kapcare.patients.models import Patient
from kapcare.scopes import Scope

# Every demo authorisation names the demo therapist, who has an account, so no invitation
# (the only use of the link's base) is ever sent.

# Per patient index (see build.py): who witnessed a clinic-tablet signature of the
# treatment consent. The portal patient (0) signs in the portal.
TABLET_CONSENTS = {
    1: "coordinator",
    2: "clinician",
    3: "clinician",
    4: "coordinator",
    5: "clinician",
    7: "coordinator",
    12: "clinician",
    13: "coordinator",
    14: "clinician",
    15: "coordinator",
}
# Per patient index: the scopes they share with the demo therapist on the clinic tablet,
# and for how long (both episodes name her, see episodes.py).
TABLET_AUTHORIZATIONS = {
    1: (
        [Scope.SCHEDULE, Scope.SESSION_SUMMARIES, Scope.SAFETY_ALERTS],
        None,  # the clinic's default length
        "Rachel Kim prepares and integrates my doses with me.",
    ),
    # In-session KAP: Rachel sits in on the doses, so she needs the schedule and the
    # summaries (the gate "therapist in the loop"), and nothing more.
    2: (
        [Scope.SCHEDULE, Scope.SESSION_SUMMARIES],
        None,
        "Rachel Kim sits with me through my dosing sessions and integrates them with me.",
    ),
    3: (
        [Scope.SCHEDULE, Scope.MEASURES],
        90,
        "Preparation with my therapist; she follows my PCL-5 and PHQ-9 scores.",
    ),
    # The past KAP courses (episodes.py): Rachel followed them and still sees the scores.
    **{
        index: (
            [Scope.SCHEDULE, Scope.SESSION_SUMMARIES, Scope.MEASURES],
            None,
            "Rachel Kim prepared and integrated my doses with me and follows my scores.",
        )
        for index in (13, 14, 15)
    },
}
EXPIRED_AUTHORIZATION_PATIENT = 4
REVOKED_AUTHORIZATION_PATIENT = 6
EXPIRED_DAYS_AGO = 12


def load_consents(
    patients: list[Patient],
    front_desk: Actor,
    nurse: Actor,
    therapist: User,
    consented: dict[int, dt.datetime],
) -> None:
    """The treatment consents, each signed at the moment `consented` gives for the patient
    (their course's story: after the screening, before the first session); then the
    sharing authorisations, signed as the demo is loaded."""
    portal_patient = patients[0]
    in_portal = Actor(user=portal_patient.user, ip_address=None, channel=front_desk.channel)
    _sign_treatment_consent(portal_patient, in_portal, SigningMethod.PORTAL, consented[0])
    witnesses = {"coordinator": front_desk, "clinician": nurse}
    for index, witness in TABLET_CONSENTS.items():
        _sign_treatment_consent(
            patients[index], witnesses[witness], SigningMethod.CLINIC_TABLET, consented[index]
        )

    today = services.clinic_today(portal_patient.clinic)
    _authorize(
        portal_patient,
        in_portal,
        SigningMethod.PORTAL,
        therapist,
        scopes=list(Scope.values),
        expires_on=rules.default_expiry(today, portal_patient.clinic.sharing_authorization_months),
        purpose="My therapist, Rachel Kim, prepares and integrates my dosing sessions with me.",
    )

    for index, (scopes, days, purpose) in TABLET_AUTHORIZATIONS.items():
        patient = patients[index]
        _authorize(
            patient,
            front_desk,
            SigningMethod.CLINIC_TABLET,
            therapist,
            scopes=list(scopes),
            expires_on=today + dt.timedelta(days=days)
            if days
            else rules.default_expiry(today, patient.clinic.sharing_authorization_months),
            purpose=purpose,
        )

    expired = _authorize(
        patients[EXPIRED_AUTHORIZATION_PATIENT],
        front_desk,
        SigningMethod.CLINIC_TABLET,
        therapist,
        scopes=[Scope.SCHEDULE, Scope.MEASURES],
        expires_on=today + dt.timedelta(days=1),
        purpose="Integration sessions with my therapist after each dosing session.",
    )
    _backdate_expiry(expired, today - dt.timedelta(days=EXPIRED_DAYS_AGO))

    revoked = _authorize(
        patients[REVOKED_AUTHORIZATION_PATIENT],
        front_desk,
        SigningMethod.CLINIC_TABLET,
        therapist,
        scopes=[Scope.SCHEDULE, Scope.SESSION_SUMMARIES],
        expires_on=today + dt.timedelta(days=180),
        purpose="",
    )
    services.revoke_authorization(
        actor=front_desk,
        authorization=revoked,
        reason="The patient phoned: they now see a different therapist and asked us to stop "
        "sharing.",
    )


def _sign_treatment_consent(patient: Patient, actor: Actor, method: str, at: dt.datetime):
    """The consent for the patient's episode (opened before, see build.py)."""
    version = services.treatment_version_for(patient)
    services.sign_treatment_consent(
        actor=actor,
        patient=patient,
        version=version,
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True, method=method),
        expected_sha256=sha256_hex(services.text_to_sign(version, patient)),
        now=at,
    )


def _authorize(
    patient: Patient,
    actor: Actor,
    method: str,
    therapist: User,
    *,
    scopes: list[str],
    expires_on: dt.date,
    purpose: str,
) -> SharingAuthorization:
    return services.authorize_sharing(
        actor=actor,
        patient=patient,
        request=services.AuthorizationInput(
            therapist_email=therapist.email,
            therapist_name=therapist.full_name,
            scopes=scopes,
            expires_on=expires_on,
            purpose=purpose,
        ),
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True, method=method),
        expected_sha256=None,
    )


def _backdate_expiry(authorization: SharingAuthorization, last_day: dt.date) -> None:
    """The demo back-dates an authorisation so that one has run out, as it would have after
    months of use: the service only takes an expiry after today. Only the authorisation's
    dates move; its signature, which the database keeps unchangeable, still shows when the
    demo was loaded and the last day as signed."""
    zone = authorization.clinic.zone
    expires_at = timezone.make_aware(
        dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min), zone
    )
    SharingAuthorization.objects.filter(pk=authorization.pk).update(
        expires_on=last_day,
        expires_at=expires_at,
        created_at=expires_at - dt.timedelta(days=180),
    )
