"""What a Good Faith Estimate says, gathered from the episode, the clinic's price list, its
code table and the outside therapist's entry: every element of 45 CFR 149.610(c)
(docs/billing-reference.md#what-an-estimate-contains), as plain JSON values to be frozen
in the issued estimate. Money is written as strings ("475.00"), never floats."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from kapcare.billing import rules
from kapcare.episodes import rules as episode_rules
from kapcare.episodes.models import CareSession, DoseRoute, SessionKind, SessionStatus

# The keys that differ between two issues of the same estimate.
PER_ISSUE = frozenset({"issued_on", "covers_until", "version", "reason"})

DISCLAIMERS = [
    "There may be other items or services we recommend as part of your course of care "
    "that must be scheduled or requested separately and are not included in this Good "
    "Faith Estimate.",
    "This Good Faith Estimate is only an estimate of the items and services reasonably "
    "expected to be given when it was issued. Actual items, services or charges may differ "
    "from it.",
    "You have the right to start the patient-provider dispute resolution process if you "
    "are billed $400 or more above this Good Faith Estimate by any provider or facility "
    "named in it. You must start it within 120 calendar days of the date on the original "
    "bill. Starting it will not change the quality of the care you receive. To learn how, "
    "visit www.cms.gov/nosurprises/consumers, email FederalPPDRQuestions@cms.hhs.gov or "
    "call 1-800-985-3059.",
    "This Good Faith Estimate is not a contract and does not require you to receive the "
    "items or services from any of the providers named in it.",
    "Keep a copy or a picture of this Good Faith Estimate and of your bills.",
]

SEPARATELY_SCHEDULED = [
    "Booster or maintenance sessions after this course, if you and your clinician decide "
    "on them: a new estimate is given when they are scheduled.",
    "Visits to other providers (your primary care doctor, a pharmacy, laboratory tests) "
    "that the clinic may ask for.",
]


@dataclass(frozen=True)
class Draft:
    content: dict
    total: Decimal
    first_service_on: dt.date | None


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{rules.money(amount)}"


def _provider_lines(lines: list[rules.CodeLine], sessions: int, kind: str) -> list[dict]:
    return [
        {
            "service": kind,
            "system": line.system,
            "code": line.code,
            "modifiers": line.modifiers,
            "ndc": line.ndc,
            "description": line.description,
            "units": line.units,
            "sessions": sessions,
            "charge_per_session": _money(line.charge),
            "discount": "0.00",
            "expected_charge": _money(line.charge * sessions),
            "note": line.note,
        }
        for line in lines
    ]


def _scheduled(episode, kinds) -> list[str]:
    """The dates of the episode's sessions of `kinds` that are booked and still to come or
    under way, as ISO dates in the clinic's zone."""
    zone = episode.clinic.zone
    starts = (
        episode.sessions.filter(kind__in=kinds)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.MISSED])
        .order_by("planned_start")
        .values_list("planned_start", flat=True)
    )
    return [start.astimezone(zone).date().isoformat() for start in starts]


def _esketamine_started(episode) -> bool:
    """Whether the patient has had an esketamine treatment already (one query)."""
    return CareSession.objects.filter(
        patient_id=episode.patient_id,
        kind=SessionKind.DOSING,
        status__in=[SessionStatus.IN_PROGRESS, SessionStatus.DONE],
        episode__dose_route=DoseRoute.INTRANASAL,
    ).exists()


def _clinic_provider(episode, codes, dosing_price) -> dict:
    clinic = episode.clinic
    if episode.dose_route == DoseRoute.INTRANASAL:
        # Coded by dose: G2082 up to 56 mg, G2083 above (the first treatment is 56 mg).
        course = rules.esketamine_course(
            episode.planned_doses,
            episode.planned_esketamine_mg,
            started_before=_esketamine_started(episode),
        )
        sessions = [
            (
                rules.Session(
                    rules.DOSING, clinic.infusion_minutes, rules.INTRANASAL, "esketamine", mg
                ),
                count,
            )
            for mg, count in course
        ]
    else:
        session = rules.Session(rules.DOSING, clinic.infusion_minutes, episode.dose_route)
        sessions = [(session, episode.planned_doses)]
    items = [
        item
        for session, count in sessions
        for item in _provider_lines(
            rules.code_lines(session, codes, dosing_price), count, "Dosing session"
        )
    ]
    return {
        "role": "Convening provider (the clinic)",
        "name": clinic.name,
        "npi": clinic.npi,
        "tin": clinic.tin,
        "address": clinic.service_address,
        "items": items,
        "price_known": dosing_price is not None,
    }


