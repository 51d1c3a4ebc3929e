"""The demo's patient education: the default guides, the clinician's second version of
"Fasting and your ride home" (so that a page shows what changed), and the portal patient's
reading — "What a dose feels like" read, and the fasting guide read in its first version
(so that the day-of checklist shows a guide updated since)."""

from kapcare.education import services


def load_education(clinic, portal_patient, patient_actor, clinician_actor) -> None:
    services.ensure_default_pages(clinic)
    feels = services.page_for_topic(clinic, "what-a-dose-feels-like")
    fasting = services.page_for_topic(clinic, "fasting-and-your-ride-home")
    for page in (feels, fasting):
        services.mark_read(actor=patient_actor, patient=portal_patient, version=page.current)
    services.publish_version(
        actor=clinician_actor,
        page=fasting,
        text=services.VersionInput(
            title=fasting.current.title,
            summary=fasting.current.summary,
            body_markdown=fasting.current.body_markdown.replace(
                "- Your glasses, if you wear them,",
                "- A list of the medicines you take.\n- Your glasses, if you wear them,",
            ),
            change_summary="Bring a list of your medicines.",
        ),
    )
