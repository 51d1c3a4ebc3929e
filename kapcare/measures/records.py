"""Writes of the chart's measure records that are not questionnaires: the totals of the
copyrighted scales (BDI-II, BAI, HAM-A, MADRS, CADSS), which a clinician administers on
paper or under the publisher's licence and records here as a number only.

One function for the web page and any later API, so the range check and the access-log
row cannot be skipped.
"""

import datetime as dt

from django.db import transaction

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.measures import scoring
from kapcare.measures.models import LicensedScaleResult


def record_licensed_scale(
    *, actor: Actor, patient, scale: str, total: int, administered_on: dt.date
) -> LicensedScaleResult:
    """Store one licensed scale total, checked against the scale's published range
    (`scoring.validate_licensed_total` raises `scoring.AnswerError` naming the range),
    with its access-log row in the same transaction."""
    scoring.validate_licensed_total(scale, total)
    with transaction.atomic():
        result = LicensedScaleResult.objects.create(
            patient=patient,
            scale=scale,
            total=total,
            administered_on=administered_on,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=result)
    return result
