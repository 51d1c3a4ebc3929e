"""Which observation codes a bedside monitor sends for the vital signs kapcare records,
and in which units, kept as data (docs/clinical-reference.md#ieee-11073-device-codes).

- MDC codes (IEEE 11073-10101 nomenclature, as IHE PCD-01 "Communicate PCD Data" sends
  them in OBX-3 with coding system "MDC"): NIBP systolic 150021, diastolic 150022, mean
  150023; invasive (arterial) systolic 150017, diastolic 150018, mean 150019; pulse rate
  149546 (non-invasive), 149530 (from the pulse oximeter); heart rate 147842 (from the
  ECG); SpO2 150456; respiration rate 151562.
- LOINC codes (coding system "LN"), as the FHIR R4 vital-signs profile names them:
  systolic 8480-6, diastolic 8462-4, mean 8478-0, heart rate 8867-4, SpO2 59408-5 and
  2708-6, respiratory rate 9279-1.

A mean arterial pressure is understood but not recorded: the dosing record keeps systolic
and diastolic only. Any other code (a temperature, an ST segment) is left aside: monitors
send many more parameters than the record keeps.
"""

from kapcare.dosing.vitals import rules

# Understood but not recorded (mean arterial pressure).
NOT_RECORDED = ""

MDC = "MDC"
LOINC = "LN"

# (coding system, code) → the vital's key in `vitals.rules.VITALS`, or NOT_RECORDED.
CODES: dict[tuple[str, str], str] = {
    (MDC, "150021"): rules.SYSTOLIC,
    (MDC, "150022"): rules.DIASTOLIC,
    (MDC, "150023"): NOT_RECORDED,
    (MDC, "150017"): rules.SYSTOLIC,
    (MDC, "150018"): rules.DIASTOLIC,
    (MDC, "150019"): NOT_RECORDED,
    (MDC, "149546"): rules.HEART_RATE,
    (MDC, "149530"): rules.HEART_RATE,
    (MDC, "147842"): rules.HEART_RATE,
    (MDC, "150456"): rules.SPO2,
    (MDC, "151562"): rules.RESPIRATORY_RATE,
    (LOINC, "8480-6"): rules.SYSTOLIC,
    (LOINC, "8462-4"): rules.DIASTOLIC,
    (LOINC, "8478-0"): NOT_RECORDED,
    (LOINC, "8867-4"): rules.HEART_RATE,
    (LOINC, "59408-5"): rules.SPO2,
    (LOINC, "2708-6"): rules.SPO2,
    (LOINC, "9279-1"): rules.RESPIRATORY_RATE,
}

# Coding systems as monitors spell them in the third component of OBX-3.
CODING_SYSTEMS = {"MDC": MDC, "LN": LOINC, "LOINC": LOINC}

# The units a value may come in (OBX-6, its code or its name): MDC units (IEEE 11073-10101
# dimensions) and UCUM. A value in any other unit (kPa, a fraction) is refused rather than
# converted. No unit at all is read as the vital's own unit.
UNITS: dict[str, frozenset[str]] = {
    rules.SYSTOLIC: frozenset({"266016", "MDC_DIM_MMHG", "mm[Hg]", "mmHg"}),
    rules.DIASTOLIC: frozenset({"266016", "MDC_DIM_MMHG", "mm[Hg]", "mmHg"}),
    rules.HEART_RATE: frozenset({"264864", "MDC_DIM_BEAT_PER_MIN", "/min", "{beats}/min"}),
    rules.SPO2: frozenset({"262688", "MDC_DIM_PERCENT", "%"}),
    rules.RESPIRATORY_RATE: frozenset({"264928", "MDC_DIM_RESP_PER_MIN", "/min", "{breaths}/min"}),
}
