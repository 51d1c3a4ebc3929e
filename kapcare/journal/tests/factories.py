"""Journal entries made as the portal makes them: through the services, by the patient."""

from kapcare.audit.log import Actor
from kapcare.journal import services


def journal_entry(
    patient,
    kind="intention",
    body="I want to meet the fear kindly.",
    session=None,
    shared_with=None,
):
    """An entry of `patient`, private unless `shared_with` names a therapist the patient
    has authorised."""
    actor = Actor(user=patient.user, ip_address="127.0.0.1")
    entry = services.create_entry(
        actor=actor,
        patient=patient,
        data=services.EntryInput(kind=kind, body=body, dosing_session=session),
    )
    if shared_with is not None:
        services.share_entry(actor=actor, entry=entry, therapist=str(shared_with.external_id))
    return entry
