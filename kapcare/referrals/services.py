"""Importing a referral, and a coordinator's decision about an ambiguous one.

Each runs in one transaction with its access-log rows. The patient is found by an
identifier the referrer gave before, else by name and birth date; when that could be more
than one person, nothing is recorded about anyone until a coordinator says who it is
(`resolve_referral`). What the referrer reported goes into a new screening version
("reported by the referrer", unreviewed), and PHQ-9/GAD-7 responses are scored again from
their answers (`kapcare.measures.services.record_assessment`).
"""

import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.audit.log import Actor, record_access, record_objects_access
from kapcare.audit.models import AccessAction
from kapcare.measures.models import Source
from kapcare.measures.services import record_assessment
from kapcare.patients.models import Patient
from kapcare.patients.services import create_patient
from kapcare.referrals import response
from kapcare.referrals.bundle import Referral as ReferralContent
from kapcare.referrals.bundle import read_bundle
from kapcare.referrals.models import PatientIdentifier, Referral, ReferralStatus, Resolution
from kapcare.refusals import Refused
from kapcare.screening import rules as screening_rules
from kapcare.screening.models import HistorySource
from kapcare.screening.services import (
    ConditionReport,
    HistoryReport,
    MedicationReport,
    active_contraindications,
    submit_history,
)


@dataclass
class Match:
    """Whom a referral is about: one patient, or the candidates a person must choose from
    (none: a new patient)."""

    patient: Patient | None = None
    candidates: list[Patient] = field(default_factory=list)

    @property
    def is_ambiguous(self) -> bool:
        return self.patient is None and bool(self.candidates)


@dataclass(frozen=True)
class Imported:
    referral: Referral
    is_repeat: bool = False


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def import_referral(*, actor: Actor, clinic, body: bytes) -> Imported:
    """Import the FHIR transaction Bundle `body` for `clinic`. The same bundle sent again
    is answered as the first time and changes nothing. Raises `bundle.BundleError` for a
    bundle that cannot be read."""
    digest = digest_of(body)
    earlier = _earlier(clinic, digest)
    if earlier is not None:
        record_access(actor, AccessAction.VIEW, patient=earlier.patient, obj=earlier)
        return Imported(earlier, is_repeat=True)
    content = read_bundle(body)
    # Two referrals of one new person at once: the second to commit meets the first's
    # identifiers (unique in the clinic) and is tried once more, when it finds that patient.
    for attempt in range(2):
        try:
            with transaction.atomic():
                return Imported(_receive(actor, clinic, digest, content))
        except IntegrityError:
            earlier = _earlier(clinic, digest)
            if earlier is not None:
                return Imported(earlier, is_repeat=True)
            if attempt:
                raise
    raise AssertionError("unreachable")


def _earlier(clinic, digest: str) -> Referral | None:
    return (
        Referral.objects.select_related("patient")
        .filter(clinic_id=clinic.pk, digest=digest)
        .first()
    )


def _receive(actor: Actor, clinic, digest: str, content: ReferralContent) -> Referral:
    match = find_patient(clinic, content)
    referral = Referral.objects.create(
        clinic=clinic,
        digest=digest,
        received_by=actor.user,
        referred_name=content.patient.full_name[:201],
        referred_birth_date=content.patient.born_on,
        content=content.to_json(),
        status=ReferralStatus.NEEDS_REVIEW if match.is_ambiguous else ReferralStatus.IMPORTED,
    )
    if match.is_ambiguous:
        referral.candidates.set(match.candidates)
        referral.response = response.held_for_review(content)
        referral.save(update_fields=["response"])
        record_access(actor, AccessAction.CREATE, obj=referral)
        return referral
    created = match.patient is None
    patient = match.patient or _register(actor, clinic, content)
    _record(actor, referral, patient, content, created=created)
    return referral


def find_patient(clinic, content: ReferralContent) -> Match:
    """The patient a referral is about. An identifier the referrer gave before decides,
    when the birth date agrees; else the same given and family name and birth date. Two
    possible people, or a name match whose record carries another value of the same
    identifier system, is ambiguous: a person decides."""
    referred = content.patient
    known = _patients_with_identifiers(clinic, referred.identifiers)
    if known:
        if len(known) == 1 and known[0].birth_date == referred.born_on:
            return Match(patient=known[0])
        return Match(candidates=known)
    namesakes = list(
        Patient.objects.filter(
            clinic_id=clinic.pk,
            given_name__iexact=referred.given_name,
            family_name__iexact=referred.family_name,
            birth_date=referred.born_on,
        ).order_by("id")
    )
    if len(namesakes) == 1:
        systems = {system for system, _ in referred.identifiers}
        other_numbers = PatientIdentifier.objects.filter(
            patient_id=namesakes[0].pk, system__in=systems
        ).exists()
        return Match(candidates=namesakes) if other_numbers else Match(patient=namesakes[0])
    return Match(candidates=namesakes)


