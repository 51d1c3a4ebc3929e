"""De-identification rules for the research export: pure functions (no Django).

HIPAA's Safe Harbor method (45 CFR 164.514(b)(2)): the 18 identifiers removed, ages over
89 aggregated into one category, and no element of a date more specific than the year
kept. kapcare keeps no year at all: every date is a whole number of days from the
patient's first contact with the clinic."""

import datetime as dt

# 45 CFR 164.514(b)(2)(i)(C): ages over 89 are aggregated into a single category of 90 or
# older.
OLDEST_AGE_SHOWN = 89
AGGREGATED_AGE = "90+"


def age_category(age: int) -> str:
    """The age as exported: the number up to 89, "90+" above."""
    return str(age) if age <= OLDEST_AGE_SHOWN else AGGREGATED_AGE


def day_offset(moment: dt.date | dt.datetime | None, first_contact: dt.date) -> str:
    """Whole days from the patient's first contact ("" when there is no date). A datetime
    is taken by its UTC date, the same for every patient whatever the clinic's zone."""
    if moment is None:
        return ""
    day = moment.astimezone(dt.UTC).date() if isinstance(moment, dt.datetime) else moment
    return str((day - first_contact).days)


# The 18 identifiers of 45 CFR 164.514(b)(2)(i) and what the export does with each.
SAFE_HARBOR = [
    ("A", "Names", "Not exported (patients, staff, therapists, emergency contacts)."),
    (
        "B",
        "Geographic subdivisions smaller than a state (street, city, county, ZIP code)",
        "Not exported: no address, city, state or ZIP code, nor the clinic's.",
    ),
    (
        "C",
        "All elements of dates (except year) directly related to an individual; ages over 89",
        "Every date is a day offset from the patient's first contact; no year, no date of "
        "birth; age at first contact, with ages over 89 as “90+”.",
    ),
    ("D", "Telephone numbers", "Not exported."),
    ("E", "Fax numbers", "Not held; not exported."),
    ("F", "Email addresses", "Not exported."),
    ("G", "Social Security numbers", "Not held; not exported."),
    ("H", "Medical record numbers", "Not exported: no record id; a random study id instead."),
    ("I", "Health plan beneficiary numbers", "Not held; not exported."),
    ("J", "Account numbers", "Not exported."),
    (
        "K",
        "Certificate/license numbers",
        "Not exported (no clinician or therapist licence, no DEA number).",
    ),
    ("L", "Vehicle identifiers and serial numbers", "Not held; not exported."),
    (
        "M",
        "Device identifiers and serial numbers",
        "Not exported (no nasal device, pump or drug lot number).",
    ),
    ("N", "Web URLs", "Not exported."),
    ("O", "IP addresses", "Not exported (the access log is not part of the export)."),
    ("P", "Biometric identifiers", "Not held; not exported."),
    ("Q", "Full-face photographs and comparable images", "Not held; not exported."),
    (
        "R",
        "Any other unique identifying number, characteristic or code",
        "Record ids are replaced by random study ids (secrets.token_hex), new at each "
        "export and not derived from any record; free text (notes, goals, intentions, "
        "reasons, comments) is not exported.",
    ),
]
