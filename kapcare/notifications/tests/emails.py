"""The clinic's work that sends email about one patient, as the pages do it: for the
tests that read every kind of email (links built from SITE_URL, no health information)."""

import datetime as dt

from kapcare.billing.services import issue_estimate
from kapcare.dosing.summary import services as summary_services
from kapcare.dosing.tests.test_signing_fixtures import actor, signed_record
from kapcare.education.services import hand_over_after_care
from kapcare.education.tests.factories import education_page
from kapcare.messaging.tests.factories import patient_thread
from kapcare.scheduling import session_changes
from tests.factories import plan_session, raise_alert
from tests.second_factor import reauthenticated


def do_the_clinical_work(*, patient, clinician, coordinator, therapist, next_dose) -> None:
    """A safety alert; a signed dosing record whose summary is released to the therapist;
    the next dose planned at `next_dose` and another session cancelled by the clinic; a
    message thread; the after-care page handed over at discharge; a Good Faith Estimate."""
    raise_alert(clinician, patient)
    record = signed_record(patient, clinician, therapist=therapist)
    summary_services.release_summary(
        actor=actor(clinician),
        record=record,
        text="Went well.",
        reauthentication=reauthenticated(clinician),
    )
    plan_session(record.session.episode, clinician, starts_at=next_dose)
    # An appointment change: another session, cancelled by the clinic.
    session_changes.cancel(
        actor=actor(coordinator),
        session=plan_session(
            record.session.episode, clinician, starts_at=next_dose + dt.timedelta(days=3)
        ),
        reason="clinic",
    )
    patient_thread(patient, coordinator)
    education_page(patient.clinic)
    hand_over_after_care(actor=actor(clinician), session=record.session, patient=patient)
    issue_estimate(
        actor=actor(coordinator),
        episode=record.session.episode,
        reason="Requested",
        requested=True,
    )