def _patients_with_identifiers(clinic, identifiers: list[list[str]]) -> list[Patient]:
    if not identifiers:
        return []
    wanted = Q()
    for system, value in identifiers:
        wanted |= Q(system=system, value=value)
    patient_ids = (
        PatientIdentifier.objects.filter(wanted, clinic_id=clinic.pk)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return list(Patient.objects.filter(pk__in=patient_ids).order_by("id"))


def _register(actor: Actor, clinic, content: ReferralContent) -> Patient:
    referred = content.patient
    return create_patient(
        actor=actor,
        clinic=clinic,
        data={
            "given_name": referred.given_name,
            "family_name": referred.family_name,
            "birth_date": referred.born_on,
            "sex_at_birth": referred.sex_at_birth,
            "phone": referred.phone,
            "email": referred.email,
            "address_line": referred.address_line,
            "city": referred.city,
            "state": referred.state,
            "postal_code": referred.postal_code,
        },
    )


def _record(
    actor: Actor, referral: Referral, patient: Patient, content: ReferralContent, *, created: bool
) -> None:
    """Write what the referral says onto `patient`: identifiers, a screening version, the
    questionnaires. In the caller's transaction."""
    identifiers = _keep_identifiers(referral.clinic_id, patient, content.patient.identifiers)
    record_objects_access(actor, AccessAction.CREATE, patient, identifiers)
    screening = submit_history(
        actor=actor,
        patient=patient,
        report=history_report(patient, content),
        source=HistorySource.REFERRER,
    )
    assessments = [
        (
            questionnaire,
            record_assessment(
                actor=actor,
                patient=patient,
                instrument=questionnaire.instrument,
                answers=list(questionnaire.answers),
                source=Source.REFERRER,
            ).assessment,
        )
        for questionnaire in content.questionnaires
    ]
    referral.patient = patient
    referral.screening = screening
    referral.response = response.imported(content, patient, screening, assessments, created=created)
    referral.save(update_fields=["patient", "screening", "response"])
    record_access(actor, AccessAction.CREATE, patient=patient, obj=referral)


def _keep_identifiers(clinic_id, patient: Patient, identifiers) -> list[PatientIdentifier]:
    """Store the referrer's identifiers for `patient`; one already naming another patient
    is left with them (a coordinator chose this patient over that one's identifier)."""
    taken = set()
    for system, value in identifiers:
        taken |= set(
            PatientIdentifier.objects.filter(
                clinic_id=clinic_id, system=system, value=value
            ).values_list("system", "value")
        )
    new = [
        PatientIdentifier(clinic_id=clinic_id, patient=patient, system=system, value=value)
        for system, value in identifiers
        if (system, value) not in taken
    ]
    return PatientIdentifier.objects.bulk_create(new)


def history_report(patient: Patient, content: ReferralContent) -> HistoryReport:
    """The referral as a screening history: each flagged catalogue condition reported
    present (with the referrer's words and codes), the others not known; current medicines
    with the interacting classes their codes map to; conditions outside the catalogue in
    the comments, so nothing the referrer said is lost."""
    flagged: dict[str, list[str]] = {}
    for condition in content.conditions:
        for code in condition.flags:
            flagged.setdefault(code, []).extend(condition.coding_labels() or [condition.text])
    reports = [
        ConditionReport(
            contraindication_id=item.pk,
            present=True,
            note=("Reported by the referrer: " + "; ".join(flagged[item.code]))[:500],
        )
        for item in active_contraindications(patient.clinic)
        if item.code in flagged and not item.is_pregnancy
    ]
    medicines: dict[str, MedicationReport] = {}
    for medicine in content.medications:
        if medicine.is_current and medicine.text not in medicines:
            medicines[medicine.text] = MedicationReport(
                name=medicine.text[:200], interaction_codes=tuple(medicine.flags)
            )
    return HistoryReport(
        allergies="; ".join(content.allergies) or "Not stated in the referral.",
        pregnancy_status=(
            screening_rules.PREGNANT
            if screening_rules.PREGNANCY_CODE in flagged
            # Not stated: left open ("possibly") until the clinician confirms it.
            else screening_rules.POSSIBLY_PREGNANT
        ),
        conditions=reports,
        medications=list(medicines.values()),
        comments=_comments(content),
    )


def _comments(content: ReferralContent) -> str:
    received = timezone.localdate().isoformat()
    lines = [f"Imported from a referral received on {received}; not yet reviewed."]
    current = [c for c in content.conditions if c.is_current and not c.flags]
    past = [c for c in content.conditions if not c.is_current and not c.flags]
    if current:
        lines.append("Other current conditions: " + "; ".join(_labels(current)) + ".")
    if past:
        lines.append("Past conditions: " + "; ".join(_labels(past)) + ".")
    return "\n".join(lines)


def _labels(items) -> list[str]:
    seen: list[str] = []
    for item in items:
        label = (item.coding_labels() or [item.text])[0]
        if label not in seen:
            seen.append(label)
    return seen


# --- The review -------------------------------------------------------------------------------


def resolve_referral(
    *,
    actor: Actor,
    referral: Referral,
    patient: Patient | None,
    reauthentication: step_up.Reauthentication | None,
) -> Referral:
    """A coordinator's decision about an ambiguous referral, signed (re-authenticated at
    the moment): it is about `patient` (one of its candidates), or, with None, about a new
    patient registered from it. Then it is imported like any other. Made once."""
    step_up.require(reauthentication, actor, what="decide whom the referral is about")
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not locked.needs_review:
            raise Refused({"__all__": "This referral was already decided."})
        if patient is not None and not locked.candidates.filter(pk=patient.pk).exists():
            raise Refused({"patient": "Choose one of the patients listed."})
        content = ReferralContent.from_json(locked.content)
        created = patient is None
        if created:
            patient = _register(actor, locked.clinic, content)
        locked.status = ReferralStatus.RESOLVED
        locked.resolution = Resolution.CREATED if created else Resolution.MATCHED
        locked.resolved_by = actor.user
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        _record(actor, locked, patient, content, created=created)
    return locked
