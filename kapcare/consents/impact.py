"""What publishing a new version of a consent document will do, shown to the admin before
they confirm it (publishing cannot be undone).

A treatment consent version published as requiring re-consent makes every signature that
is current now outdated (`rules.consent_status`): those patients must sign again, and the
consent gate then blocks their booked doses until they do. This module counts them and
lists those doses, reading the same facts as `services.episode_consent_status` in a fixed
number of queries however many episodes the clinic has. Episodes and sessions are read
through the app registry because `episodes` builds on `consents`, not the other way round.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db.models import OuterRef, Subquery

from kapcare.consents import rules
from kapcare.consents.models import (
    TREATMENT_KINDS,
    ConsentDocument,
    ConsentVersion,
    Signature,
    treatment_kind_for,
)
from kapcare.episodes.rules import CLOSED_STATES, DOSING, PLANNED


@dataclass(frozen=True)
class PublicationImpact:
    """`patients`: how many patients hold a consent the new version would outdate (or, for
    a document the gate does not read, have signed it); `doses`: the booked dosing
    sessions the consent gate would block until they sign again."""

    gates_doses: bool
    patients: int
    doses: list = field(default_factory=list)

    @property
    def patient_records(self) -> list:
        """The patients the list names, for the access log (each once)."""
        return list({dose.patient_id: dose.patient for dose in self.doses}.values())


def _versions(document: ConsentDocument) -> tuple[int, set[int]]:
    rows = list(
        ConsentVersion.objects.filter(document_id=document.pk).values_list(
            "number", "requires_reconsent"
        )
    )
    current = max((number for number, _ in rows), default=0)
    return current, {number for number, reconsent in rows if reconsent}


def _episodes_with_current_consent(document: ConsentDocument) -> list:
    """The open episodes of the clinic whose treatment consent on `document` is current now."""
    Episode = apps.get_model("episodes", "Episode")
    latest = Signature.objects.filter(episode_id=OuterRef("pk"), kind__in=TREATMENT_KINDS).order_by(
        "-signed_at", "-id"
    )
    episodes = [
        episode
        for episode in Episode.objects.filter(patient__clinic_id=document.clinic_id)
        .exclude(state__in=CLOSED_STATES)
        .annotate(latest_signature_id=Subquery(latest.values("pk")[:1]))
        .filter(latest_signature_id__isnull=False)
        .only("pk", "patient_id", "model")
        if treatment_kind_for(episode.model) == document.kind
    ]
    signatures = Signature.objects.select_related("version", "withdrawal").in_bulk(
        [episode.latest_signature_id for episode in episodes]
    )
    current, reconsent = _versions(document)
    current_ones = []
    for episode in episodes:
        signature = signatures[episode.latest_signature_id]
        on_document = signature.version.document_id == document.pk
        status = rules.consent_status(
            signature.version.number,
            hasattr(signature, "withdrawal"),
            current,
            reconsent,
            signed_for_model=signature.care_model if on_document else None,
            episode_model=episode.model,
        )
        if on_document and status == rules.CURRENT:
            current_ones.append(episode)
    return current_ones


def publication_impact(document: ConsentDocument, now: datetime) -> PublicationImpact:
    """What a new version of `document` requiring re-consent would do at `now`."""
    if document.kind not in TREATMENT_KINDS:
        signed = (
            Signature.objects.filter(version__document_id=document.pk)
            .values("patient_id")
            .distinct()
            .count()
        )
        return PublicationImpact(gates_doses=False, patients=signed)
    episodes = _episodes_with_current_consent(document)
    CareSession = apps.get_model("episodes", "CareSession")
    doses = list(
        CareSession.objects.filter(
            episode_id__in=[episode.pk for episode in episodes],
            kind=DOSING,
            status=PLANNED,
            planned_start__gte=now,
        )
        .select_related("patient")
        .order_by("planned_start", "id")
    )
    patients = len({episode.patient_id for episode in episodes})
    return PublicationImpact(gates_doses=True, patients=patients, doses=doses)
