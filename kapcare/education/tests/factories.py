"""Education records for tests: the clinic's default pages, a page, a reading."""

from kapcare.audit.log import Actor
from kapcare.education import services
from kapcare.education.models import EducationPage


def education_page(clinic, topic: str = "after-care") -> EducationPage:
    """One of the clinic's default pages (made on first use), with `current`."""
    services.ensure_default_pages(clinic)
    return services.page_for_topic(clinic, topic)


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def publish(page, by, *, body: str, title: str = "After your dose", summary: str = "Summary."):
    return services.publish_version(
        actor=actor(by),
        page=page,
        text=services.VersionInput(
            title=title, summary=summary, body_markdown=body, change_summary="Edited."
        ),
    )
