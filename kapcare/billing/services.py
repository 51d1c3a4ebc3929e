"""The money side's writes: a coverage answer, a code table version, a Good Faith
Estimate issued. Each logs in its own transaction; the estimate's email and the automatic
issue at booking run on commit (kapcare/queue.py)."""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.billing import codes as defaults
from kapcare.billing import estimate as content_of
from kapcare.billing import rules
from kapcare.billing.models import BillingCode, Coverage, CoverageRecord, GoodFaithEstimate
from kapcare.refusals import Refused

# --- Coverage ----------------------------------------------------------------------------------


def current_coverage(patient) -> CoverageRecord | None:
    """The patient's newest coverage answer, or None when nobody has asked yet (one query)."""
    return (
        CoverageRecord.objects.filter(patient_id=patient.pk).order_by("-recorded_at", "-id").first()
    )


@dataclass(frozen=True)
class CoverageInput:
    status: str
    insurer: str = ""
    member_id: str = ""
    note: str = ""


def coverage_problems(data: CoverageInput) -> dict[str, str]:
    problems = {}
    if data.status not in Coverage.values:
        problems["status"] = "Choose one of the three answers."
    insured = data.status in (Coverage.SELF_PAY, Coverage.FILING_CLAIM)
    if insured and not data.insurer.strip():
        problems["insurer"] = "Name the insurer (the patient is insured)."
    if data.status == Coverage.FILING_CLAIM and not data.member_id.strip():
        problems["member_id"] = "Enter the member ID from the insurance card to file a claim."
    return problems


def record_coverage(*, actor: Actor, patient, data: CoverageInput) -> CoverageRecord:
    """A new coverage answer; the earlier ones stay as the history. An uninsured or
    self-pay patient with sessions booked is then owed an estimate: issued on commit."""
    problems = coverage_problems(data)
    if problems:
        raise Refused(problems)
    insured = data.status != Coverage.UNINSURED
    with transaction.atomic():
        record = CoverageRecord.objects.create(
            patient=patient,
            status=data.status,
            insurer=data.insurer.strip() if insured else "",
            member_id=data.member_id.strip() if insured else "",
            note=data.note.strip(),
            recorded_at=timezone.now(),
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=record)
        if record.needs_estimate:
            from kapcare.billing.tasks import enqueue_estimates_for_patient

            enqueue_estimates_for_patient(
                patient.pk, "Coverage recorded as " + record.get_status_display().lower()
            )
    return record


# --- The code table ----------------------------------------------------------------------------


def ensure_default_codes(clinic) -> None:
    """Give `clinic` the default code table the first time it is read (version 1 of each
    line; a clinic's own versions are never touched; two requests at once keep one)."""
    now = timezone.now()
    BillingCode.objects.bulk_create(
        [
            BillingCode(
                clinic_id=clinic.pk,
                key=key,
                version=1,
                system=system,
                code=code,
                description=description,
                modifiers=modifiers,
                is_active=is_active,
                source=source,
                reason="The default table (docs/billing-reference.md).",
                created_at=now,
            )
            for (key, system, code, description, modifiers, is_active, source) in (
                defaults.DEFAULT_CODES
            )
        ],
        ignore_conflicts=True,
    )


def code_table(clinic) -> dict[str, BillingCode]:
    """The newest version of each line of `clinic`'s code table, by key (one query; the
    defaults are written the first time)."""
    rows = list(BillingCode.objects.filter(clinic_id=clinic.pk).order_by("key", "-version"))
    if not rows:
        ensure_default_codes(clinic)
        rows = list(BillingCode.objects.filter(clinic_id=clinic.pk).order_by("key", "-version"))
    table: dict[str, BillingCode] = {}
    for row in rows:
        table.setdefault(row.key, row)
    return table


def as_rule_codes(table: dict[str, BillingCode]) -> dict[str, rules.Code]:
    return {
        key: rules.Code(
            key=key,
            system=row.system,
            code=row.code,
            description=row.description,
            modifiers=row.modifiers,
            ndc=row.ndc,
            price=row.price,
            is_active=row.is_active,
        )
        for key, row in table.items()
    }


CODE_FIELDS = ("system", "code", "description", "modifiers", "ndc", "price", "is_active", "source")


