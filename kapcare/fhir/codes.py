"""The code systems and codes kapcare writes into FHIR resources, kept as data with their
sources (docs/clinical-reference.md#codes). Clinical codes that live with the clinical
rules (LOINC of vitals in `dosing.vitals.rules`, of questionnaires in
`measures.instruments`, SNOMED CT routes in `episodes.models.ROUTE_SNOMED`) are read from
there, not repeated here."""

# Code system URIs, as FHIR R4 names them (hl7.org/fhir/R4/terminologies-systems.html).
LOINC = "http://loinc.org"
SNOMED_CT = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD_10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# A kapcare id as an identifier: RFC 3986 names a URI identifier system, and the id is
# written as a URN of the UUID (RFC 4122), so it is unique outside kapcare too.
URI_SYSTEM = "urn:ietf:rfc:3986"
# US Core's birth sex extension (hl7.org/fhir/us/core), whose codes `SexAtBirth` keeps.
US_CORE_BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"

# The drugs a dosing session gives, in RxNorm (docs/clinical-reference.md#rxnorm):
# ketamine as its ingredient; esketamine as the clinical drug form it is only given in,
# esketamine nasal spray (RxNorm 2201623, SCDF).
DRUG_RXNORM = {
    "ketamine": ("6130", "ketamine"),
    "esketamine": ("2201623", "esketamine Nasal Spray"),
}

# UCUM codes of the units vital signs are stored in (FHIR R4 vital-signs profile).
UCUM_UNITS = {"/min": "/min", "mmHg": "mm[Hg]", "%": "%"}

# LOINC 59284-0 "Patient Consent", the category FHIR R4's Consent examples use.
CONSENT_CATEGORY_LOINC = ("59284-0", "Patient Consent")
