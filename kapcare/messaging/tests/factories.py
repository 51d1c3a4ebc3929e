"""Threads made as the pages make them: through `services.start_thread`."""

from kapcare.audit.log import Actor
from kapcare.messaging import services
from kapcare.messaging.models import Thread, ThreadKind


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def patient_thread(patient, by, subject="About your next visit", body="Hello.") -> Thread:
    """A clinic–patient thread about `patient`, started by `by` (staff or the patient)."""
    return services.start_thread(
        actor=actor(by),
        patient=patient,
        kind=ThreadKind.PATIENT,
        subject=subject,
        body=body,
    )


def therapist_thread(patient, therapist, by=None, subject="Integration plan", body="Hi.") -> Thread:
    """A clinic–therapist thread about `patient` with `therapist` (who must hold a live
    authorisation), started by `by` (staff) or by the therapist."""
    return services.start_thread(
        actor=actor(by or therapist),
        patient=patient,
        kind=ThreadKind.THERAPIST,
        therapist=therapist,
        subject=subject,
        body=body,
    )


def reply(thread, by, body="Thanks."):
    return services.post_message(actor=actor(by), thread=thread, body=body)
