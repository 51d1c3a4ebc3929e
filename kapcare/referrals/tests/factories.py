"""A referral held for a coordinator's review, for the tests that walk every page."""

import hashlib
import json
import uuid

from kapcare.referrals.bundle import read_bundle
from kapcare.referrals.models import Referral, ReferralStatus
from kapcare.referrals.tests.helpers import patient_resource, transaction


def referral_for_review(clinic, *, by, candidates) -> Referral:
    """A referral received with `by`'s token, waiting for a decision between
    `candidates` (patients of `clinic`)."""
    first = candidates[0]
    bundle = transaction(
        patient_resource(
            given=first.given_name, family=first.family_name, born=str(first.birth_date)
        )
    )
    content = read_bundle(json.dumps(bundle).encode())
    referral = Referral.objects.create(
        clinic=clinic,
        digest=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        received_by=by,
        referred_name=content.patient.full_name,
        referred_birth_date=content.patient.born_on,
        content=content.to_json(),
        status=ReferralStatus.NEEDS_REVIEW,
    )
    referral.candidates.set(candidates)
    return referral
