"""Demo questionnaire histories: weekly PHQ-9 and GAD-7 over a course of care, a PCL-5 for
patients with trauma, C-SSRS screens, one open safety alert and one reviewed."""

import datetime as dt

from kapcare.audit.log import Actor
from kapcare.measures import services
from kapcare.measures.models import Assessment, SafetyAlert, Source
from kapcare.patients.models import Patient

# Per patient index: PHQ-9 totals week by week (oldest first), GAD-7 likewise.
PHQ9_COURSES = {
    0: [18, 15, 11, 8, 6],  # the portal patient: a responder
    1: [21, 19, 14, 9, 4],  # remission
    2: [16, 17, 15],  # not improving; last one answers item 9
    3: [12, 10, 13],  # reviewed alert in the middle
    4: [16, 7, 5],  # its standalone course months ago started from 16 (episodes.py)
    5: [23, 20, 18, 16],
    6: [14, 8],
}
GAD7_COURSES = {0: [14, 12, 9, 7], 1: [17, 12, 8], 5: [19, 15, 12], 6: [11, 7]}
PCL5_TOTALS = {0: 38, 3: 45, 5: 27}
OPEN_ALERT_PATIENT = 2
REVIEWED_ALERT_PATIENT = 3


def likert_answers(total: int, items: int, highest: int, *, last_item: int = 0) -> list[int]:
    """Answers adding up to `total`, spread evenly over the items; the last item (PHQ-9's
    item 9) is set apart so that suicidal ideation appears only where the demo wants it."""
    answers = [0] * (items - 1) + [last_item]
    remaining = total - last_item
    if not 0 <= remaining <= highest * (items - 1):
        raise ValueError(f"{total} does not fit in {items} items")
    index = 0
    while remaining:
        if answers[index] < highest:
            answers[index] += 1
            remaining -= 1
        index = (index + 1) % (items - 1)
    return answers


def _record(actor: Actor, patient: Patient, instrument: str, answers: list, when: dt.datetime):
    completion = services.record_assessment(
        actor=actor, patient=patient, instrument=instrument, answers=answers, source=Source.STAFF
    )
    Assessment.objects.filter(pk=completion.assessment.pk).update(
        started_at=when, completed_at=when
    )
    SafetyAlert.objects.filter(assessment=completion.assessment).update(raised_at=when)
    return completion


def load_measures(patients: list[Patient], nurse: Actor, now: dt.datetime) -> None:
    for index, course in PHQ9_COURSES.items():
        patient = patients[index]
        start = now - dt.timedelta(weeks=len(course), days=index)
        for week, total in enumerate(course):
            when = start + dt.timedelta(weeks=week)
            is_last = week == len(course) - 1
            alert_here = (index == OPEN_ALERT_PATIENT and is_last) or (
                index == REVIEWED_ALERT_PATIENT and week == 1
            )
            answers = likert_answers(total, 9, 3, last_item=1 if alert_here else 0)
            completion = _record(nurse, patient, "phq9", answers, when)
            if index == REVIEWED_ALERT_PATIENT and alert_here:
                services.review_alert(
                    actor=nurse,
                    alert=completion.alerts[0],
                    note="Called the patient the same afternoon: passive thoughts, no plan or "
                    "intent. Safety plan reviewed; crisis line given; seen in clinic next day.",
                )
                SafetyAlert.objects.filter(pk=completion.alerts[0].pk).update(
                    reviewed_at=when + dt.timedelta(hours=3)
                )
    for index, course in GAD7_COURSES.items():
        start = now - dt.timedelta(weeks=len(course), days=index, hours=1)
        for week, total in enumerate(course):
            answers = likert_answers(total, 7, 3, last_item=min(total, 1))
            _record(nurse, patients[index], "gad7", answers, start + dt.timedelta(weeks=week))
    for index, total in PCL5_TOTALS.items():
        answers = likert_answers(total, 20, 4, last_item=min(total, 2))
        _record(nurse, patients[index], "pcl5", answers, now - dt.timedelta(weeks=6, days=index))
    no_risk = [False, False, None, None, None, False, None]
    low_risk = [True, False, None, None, None, False, None]
    for index, answers in {0: no_risk, 1: no_risk, 3: low_risk, 5: no_risk}.items():
        _record(
            nurse,
            patients[index],
            "cssrs_screen",
            answers,
            now - dt.timedelta(weeks=6, days=index, hours=2),
        )
