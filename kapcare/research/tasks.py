from django_tasks import task

from kapcare.research import services


@task()
def build_research_export(export_id: int) -> None:
    """The background build of one research export (enqueued on commit by
    `services.request_export`)."""
    services.build(export_id)
