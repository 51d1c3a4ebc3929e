import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from kapcare.clinics.models import Clinic


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Clinic admin"
    THERAPIST = "therapist", "Outside therapist"
    PATIENT = "patient", "Patient"
    NURSE = "nurse", "Nurse"


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.NURSE, Role.ADMIN})
# Licensed clinical roles: who may check a controlled-substance dose, witness its waste and
# take it into stock (21 CFR 1301.76: access limited to authorised people).
LICENSED_ROLES = frozenset({Role.CLINICIAN, Role.NURSE})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: clinic staff, an outside therapist, or a patient.

    Staff and patients belong to one clinic. An outside therapist is not clinic staff and
    may have no clinic; what they see comes only from patients' sharing authorisations.
    `is_staff` is Django's flag for the technical admin site, not a clinical role.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    credentials = models.CharField(
        max_length=60, blank=True, help_text="Shown after the name, e.g. CRNA, MD, LMFT."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["therapist"]) | models.Q(clinic__isnull=False),
                name="staff_and_patients_belong_to_a_clinic",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def display_name(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def display_time_zone(self) -> str | None:
        return self.clinic.time_zone if self.clinic_id else None

    def save(self, *args, **kwargs):
        """Save, and revoke the user's API tokens when the password was just changed (by
        the password-change page, a reset link or an admin) or the account is
        deactivated: a token made before must not outlive the secret or the account that
        vouched for it. Every path that sets a password goes through `set_password`."""
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            ApiToken.objects.revoke_all(self, reason=RevokedReason.PASSWORD_CHANGED)
        if not self.is_active:
            ApiToken.objects.revoke_all(self, reason=RevokedReason.DEACTIVATED)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


class RevokedReason(models.TextChoices):
    BY_OWNER = "by_owner", "revoked by you"
    PASSWORD_CHANGED = "password_changed", "password changed"
    DEACTIVATED = "deactivated", "account deactivated"


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
        )

    def revoke_all(self, user, *, reason: str) -> int:
        """Revoke every token of `user` not yet revoked, in one UPDATE."""
        return self.filter(user_id=user.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token itself is
    shown once, when it is made."""

    PREFIX = "kap_"

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=12, help_text="The token's first characters, to tell it apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        help_text="After this the token no longer works (API_TOKEN_LIFETIME_DAYS after it "
        "was made)."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=RevokedReason.choices, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """Make a token for `user`, valid for API_TOKEN_LIFETIME_DAYS; returns the record
        and the token, which is not kept."""
        token = cls.PREFIX + secrets.token_urlsafe(32)
        record = cls.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(token),
            hint=token[:10],
            expires_at=timezone.now() + token_lifetime(),
        )
        return record, token

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def revoke(self) -> None:
        """Revoked by its owner."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.revoked_reason = RevokedReason.BY_OWNER
            self.save(update_fields=["revoked_at", "revoked_reason"])
