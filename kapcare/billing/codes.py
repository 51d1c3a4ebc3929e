"""The code table a clinic starts with: each service it bills, its CPT or HCPCS code, and
where the code is defined. Sources and notes: docs/billing-reference.md#the-code-table.
The clinic edits its own table (each change a new version); these are only the defaults.

CPT descriptions are the clinic's plain-language words, not the AMA's descriptors."""

from kapcare.billing import rules

CPT, HCPCS = "CPT", "HCPCS"

# (key, system, code, plain description, modifiers, active by default, source)
DEFAULT_CODES = [
    (
        rules.IV_FIRST_HOUR,
        CPT,
        "96365",
        "Ketamine infusion into a vein, first hour",
        "",
        True,
        "CPT 96365: intravenous infusion for therapy, initial, up to 1 hour.",
    ),
    (
        rules.IV_ADDED_HOUR,
        CPT,
        "96366",
        "Ketamine infusion into a vein, each added hour",
        "",
        True,
        "CPT 96366: each additional hour (with 96365); a final part over 30 minutes counts.",
    ),
    (
        rules.IM_INJECTION,
        CPT,
        "96372",
        "Ketamine injection into a muscle",
        "",
        True,
        "CPT 96372: therapeutic injection, subcutaneous or intramuscular.",
    ),
    (
        rules.KETAMINE_DRUG,
        HCPCS,
        "J3490",
        "Ketamine (the medicine)",
        "",
        True,
        "HCPCS J3490: unclassified drugs; ketamine has no J code of its own, so the NDC of "
        "the vial is reported with it where known.",
    ),
    (
        rules.ESKETAMINE_UP_TO_56,
        HCPCS,
        "G2082",
        "Esketamine (Spravato) nasal spray session, up to 56 mg, with 2 hours' observation",
        "",
        True,
        "HCPCS G2082 (CMS, CY 2020 Physician Fee Schedule): visit with up to 56 mg "
        "esketamine self-administered, 2 hours' observation included.",
    ),
    (
        rules.ESKETAMINE_OVER_56,
        HCPCS,
        "G2083",
        "Esketamine (Spravato) nasal spray session, over 56 mg, with 2 hours' observation",
        "",
        True,
        "HCPCS G2083 (CMS, CY 2020 Physician Fee Schedule): as G2082, more than 56 mg.",
    ),
    (
        rules.VISIT_LOW,
        CPT,
        "99213",
        "Consultation with a clinician (20 minutes or more)",
        "",
        True,
        "CPT 99213: established patient office visit, low complexity or 20 minutes (2021 "
        "E/M guidelines).",
    ),
    (
        rules.VISIT_MODERATE,
        CPT,
        "99214",
        "Consultation with a clinician (30 minutes or more)",
        "",
        True,
        "CPT 99214: established patient office visit, moderate complexity or 30 minutes.",
    ),
    (
        rules.MONITORING_FIRST,
        CPT,
        "0820T",
        "Continuous in-person monitoring during the session, each hour",
        "",
        False,
        "CPT Category III 0820T (from 2024): continuous in-person monitoring and "
        "intervention during psychedelic medication therapy, first clinician, each hour.",
    ),
    (
        rules.MONITORING_SECOND,
        CPT,
        "0821T",
        "Monitoring by a second clinician, each hour",
        "",
        False,
        "CPT Category III 0821T: second physician or qualified professional, concurrent.",
    ),
    (
        rules.MONITORING_STAFF,
        CPT,
        "0822T",
        "Monitoring by clinical staff, each hour",
        "",
        False,
        "CPT Category III 0822T: clinical staff under direction, concurrent.",
    ),
    (
        rules.PSYCHOTHERAPY_30,
        CPT,
        "90832",
        "Psychotherapy session, 30 minutes",
        "",
        True,
        "CPT 90832: psychotherapy, 30 minutes (16–37).",
    ),
    (
        rules.PSYCHOTHERAPY_45,
        CPT,
        "90834",
        "Psychotherapy session, 45 minutes (preparation or integration)",
        "",
        True,
        "CPT 90834: psychotherapy, 45 minutes (38–52).",
    ),
    (
        rules.PSYCHOTHERAPY_60,
        CPT,
        "90837",
        "Psychotherapy session, 60 minutes",
        "",
        True,
        "CPT 90837: psychotherapy, 60 minutes (53 or more).",
    ),
]
