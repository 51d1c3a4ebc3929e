"""Demo follow-up questionnaires: PHQ-9 and GAD-7 answered after the induction of each
past course, so the outcome dashboard's rates and curves have something to show. Loaded
after the courses (a follow-up comes after the doses it follows), each answer placed in
days after the course's last dose and only when that day has passed."""

import datetime as dt

from django.db.models.functions import Coalesce

from kapcare.audit.log import Actor
from kapcare.demo.measures import _record, likert_answers
from kapcare.episodes.models import CareSession, Episode, SessionKind, SessionStatus

# Per patient index: (days after the last dose, PHQ-9 total, GAD-7 total). Their baselines
# are the questionnaires taken before the first dose (episodes.py).
FOLLOW_UPS = {
    # In-session KAP: a response, then a relapse at three months.
    13: [(7, 4, 5), (30, 5, 5), (90, 12, 10), (180, 8, 7)],
    # Bracketed KAP: remission, sustained.
    14: [(7, 3, 4), (30, 4, 4), (90, 3, 3)],
    # Blended KAP: a response that holds at one and three months.
    15: [(7, 6, 6), (30, 5, 6), (90, 6, 5)],
    # Standalone infusions finished months ago: a response, then a relapse.
    4: [(7, 5, 7), (30, 9, 9), (60, 13, 11), (120, 15, 12)],
    # Standalone infusions finished two weeks ago: no response at the first follow-up.
    5: [(7, 14, 11)],
}


def load_follow_ups(patients, nurse: Actor, now: dt.datetime) -> None:
    for index, answers in FOLLOW_UPS.items():
        patient = patients[index]
        last_dose = (
            CareSession.objects.filter(
                episode__in=Episode.objects.filter(patient_id=patient.pk),
                kind=SessionKind.DOSING,
                status=SessionStatus.DONE,
            )
            .annotate(given_at=Coalesce("started_at", "planned_start"))
            .order_by("-given_at")
            .values_list("given_at", flat=True)
            .first()
        )
        if last_dose is None:
            continue
        for days, phq9, gad7 in answers:
            when = last_dose + dt.timedelta(days=days)
            if when >= now:
                break
            _record(nurse, patient, "phq9", likert_answers(phq9, 9, 3), when)
            gad7_answers = likert_answers(gad7, 7, 3, last_item=min(gad7, 1))
            _record(nurse, patient, "gad7", gad7_answers, when + dt.timedelta(minutes=5))
