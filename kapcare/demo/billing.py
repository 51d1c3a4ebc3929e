"""The demo's money side: the clinic's NPI, TIN and address, the coverage answers of a few
patients, and Good Faith Estimates for the self-pay ones — one asked for by phone three
business days ago, so it is due today (docs/billing-reference.md)."""

import datetime as dt

from kapcare.audit.log import Actor
from kapcare.billing import rules, services
from kapcare.billing.models import Coverage
from kapcare.clinics.services import change_settings
from kapcare.therapists import services as therapists

# Demo identifiers: ten digits and nine digits of the right shape, belonging to no one.
CLINIC_IDENTITY = {
    "npi": "1234567893",
    "tin": "62-0000001",
    "service_address": "1 Demo Way, Suite 100\nNashville, TN 37203",
}
THERAPIST_IDENTITY = {"npi": "1987654325", "tin": "62-0000002"}

# episode index (kapcare/demo/episodes.py COURSES) -> (coverage, insurer, member id)
COVERAGE = {
    0: (Coverage.SELF_PAY, "BlueCross BlueShield of Tennessee", ""),
    1: (Coverage.UNINSURED, "", ""),
    2: (Coverage.SELF_PAY, "Cigna", ""),
    3: (Coverage.FILING_CLAIM, "Aetna", "W123456789"),
    12: (Coverage.FILING_CLAIM, "UnitedHealthcare", "UHC0000001"),
}
ASKED_BY_PHONE = 2  # the estimate asked for three business days ago: due today


def load_billing(clinic, episodes: dict, therapist, front_desk: Actor, admin: Actor, today) -> None:
    change_settings(acting_user=admin.user, clinic=clinic, values=CLINIC_IDENTITY)
    profile = therapist.therapist_profiles.get(clinic_id=clinic.pk)
    therapists.update_profile(actor=admin, profile=profile, data=THERAPIST_IDENTITY)
    for index, (status, insurer, member_id) in COVERAGE.items():
        services.record_coverage(
            actor=front_desk,
            patient=episodes[index].patient,
            data=services.CoverageInput(status=status, insurer=insurer, member_id=member_id),
        )
    for index, (status, _, _) in COVERAGE.items():
        if status == Coverage.FILING_CLAIM:
            continue
        asked = index == ASKED_BY_PHONE
        services.issue_estimate(
            actor=front_desk,
            episode=episodes[index],
            reason="Requested by the patient by phone" if asked else "Sessions booked",
            requested=asked,
            scheduled_on=_business_days_before(today, 3) if asked else None,
        )


def _business_days_before(day, count: int):
    """The day whose deadline of `count` business days falls on `day`; when `day` is a
    weekend or a holiday, the one whose deadline is the next business day."""
    candidate = day
    while rules.add_business_days(candidate, count) > day:
        candidate -= dt.timedelta(days=1)
    if rules.add_business_days(candidate, count) == day:
        return candidate
    return candidate + dt.timedelta(days=1)
