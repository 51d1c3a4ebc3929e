"""Which education pages a patient is shown first. Pure functions: no ORM, no request
(docs/clinical-reference.md#patient-education)."""

PREPARATION = "preparation"
DOSE_DAY = "dose_day"
AFTER_CARE = "after_care"


def phases_for(*, has_dose_ahead: bool, has_completed_dose: bool) -> list[str]:
    """The phases whose pages the portal puts first, the next step at the top.

    - Before the first dose: preparation (what a dose feels like, the room and music).
    - With a dose booked: the day's practicalities (fasting, a ride home) come first.
    - After any completed dose: after-care (no driving until the next day, integration);
      first when no further dose is booked, after the day's page otherwise.
    Every page stays readable from the portal's list whatever the phase."""
    phases = []
    if has_dose_ahead:
        phases.append(DOSE_DAY)
    if has_completed_dose:
        phases.append(AFTER_CARE)
    else:
        phases.append(PREPARATION)
        if not has_dose_ahead:
            phases.append(DOSE_DAY)
    return phases
