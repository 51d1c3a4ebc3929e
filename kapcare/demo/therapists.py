"""The demo's directory of outside therapists: Rachel Kim, whose licence, KAP training and
ASKP3 membership the clinic has verified, and Sam Ortega, invited but not yet signed in,
whose licence and training nobody has checked yet, so the episode that names him and its
booked dose show the credential warning.

Everything goes through `kapcare.therapists.services` and `.invitations`, as the
directory pages do: the coordinator adds each entry, staff verify each credential (who,
when), and Sam's invitation stays pending (its email goes out when the demo commits: with
the development console backend, it is printed).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.clinics.models import Clinic
from kapcare.therapists import services
from kapcare.therapists.invitations import invite_therapist
from kapcare.therapists.models import Credential, LicenceType, Modality, TherapistProfile

# The links in the invitation email point here (the demo runs on a developer's machine).

SAM_EMAIL = "sam.ortega@example.com"
SAM_NAME = "Sam Ortega"


@dataclass(frozen=True)
class DemoTherapists:
    verified: User  # Rachel Kim, the demo's therapist sign-in
    unverified: User  # Sam Ortega: a directory entry, invitation pending


def load_therapists(
    clinic: Clinic, rachel: User, front_desk: Actor, admin: Actor, today: dt.date
) -> DemoTherapists:
    """Both directory entries, before the episodes that name them are opened."""
    profile = services.create_profile(
        actor=front_desk,
        clinic=clinic,
        email=rachel.email,
        full_name=rachel.full_name,
        data={
            "practice_name": "Rachel Kim Family Therapy",
            "phone": "615-555-0142",
            "city": "Nashville",
            "state": "TN",
            "website": "https://rachelkim.example.com",
            "licence_type": LicenceType.LMFT,
            "licence_state": "TN",
            "licence_number": "1387",
            "licence_expires_on": dt.date(today.year + 2, 1, 31),
            "training_programme": "Polaris Insight Center KAP training",
            "training_completed_on": today - dt.timedelta(days=2 * 365),
            "is_askp3_member": True,
            "modalities": [Modality.IFS, Modality.ACT, Modality.CBT],
            "fee_per_session": Decimal("150.00"),
            "is_accepting_patients": True,
        },
    )
    # The coordinator checked the licence on the state board's lookup and the ASKP3
    # member list; the clinic admin confirmed her KAP training with the programme (no
    # certificate is uploaded: the entry notes it).
    profile.refresh_from_db()  # the facts as the directory page shows them
    for credential, checker in (
        (Credential.LICENCE, front_desk),
        (Credential.TRAINING, admin),
        (Credential.ASKP3, front_desk),
    ):
        # As the verify form does: vouch for the facts as the page showed them.
        services.verify_credential(
            actor=checker,
            profile=profile,
            credential=credential,
            fingerprint=services.credential_fingerprint(profile, credential),
        )
    # Rachel had her account (and the demo password) before the directory existed, so she
    # is never invited: `invite_therapist` refuses an account with a password, and
    # accepting sets a new one. Her entry counts as accepted from when her account was
    # made, which is what `invitation_status` already reads for such an account.
    TherapistProfile.objects.filter(pk=profile.pk).update(invitation_accepted_at=rachel.date_joined)

    sam = services.create_profile(
        actor=front_desk,
        clinic=clinic,
        email=SAM_EMAIL,
        full_name=SAM_NAME,
        credentials="LPC",
        data={
            "practice_name": "Harpeth Counseling",
            "phone": "615-555-0187",
            "city": "Franklin",
            "state": "TN",
            "licence_type": LicenceType.LPC,
            "licence_state": "TN",
            "licence_number": "4410",
            "licence_expires_on": today + dt.timedelta(days=300),
            "training_programme": "Fluence KAP certificate programme",
            "training_completed_on": today - dt.timedelta(days=60),
            "modalities": [Modality.EMDR, Modality.CBT],
            "fee_per_session": Decimal("160.00"),
            "is_accepting_patients": True,
        },
    )
    invite_therapist(actor=front_desk, profile=sam)
    return DemoTherapists(verified=rachel, unverified=sam.user)