def _therapist_provider(episode, codes) -> dict | None:
    if not episode_rules.is_kap(episode.model) or episode.therapist_id is None:
        return None
    sessions = episode.planned_preparation_sessions + episode.planned_integration_sessions
    if not sessions:
        return None
    from kapcare.therapists.models import TherapistProfile

    profile = TherapistProfile.objects.filter(
        clinic_id=episode.clinic_id, user_id=episode.therapist_id
    ).first()
    fee = episode.therapist_fee
    if fee is None and profile is not None:
        fee = profile.fee_per_session
    minutes = episode.clinic.therapy_session_minutes
    lines = rules.code_lines(rules.Session(rules.THERAPY, minutes=minutes), codes, fee)
    place = ", ".join(part for part in (profile.city, profile.state) if part) if profile else ""
    return {
        "role": "Co-provider (your outside therapist, billed separately)",
        "name": episode.therapist.full_name
        + (f", {profile.practice_name}" if profile and profile.practice_name else ""),
        "npi": profile.npi if profile else "",
        "tin": profile.tin if profile else "",
        "address": place,
        "items": _provider_lines(lines, sessions, "Preparation and integration session"),
        "price_known": fee is not None,
    }


def _primary_service(episode) -> str:
    route = DoseRoute(episode.dose_route).label.lower()
    doses = episode.planned_doses
    plural = "" if doses == 1 else "s"
    text = f"A course of {doses} {route} ketamine dosing session{plural}"
    if episode.dose_route == DoseRoute.INTRANASAL:
        text = f"A course of {doses} esketamine (Spravato) nasal spray session{plural}"
    if episode_rules.is_kap(episode.model):
        text += " with preparation and integration psychotherapy (ketamine-assisted psychotherapy)"
    return text + ", each with monitoring until you are ready to go home."


def build(episode, *, today: dt.date) -> Draft:
    """The estimate of `episode`'s planned course as it stands `today` (a few queries: the
    dosing price, the code table, the booked dates, the therapist's entry)."""
    from kapcare.billing.services import as_rule_codes, code_table
    from kapcare.pricing.cost import dosing_price

    codes = as_rule_codes(code_table(episode.clinic))
    providers = [_clinic_provider(episode, codes, dosing_price(episode.clinic, episode.dose_route))]
    therapist = _therapist_provider(episode, codes)
    if therapist is not None:
        providers.append(therapist)
    total = sum(
        (Decimal(item["expected_charge"]) for p in providers for item in p["items"]),
        Decimal("0.00"),
    )
    patient = episode.patient
    dosing_dates = _scheduled(episode, [SessionKind.DOSING])
    therapy_dates = _scheduled(episode, [SessionKind.PREPARATION, SessionKind.INTEGRATION])
    # The deadline runs from the next service to come (45 CFR 149.610(b)).
    first = min(
        (d for d in [*dosing_dates, *therapy_dates] if d >= today.isoformat()), default=None
    )
    separately = list(SEPARATELY_SCHEDULED)
    if therapist is not None:
        separately.insert(
            0, "Your preparation and integration sessions are arranged with your therapist."
        )
    content = {
        "patient": {"name": patient.full_name, "birth_date": patient.birth_date.isoformat()},
        "primary_service": _primary_service(episode),
        "scheduled_dates": dosing_dates,
        "therapy_dates": therapy_dates,
        "diagnoses": [{"code": episode.diagnosis_code, "text": episode.diagnosis_text}]
        if episode.diagnosis_code
        else [],
        "providers": providers,
        "total": _money(total),
        "incomplete": [p["name"] for p in providers if not p["price_known"]],
        "separately_scheduled": separately,
        "disclaimers": DISCLAIMERS,
        "issued_on": today.isoformat(),
        "covers_until": rules.covered_until(today).isoformat(),
    }
    return Draft(content, total, dt.date.fromisoformat(first) if first else None)


def what_changed(old: dict, new: dict) -> str:
    """In a few words, what differs between two estimates (for the new one's reason)."""
    changes = []
    if old.get("total") != new.get("total"):
        changes.append(f"total ${old.get('total')} → ${new.get('total')}")
    if old.get("scheduled_dates") != new.get("scheduled_dates") or old.get(
        "therapy_dates"
    ) != new.get("therapy_dates"):
        changes.append("scheduled dates")
    if old.get("providers") != new.get("providers") and not changes:
        changes.append("items or providers")
    if old.get("diagnoses") != new.get("diagnoses"):
        changes.append("diagnosis")
    return (", ".join(changes) or "details") + "."
