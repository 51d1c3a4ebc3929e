"""Consent documents, signatures and sharing authorisations.

- A `ConsentDocument` is one kind of document a clinic asks patients to sign (the KAP
  treatment consent, the information-sharing authorisation). Its text lives in
  `ConsentVersion`s: publishing a new version adds a row; old versions are kept forever,
  because signatures point at them.
- A `Signature` is what a patient signed: the exact text shown (rendered from the version,
  and for an authorisation with its particulars filled in), its SHA-256, the typed name, the
  explicit agreement, when, from where, and how (portal, or a clinic tablet with a staff
  witness). A signature never changes; a withdrawal is a separate row.
- A `SharingAuthorization` lets one named outside therapist see chosen parts (scopes) of one
  patient's record until it expires or is revoked. The policy module reads the live ones on
  every request, so a revocation takes effect on the next request.
"""

import hashlib
import uuid

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.consents import rules
from kapcare.kept import KeptQuerySet, KeptRecord, reauthentication_field
from kapcare.scopes import SCOPE_FIELDS, Scope


class DocumentKind(models.TextChoices):
    TREATMENT = "treatment", "KAP treatment consent"
    STANDALONE = "standalone_infusion", "Standalone infusion consent"
    SHARING = "sharing", "Information-sharing authorisation"


# The treatment consents: one per kind of care, each signed for one episode.
TREATMENT_KINDS = (DocumentKind.TREATMENT, DocumentKind.STANDALONE)


def treatment_kind_for(care_model: str) -> str:
    """The treatment consent an episode of `care_model` is signed on."""
    return DocumentKind(rules.document_kind_for(care_model))


class SigningMethod(models.TextChoices):
    PORTAL = "portal", "In the patient portal"
    CLINIC_TABLET = "clinic_tablet", "On a clinic tablet, with staff present"


class ConsentDocument(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind"], name="consents_one_document_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ConsentVersion(KeptRecord):
    """One published text of a document. Never changed or deleted once published (the
    database refuses UPDATE and DELETE)."""

    kept_message = "A published consent version is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body_markdown = models.TextField()
    requires_reconsent = models.BooleanField(
        default=True,
        help_text="Patients who signed an earlier version must sign this one before their "
        "next treatment step.",
    )
    change_summary = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_with = reauthentication_field()

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="consents_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document.title}, version {self.number}"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Signature(KeptRecord):
    """A patient's signature on one version of a document. Immutable (the database refuses
    UPDATE and DELETE).

    A treatment consent is signed for one episode of care and names its model: `episode`
    and `care_model` say which, so a later change of the episode's model asks for a new
    signature. Both are empty on a sharing authorisation, and on a treatment consent signed
    before consents were per episode when its episode could not be told."""

    kept_message = "A signature is never deleted; record a withdrawal instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures"
    )
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    episode = models.ForeignKey(
        "episodes.Episode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_signatures",
        help_text="The episode of care a treatment consent was signed for.",
    )
    care_model = models.CharField(
        max_length=12,
        blank=True,
        help_text="The episode's model of care when signed, as the signed text names it.",
    )
    signed_text = models.TextField(help_text="The exact text shown and signed (Markdown).")
    text_sha256 = models.CharField(max_length=64)
    typed_name = models.CharField(max_length=200)
    agreed = models.BooleanField()
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=20, choices=SigningMethod.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account signed in when the patient signed (the patient's own in the "
        "portal; the staff member's on a clinic tablet).",
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(agreed=True), name="consents_signature_agreed"),
            models.CheckConstraint(
                condition=Q(method=SigningMethod.PORTAL) | Q(witnessed_by__isnull=False),
                name="consents_tablet_signature_witnessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} signed {self.signed_at:%Y-%m-%d}"

    @property
    def hash_matches(self) -> bool:
        return sha256_hex(self.signed_text) == self.text_sha256


class Withdrawal(KeptRecord):
    """A patient withdrawing a signed consent: recorded, never deleted; the signature stays."""

    kept_message = "A withdrawal is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    signature = models.OneToOneField(Signature, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Withdrawn {self.withdrawn_at:%Y-%m-%d}"


class SharingAuthorizationQuerySet(KeptQuerySet):
    def live(self, now=None):
        """Signed, not revoked and not expired at `now`."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def with_scope(self, scope: str):
        return self.filter(**{SCOPE_FIELDS[scope]: True})

    def therapists_of(self, patient, now=None) -> list:
        """The active therapists holding a live authorisation from `patient` at `now` (any
        scope), by name, each once, in one query: those the clinic may write to about the
        patient, and with whom the patient may share a journal entry."""
        User = apps.get_model(settings.AUTH_USER_MODEL)
        therapist_ids = self.live(now).filter(patient_id=patient.pk).values("therapist_id")
        return list(
            User.objects.filter(pk__in=therapist_ids, role="therapist", is_active=True).order_by(
                "full_name", "id"
            )
        )

    def live_pairs(self, pairs, now=None, scope: str | None = None) -> set[tuple[int, int]]:
        """Which of the (patient id, therapist id) `pairs` have a live authorisation at
        `now` (naming `scope`, if given), in one query."""
        pairs = set(pairs)
        if not pairs:
            return set()
        live = self.live(now).filter(
            patient_id__in={patient_id for patient_id, _ in pairs},
            therapist_id__in={therapist_id for _, therapist_id in pairs},
        )
        if scope is not None:
            live = live.with_scope(scope)
        return set(live.values_list("patient_id", "therapist_id")) & pairs


class SharingAuthorization(KeptRecord):
    """Patient → one named outside therapist, with the HIPAA core elements (45 CFR
    164.508(c)): what is shared (the scopes), who discloses (the clinic), to whom (the
    therapist), the purpose, an expiry, the right to revoke and the re-disclosure notice
    (both in the signed text; docs/clinical-reference.md#sharing-authorisation)."""

    kept_message = "A sharing authorisation is never deleted; revoke it instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="sharing_authorizations"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authorizations_received"
    )
    therapist_name = models.CharField(max_length=200)
    therapist_email = models.EmailField()
    share_schedule = models.BooleanField(default=False)
    share_session_summaries = models.BooleanField(default=False)
    share_measures = models.BooleanField(default=False)
    share_safety_alerts = models.BooleanField(default=False)
    purpose = models.CharField(max_length=500)
    expires_on = models.DateField(help_text="The last day the authorisation is in force.")
    expires_at = models.DateTimeField(
        help_text="The end of `expires_on` in the clinic's time zone (what the policy checks)."
    )
    signature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, related_name="authorization"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)

    objects = SharingAuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["therapist", "patient", "expires_at"]),
            # The therapist's home: their newest authorisations, a page at a time.
            models.Index(fields=["therapist", "-id"], name="consents_sharing_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_schedule=True)
                | Q(share_session_summaries=True)
                | Q(share_measures=True)
                | Q(share_safety_alerts=True),
                name="consents_authorization_shares_something",
            )
        ]

    def __str__(self) -> str:
        return f"Sharing with {self.therapist_name}"

    @property
    def scopes(self) -> list[str]:
        return [scope for scope, field in SCOPE_FIELDS.items() if getattr(self, field)]

    def scope_labels(self) -> list[str]:
        return [Scope(scope).label for scope in self.scopes]

    def status_on(self, now) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
