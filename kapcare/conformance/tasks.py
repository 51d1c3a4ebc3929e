from django_tasks import task

from kapcare.conformance.services import refresh_conformance


@task()
def refresh_conformance_task() -> int:
    """Once an hour (enqueued by the minute job): the stored conformance results."""
    return refresh_conformance()
