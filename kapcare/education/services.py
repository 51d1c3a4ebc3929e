"""The writes and reads of patient education: default pages, publishing a version, a
patient's read receipt, and the after-care page handed over at discharge. Each write logs
in its own transaction; emails go through the notifications outbox on commit."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.education import defaults, rules
from kapcare.education.models import (
    AfterCareHandover,
    EducationPage,
    EducationReceipt,
    EducationVersion,
)
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.refusals import Refused

UNDER_WAY_OR_AHEAD = (SessionStatus.PLANNED, SessionStatus.IN_PROGRESS)


def ensure_default_pages(clinic) -> None:
    """Give `clinic` the default pages (version 1) the first time they are needed. A page
    that exists is never touched, so the clinic's own versions are never undone."""
    existing = set(
        EducationPage.objects.filter(clinic_id=clinic.pk).values_list("topic", flat=True)
    )
    for topic, (phase, position, title, summary, body) in defaults.PAGES.items():
        if topic in existing:
            continue
        with transaction.atomic():
            page, created = EducationPage.objects.get_or_create(
                clinic_id=clinic.pk, topic=topic, defaults={"phase": phase, "position": position}
            )
            if created:
                EducationVersion.objects.create(
                    page=page,
                    number=1,
                    title=title,
                    summary=summary,
                    body_markdown=body,
                    change_summary="The default text shipped with kapcare.",
                )


def _latest_versions():
    latest = EducationVersion.objects.filter(page_id=OuterRef("page_id")).order_by("-number")
    return EducationVersion.objects.filter(pk=Subquery(latest.values("pk")[:1]))


def current_pages(clinic) -> list[EducationPage]:
    """The clinic's pages in order, each with `current` (its latest version): two queries."""
    ensure_default_pages(clinic)
    pages = EducationPage.objects.filter(clinic_id=clinic.pk).prefetch_related(
        Prefetch("versions", queryset=_latest_versions(), to_attr="latest")
    )
    result = []
    for page in pages:
        page.current = page.latest[0] if page.latest else None
        if page.current is not None:
            result.append(page)
    return result


def page_for_topic(clinic, topic: str) -> EducationPage | None:
    return next((page for page in current_pages(clinic) if page.topic == topic), None)


@dataclass(frozen=True)
class VersionInput:
    title: str
    summary: str
    body_markdown: str
    change_summary: str = ""


def publish_version(*, actor: Actor, page: EducationPage, text: VersionInput) -> EducationVersion:
    """Publish the next version of `page`; earlier versions and their receipts stay."""
    problems = {}
    for field in ("title", "summary", "body_markdown"):
        if not getattr(text, field).strip():
            problems[field] = "The page needs this: patients read it in the portal."
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = EducationPage.objects.select_for_update().get(pk=page.pk)
        last = locked.versions.aggregate(n=Max("number"))["n"] or 0
        version = EducationVersion.objects.create(
            page=locked,
            number=last + 1,
            title=text.title.strip(),
            summary=text.summary.strip(),
            body_markdown=text.body_markdown.strip() + "\n",
            change_summary=text.change_summary.strip(),
            published_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, obj=version, clinic_id=locked.clinic_id)
    return version


def mark_read(*, actor: Actor, patient, version: EducationVersion) -> EducationReceipt:
    """The patient read `version`: one receipt per version (a second press changes nothing)."""
    with transaction.atomic():
        receipt = EducationReceipt.objects.filter(
            patient_id=patient.pk, version_id=version.pk
        ).first()
        if receipt is not None:
            return receipt
        try:
            with transaction.atomic():
                receipt = EducationReceipt.objects.create(patient=patient, version=version)
        except IntegrityError:  # pressed twice at once
            return EducationReceipt.objects.get(patient_id=patient.pk, version_id=version.pk)
        record_access(actor, AccessAction.CREATE, patient=patient, obj=receipt)
    return receipt


@dataclass(frozen=True)
class PageReading:
    """One page as the clinic sees a patient's reading of it."""

    page: EducationPage
    receipt: EducationReceipt | None

    @property
    def has_read_current(self) -> bool:
        return self.receipt is not None and self.receipt.version_id == self.page.current.pk


def readings(patient, pages: list[EducationPage]) -> list[PageReading]:
    """Each of `pages` with the patient's latest receipt on any of its versions: one query."""
    receipts = EducationReceipt.objects.filter(
        patient_id=patient.pk, version__page__in=[page.pk for page in pages]
    ).select_related("version")
    latest: dict[int, EducationReceipt] = {}
    for receipt in receipts.order_by("read_at", "id"):
        latest[receipt.version.page_id] = receipt
    return [PageReading(page=page, receipt=latest.get(page.pk)) for page in pages]


def pages_for_phases(pages: list[EducationPage], phases: list[str]) -> list[EducationPage]:
    """`pages` of `phases`, in the phases' order (`rules.phases_for`)."""
    return [page for phase in phases for page in pages if page.phase == phase]


def hand_over_after_care(*, actor: Actor, session, patient, now=None) -> AfterCareHandover | None:
    """At discharge: record which after-care version the patient was given and email them
    a link to it when they have a portal account (the email names no treatment: only the
    clinic and the link, which asks them to sign in); without one, the printed sheet is
    theirs. Once per session; call it inside the discharge's transaction."""
    page = page_for_topic(patient.clinic, defaults.AFTER_CARE_TOPIC)
    if page is None or AfterCareHandover.objects.filter(session_id=session.pk).exists():
        return None
    handover = AfterCareHandover.objects.create(
        session=session,
        patient=patient,
        version=page.current,
        handed_at=now or timezone.now(),
        handed_by=actor.user,
        emailed_to=patient.user.email if patient.user_id else "",
    )
    record_access(actor, AccessAction.CREATE, patient=patient, obj=handover)
    account = patient.user
    if account is None or not account.email:
        # The link asks them to sign in to the portal: without an account the printed
        # sheet is what they take home.
        return handover
    link = absolute_url(reverse("education:portal_page", args=[page.topic]))
    notify(
        key=f"after-care:{session.external_id}",
        kind=NotificationKind.AFTER_CARE,
        to=account.email,
        subject=f"Your notes from {patient.clinic.name}",
        template="education/email/after_care.txt",
        context={"clinic": patient.clinic, "patient": patient, "link": link},
        clinic=patient.clinic,
    )
    return handover


def phases_for_patient(patient, now=None) -> list[str]:
    """`rules.phases_for` from the patient's dosing sessions: one query."""
    now = now or timezone.now()
    sessions = CareSession.objects.filter(patient_id=patient.pk, kind=SessionKind.DOSING)
    facts = sessions.aggregate(
        ahead=Max("pk", filter=Q(status__in=UNDER_WAY_OR_AHEAD, planned_end__gt=now)),
        done=Max("pk", filter=Q(status=SessionStatus.DONE)),
    )
    return rules.phases_for(
        has_dose_ahead=facts["ahead"] is not None, has_completed_dose=facts["done"] is not None
    )
