from django_tasks import task

from kapcare.outcomes import summary


@task()
def refresh_outcome_summaries(patient_ids: list[int]) -> int:
    """The kept outcome summaries of patients whose doses, PHQ-9 scores or episodes
    changed (enqueued on commit by `summary.schedule_refresh`)."""
    return summary.refresh_patients(patient_ids)


@task()
def rebuild_clinic_outcome_summaries(clinic_id: int) -> int:
    """Every kept outcome summary of the clinic, after a change of its outcome settings."""
    from kapcare.clinics.models import Clinic

    return summary.rebuild(Clinic.objects.get(pk=clinic_id))
