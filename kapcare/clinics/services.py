"""The one way a clinic's settings change: dose caps, vital-sign thresholds, gate defaults
and the clinic's particulars alike. The change and its history row (who, when, each old and
new value) are written in one transaction, so no setting changes without a trace, whether
from the settings page or the Django admin."""

from django.db import transaction
from django.utils import timezone

from kapcare.clinics.models import Clinic, ClinicSettingChange, describe_working_days

# Fields that are not settings: identity and bookkeeping, never changed through here.
NOT_SETTINGS = frozenset({"id", "external_id", "created_at", "updated_at"})


def _shown(field, value) -> str:
    if field.name == "working_days":
        return describe_working_days(value)
    if field.choices and value is not None:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def change_settings(
    *, acting_user, clinic: Clinic, values: dict, labels: dict | None = None, now=None
) -> ClinicSettingChange | None:
    """Set `values` ({field name: new value}) on `clinic` and record what changed, by
    `acting_user`, in one transaction; `labels` names the settings as the page does (else
    the field's own name). Values equal to the stored ones are no change; when nothing
    changes nothing is written and None is returned. `clinic` is updated in place."""
    unknown = set(values) - {f.name for f in Clinic._meta.concrete_fields} | (
        set(values) & NOT_SETTINGS
    )
    if unknown:
        raise ValueError(f"Not clinic settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        stored = Clinic.objects.select_for_update().get(pk=clinic.pk)
        changes = []
        for name, new in values.items():
            field = Clinic._meta.get_field(name)
            old = getattr(stored, name)
            if old == new:
                continue
            changes.append(
                {
                    "field": name,
                    "label": str((labels or {}).get(name) or field.verbose_name),
                    "old": _shown(field, old),
                    "new": _shown(field, new),
                }
            )
            setattr(stored, name, new)
        for name in values:
            setattr(clinic, name, getattr(stored, name))
        if not changes:
            return None
        stored.save(update_fields=[change["field"] for change in changes] + ["updated_at"])
        clinic.updated_at = stored.updated_at
        return ClinicSettingChange.objects.create(
            clinic=stored,
            changed_by=acting_user,
            changed_by_name=getattr(acting_user, "full_name", "") or str(acting_user or ""),
            changed_at=now or timezone.now(),
            changes=changes,
        )
