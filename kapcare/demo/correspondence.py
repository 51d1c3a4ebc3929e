"""The demo's secure messages and the portal patient's journal.

Two threads about the portal patient, Jordan Ellis: the front desk and Rachel Kim about
the integration that was missed and rebooked (the front desk wrote last, so Rachel has
one unread message), and Jordan asking the clinic about fasting (he thanked them last, so
the front desk has one unread message). Jordan's journal holds an intention for his next
dose, shared with Rachel; a reflection on his last dose, kept private; and an older
reflection he shared.

Everything goes through `kapcare.messaging.services` and `kapcare.journal.services`, as the
pages do: each write has its access-log row, and each message asks for an email to the
other side (sent when the demo commits: printed, with the console backend). Messages are
never changed once written (database triggers), so they carry the time the demo was
loaded; the journal entries are moved back to the days they would have been written.
"""

import datetime as dt

from django.utils import timezone

from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.journal import services as journal
from kapcare.journal.models import EntryKind, JournalEntry
from kapcare.messaging import services as messaging
from kapcare.messaging.models import ThreadKind
from kapcare.patients.models import Patient

# The links in the message emails point here (the demo runs on a developer's machine).

THERAPIST_THREAD = (
    "Rebooked integration",
    [
        (
            "clinic",
            "Hi Rachel, hope you are feeling better. The integration that was missed while "
            "you were unwell is marked missed in the record; Daniel went ahead with the next "
            "dose after speaking with you both. Integration with you is booked for the day "
            "after each of the next two doses, at 4 PM. Does that still work for you?",
        ),
        (
            "therapist",
            "Thanks Maya, I am well again. Both times work; I will record the sessions in "
            "the portal afterwards as usual.",
        ),
        (
            "clinic",
            "Perfect, thank you. Daniel will release each dose's summary to you as before.",
        ),
    ],
)
PATIENT_THREAD = (
    "Coffee before my session?",
    [
        (
            "patient",
            "Hi, can I have a coffee on the morning of my next session? And is breakfast OK "
            "if I come in at 9?",
        ),
        (
            "clinic",
            "Hi Jordan, nothing to eat for 4 hours before your session and nothing to drink "
            "for 2, coffee included. For a 9 AM start, a light breakfast before 5 and "
            "water until 7 are fine. Please bring the name and number of whoever drives you "
            "home.",
        ),
        ("patient", "Got it, thank you. My sister is driving me."),
    ],
)

INTENTION = (
    "For my next session: to stay with the stuck feeling instead of pushing it away, and "
    "to notice where the music takes me."
)
LAST_REFLECTION = (
    "Lighter for two days after. Ran into an old bandmate and actually stopped to talk. Not "
    "ready to bring the part about my dad to anyone yet."
)
EARLIER_REFLECTION = (
    "Less scary than I expected. I kept thinking about the guitar in the closet; I took it "
    "out when I got home."
)


def load_correspondence(portal_patient: Patient, front_desk: Actor, therapist: User) -> None:
    in_portal = Actor(user=portal_patient.user, ip_address=None, channel=front_desk.channel)
    as_therapist = Actor(user=therapist, ip_address=None, channel=front_desk.channel)
    authors = {"clinic": front_desk, "therapist": as_therapist, "patient": in_portal}
    _thread(portal_patient, ThreadKind.THERAPIST, therapist, THERAPIST_THREAD, authors)
    _thread(portal_patient, ThreadKind.PATIENT, None, PATIENT_THREAD, authors)
    _journal(portal_patient, in_portal, therapist)


def _thread(patient, kind, therapist, script, authors) -> None:
    subject, messages = script
    (first_author, first_body), *replies = messages
    thread = messaging.start_thread(
        actor=authors[first_author],
        patient=patient,
        kind=kind,
        therapist=therapist,
        subject=subject,
        body=first_body,
    )
    for author, body in replies:
        messaging.post_message(actor=authors[author], thread=thread, body=body)


def _journal(patient: Patient, in_portal: Actor, therapist: User) -> None:
    """An intention for the next dose (shared), a reflection on the last (private), and an
    earlier reflection (shared), each dated the day after its dose."""
    doses = journal.dose_choices(patient, timezone.now())
    intention = journal.create_entry(
        actor=in_portal,
        patient=patient,
        data=journal.EntryInput(
            kind=EntryKind.INTENTION, body=INTENTION, dosing_session=doses.upcoming[0]
        ),
    )
    journal.share_entry(actor=in_portal, entry=intention, therapist=str(therapist.external_id))
    last, earlier = doses.given[0], doses.given[2]
    private = journal.create_entry(
        actor=in_portal,
        patient=patient,
        data=journal.EntryInput(
            kind=EntryKind.REFLECTION, body=LAST_REFLECTION, dosing_session=last
        ),
    )
    shared = journal.create_entry(
        actor=in_portal,
        patient=patient,
        data=journal.EntryInput(
            kind=EntryKind.REFLECTION, body=EARLIER_REFLECTION, dosing_session=earlier
        ),
    )
    journal.share_entry(actor=in_portal, entry=shared, therapist=str(therapist.external_id))
    for entry, dose in ((private, last), (shared, earlier)):
        written = dose.planned_start + dt.timedelta(days=1, hours=3)
        JournalEntry.objects.filter(pk=entry.pk).update(
            created_at=written,
            updated_at=written,
            shared_at=written if entry.pk == shared.pk else None,
        )
