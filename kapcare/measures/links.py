"""Single-purpose questionnaire links: the clinic emails one, the patient opens it without a
password, answers one questionnaire, and the link stops working.

The token is a secret in the URL, like a password-reset link: only its SHA-256 is stored
(as `accounts.ApiToken` does), so a copy of the database opens nothing. The email carries
no health information: not the patient's name, not even which questionnaire it is (the
name of a depression or PTSD scale says something about the patient), only the clinic's
name, the link, when it expires and that it works once.
"""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from kapcare.audit.log import Actor, client_ip, record_access
from kapcare.audit.models import AccessAction
from kapcare.links import absolute_url
from kapcare.measures import services
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import AssessmentLink, Source
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify

TOKEN_BYTES = 32


class LinkError(ValueError):
    """A link cannot be sent or opened; the message says why, in the user's words."""


class LinkUnknown(LinkError):
    pass


class LinkExpired(LinkError):
    def __init__(self, link: AssessmentLink) -> None:
        super().__init__("This questionnaire link has expired.")
        self.link = link


class LinkUsed(LinkError):
    def __init__(self, link: AssessmentLink) -> None:
        super().__init__("This questionnaire link has already been used.")
        self.link = link


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return absolute_url(reverse("measures:link", args=[token]))


def send_from_form(form, *, actor: Actor, patient) -> AssessmentLink | None:
    """What the staff page and the therapist's page do with a filled send-link form: the
    link sent, or None with the reason on the form (invalid, or refused by the rules)."""
    if not form.is_valid():
        return None
    try:
        return send_questionnaire_link(
            actor=actor,
            patient=patient,
            instrument=form.cleaned_data["instrument"],
        )
    except LinkError as error:
        form.add_error(None, str(error))
        return None


def link_expiry_in_words(link: AssessmentLink) -> str:
    """When the link stops working, in the patient's clinic's time zone."""
    expires = timezone.localtime(link.expires_at, link.patient.clinic.zone)
    return dateformat.format(expires, "M j, Y, g:i A T")


def send_questionnaire_link(*, actor: Actor, patient, instrument: str) -> AssessmentLink:
    """Create a link to `instrument` for `patient` and email it to the address on their
    record once the transaction commits.

    The link expires after the clinic's `questionnaire_link_valid_days`. A new link
    replaces any unused one for the same questionnaire (that one expires now), so a
    patient never holds two live links to the same form; answers already given through
    the old one carry over to the new one (see `open_link`).
    """
    if instrument not in INSTRUMENTS:
        raise LinkError(f"Unknown questionnaire “{instrument}”.")
    if not patient.email:
        raise LinkError(
            "This patient has no email address on their record. Add one before sending a "
            "questionnaire link."
        )
    clinic = patient.clinic
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        AssessmentLink.objects.filter(
            patient=patient, instrument=instrument, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        link = AssessmentLink.objects.create(
            patient=patient,
            instrument=instrument,
            token_hash=hash_token(token),
            sent_by=actor.user,
            sent_to=patient.email,
            expires_at=now + dt.timedelta(days=clinic.questionnaire_link_valid_days),
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=link)
        context = {
            "clinic": clinic,
            "url": link_url(token),
            "expires_at": link.expires_at,
        }
        notify(
            key=f"questionnaire-link:{link.external_id}",
            kind=NotificationKind.QUESTIONNAIRE_LINK,
            to=patient.email,
            subject=f"A questionnaire from {clinic.name}",
            template="measures/email/questionnaire_link.txt",
            context=context,
            clinic=clinic,
        )
    return link


def resolve_link(token: str, *, for_update: bool = False) -> AssessmentLink:
    """The live link for `token`. Raises LinkUnknown, LinkUsed or LinkExpired."""
    links = AssessmentLink.objects.select_related("patient__clinic", "assessment")
    if for_update:
        links = links.select_for_update(of=("self",))
    link = links.filter(token_hash=hash_token(token)).first() if token else None
    if link is None:
        raise LinkUnknown("This questionnaire link is not valid.")
    if link.used_at is not None:
        raise LinkUsed(link)
    if link.expires_at <= timezone.now():
        raise LinkExpired(link)
    return link


def link_actor(request) -> Actor:
    """Whoever holds the link acts without signing in, even in a browser where someone is
    signed in: the log rows name the patient and the address, not a user."""
    return Actor(user=AnonymousUser(), ip_address=client_ip(request))


def open_link(*, actor: Actor, token: str, log_view: bool = True) -> AssessmentLink:
    """Resolve the link and give it its questionnaire: started on first open, or the
    patient's unfinished one from an earlier link, whose answers are kept. Logs a view of
    the answers shown unless `log_view` is False (a write that logs itself follows)."""
    with transaction.atomic():
        link = resolve_link(token, for_update=True)
        if link.assessment_id is None:
            assessment = services.start_assessment(
                actor=actor, patient=link.patient, instrument=link.instrument, source=Source.LINK
            )
            # The unfinished answers came through an older link that has since expired or
            # been replaced: they now belong to this one.
            AssessmentLink.objects.filter(assessment=assessment).exclude(pk=link.pk).update(
                assessment=None
            )
            link.assessment = assessment
            link.save(update_fields=["assessment"])
        if log_view:
            record_access(actor, AccessAction.VIEW, patient=link.patient, obj=link.assessment)
    return link


def complete_link(*, actor: Actor, token: str, answers: list) -> services.Completion:
    """Complete the link's questionnaire and mark the link used, in one transaction: the
    link works once. Raises LinkError when it no longer works, and scoring.AnswerError
    (naming the item) when the answers cannot be scored."""
    with transaction.atomic():
        link = open_link(actor=actor, token=token, log_view=False)
        completion = services.complete_assessment(
            actor=actor, assessment=link.assessment, answers=answers
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return completion