def save_code_version(
    *, actor: Actor, current: BillingCode, values: dict, reason: str
) -> BillingCode:
    """A new version of a code table line with `values` (the fields of `CODE_FIELDS`) and
    why. Two admins saving at once: the second is told to reload (one version per number)."""
    if not reason.strip():
        raise Refused({"reason": "Say why the line changes (it is kept with the version)."})
    fields = {name: values.get(name, getattr(current, name)) for name in CODE_FIELDS}
    try:
        with transaction.atomic():
            row = BillingCode.objects.create(
                clinic_id=current.clinic_id,
                key=current.key,
                version=current.version + 1,
                reason=reason.strip(),
                created_at=timezone.now(),
                created_by=actor.user,
                **fields,
            )
            record_access(actor, AccessAction.UPDATE, obj=row)
    except IntegrityError as error:
        raise Refused(
            {"__all__": "Someone saved this line a moment ago: reload the page and try again."}
        ) from error
    return row


# --- Good Faith Estimates ----------------------------------------------------------------------


def estimates_of(patient) -> list[GoodFaithEstimate]:
    return list(
        GoodFaithEstimate.objects.filter(patient_id=patient.pk)
        .select_related("episode")
        .order_by("-issued_at", "-id")
    )


def clinic_estimates(clinic_id: int, limit: int) -> list[GoodFaithEstimate]:
    """The clinic's newest estimates with their patients (one query, read through the
    (clinic, issued_at) index)."""
    return list(
        GoodFaithEstimate.objects.filter(clinic_id=clinic_id)
        .select_related("patient")
        .order_by("-issued_at", "-id")[:limit]
    )


def unasked_with_bookings(clinic_id: int, limit: int) -> list:
    """Patients with a session booked in an open course and no coverage answer: the
    question the law asks at scheduling is still open (one query)."""
    from kapcare.episodes import rules as episode_rules
    from kapcare.episodes.models import CareSession
    from kapcare.patients.models import Patient

    booked = CareSession.objects.filter(patient__clinic_id=clinic_id).exclude(
        episode__state__in=episode_rules.CLOSED_STATES
    )
    return list(
        Patient.objects.filter(clinic_id=clinic_id, pk__in=booked.values("patient_id"))
        .exclude(pk__in=CoverageRecord.objects.values("patient_id"))
        .order_by("family_name", "given_name", "id")[:limit]
    )


def fingerprint(content: dict) -> str:
    """SHA-256 of what the estimate says, the dates of issue and its reason aside, so that
    an estimate issued again with nothing changed is recognised."""
    stable = {k: v for k, v in content.items() if k not in content_of.PER_ISSUE}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def issue_estimate(
    *, actor: Actor, episode, reason: str, requested: bool = False, scheduled_on=None
) -> GoodFaithEstimate | None:
    """Issue a Good Faith Estimate for `episode`'s course, under a lock on the episode so
    that two issues never take one version number. Booked automatically: nothing is issued
    when the newest estimate already says the same (None). On request: always issued.
    `scheduled_on`: the day the service was scheduled or the estimate asked for (a request
    taken by phone earlier), which starts the deadline; today by default."""
    from kapcare.episodes.models import Episode

    with transaction.atomic():
        episode = (
            Episode.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=episode.pk)
        )
        previous = (
            GoodFaithEstimate.objects.filter(episode_id=episode.pk).order_by("-version").first()
        )
        today = timezone.localdate(timezone=episode.clinic.zone)
        draft = content_of.build(episode, today=today)
        print_ = fingerprint(draft.content)
        if previous is not None and previous.fingerprint == print_ and not requested:
            return None
        scheduled_on = scheduled_on or today
        due = rules.estimate_due(scheduled_on, draft.first_service_on, requested=requested)
        why = reason if previous is None else f"{reason}. Replaces version {previous.version}."
        if previous is not None and previous.fingerprint != print_:
            why += " What changed: " + content_of.what_changed(previous.content, draft.content)
        version = 1 if previous is None else previous.version + 1
        content = {**draft.content, "version": version, "reason": why[:300]}
        estimate = GoodFaithEstimate.objects.create(
            clinic_id=episode.clinic_id,
            patient_id=episode.patient_id,
            episode=episode,
            version=version,
            replaces=previous,
            reason=why[:300],
            is_requested=requested,
            scheduled_on=scheduled_on,
            due_on=due.due_on,
            due_rule=due.rule,
            covers_until=rules.covered_until(today),
            content=content,
            fingerprint=print_,
            total=draft.total,
            issued_at=timezone.now(),
            issued_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        )
        record_access(actor, AccessAction.CREATE, patient=episode.patient, obj=estimate)
        from kapcare.billing.emails import email_estimate

        email_estimate(estimate, episode.patient)
    return estimate
