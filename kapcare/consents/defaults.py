"""The documents a new clinic starts with, written for kapcare. A clinic's admin edits and
republishes them (new versions); these texts are only version 1.

Sources for the facts stated: ketamine hydrochloride's FDA label (anaesthetic; no
psychiatric indication); Spravato (esketamine) label and REMS (treatment-resistant
depression, depressive symptoms with suicidal ideation); Sanacora et al. 2017 (APA consensus
on ketamine for mood disorders: off-label use, risks); Dore et al. 2019 (KAP in office
practice); the Spravato label §5 and ASKP3's guidance on consent (escort, no driving; which
ASKP3 document is to be confirmed); the consent names the patient's own model of care,
and a standalone infusion has its own consent promising no psychotherapy (Dore et al. 2019
on the models; docs/clinical-reference.md#consent-per-model-of-care); HIPAA 45 CFR
164.508(c) (the core elements and statements of an authorisation). See
docs/clinical-reference.md#treatment-consent-content and #sharing-authorisation.
"""

from kapcare.consents.models import DocumentKind

TREATMENT_CONSENT = """\
# Consent to ketamine-assisted psychotherapy

**Patient:** {{ patient_name }}, born {{ patient_birth_date }}

**Clinic:** {{ clinic_name }}

Please read this carefully. Ask us anything before you sign: {{ clinic_phone }}.

## What you consent to

Ketamine-assisted psychotherapy (KAP) combines doses of ketamine, given by our medical
staff, with psychotherapy to prepare for each dose and to make sense of it afterwards
("integration"). The course of care we agreed with you is:

{{ care_model }}

If we change this model of care, we will ask you to read and sign a new consent for it
before your next dose.

## Ketamine's approval, and off-label use

Ketamine is approved by the U.S. Food and Drug Administration (FDA) as an **anaesthetic**.
Its use for depression, anxiety, post-traumatic stress, and similar conditions is
**off-label**: it is legal and supported by research, but the FDA has not approved
ketamine for these uses. The one approved exception is esketamine (Spravato) nasal spray,
for treatment-resistant depression and for depressive symptoms with suicidal thoughts,
which is given under its own safety programme.

## Risks and side effects

- **Dissociation:** feeling detached from your body or surroundings, changes in vision,
  sound and sense of time. It usually passes within an hour or two of the dose.
- **Blood pressure and heart rate rise** during the dose; we check them before, during and
  after, and may delay or stop a dose when they are too high.
- **Nausea and vomiting**, dizziness, headache, drowsiness, blurred vision.
- **Misuse potential:** ketamine can be misused. Take it only as we give it to you.
- **Bladder effects:** frequent, long-term use of ketamine can damage the bladder. Tell us
  about pain or urgency when passing urine.
- Rarely: anxiety or distressing experiences during the dose, confusion, slowed breathing.
- Ketamine may not help you, and symptoms may return after the course.

## Before and after each dose

- Do not eat for 6 hours or drink anything for 2 hours before a dose, unless we tell you
  otherwise.
- An adult must take you home. You may not leave alone.
- **Do not drive**, operate machinery or make important decisions until the next day.
- Tell us about every medicine, supplement or substance you take, and any change.

## Cost

We will give you a written estimate of the cost of your **whole course** of treatment
before it starts. Ketamine treatment for these conditions is **generally not covered by
insurance**; you are responsible for the cost. To claim part of it from your insurer
yourself, ask the clinic for a superbill. If you are uninsured, or insured but not filing
a claim, you have the right to a written Good Faith Estimate of the expected charges (No
Surprises Act): we give you one when your sessions are booked and whenever you ask.

{{ course_cost_estimate }}

## Your rights

Taking part is your choice. You may **stop treatment at any time** and withdraw this
consent, without any effect on the rest of your care. Withdrawing does not undo treatment
already given.

## Your agreement

By signing, I confirm that I have read this consent, that my questions were answered, and
that I agree to ketamine-assisted psychotherapy at {{ clinic_name }}.
"""


def _section(text: str, first: str, stop: str) -> str:
    """The part of `text` from the heading `first` up to the heading `stop`."""
    return text[text.index(first) : text.index(stop)]


# The medical facts, cost and rights are the same whatever the model of care.
MEDICAL_SECTIONS = _section(
    TREATMENT_CONSENT, "## Ketamine's approval, and off-label use", "## Your rights"
)
YOUR_RIGHTS = _section(TREATMENT_CONSENT, "## Your rights", "## Your agreement")

STANDALONE_INFUSION_CONSENT = (
    """\
# Consent to standalone ketamine infusions

**Patient:** {{ patient_name }}, born {{ patient_birth_date }}

**Clinic:** {{ clinic_name }}

Please read this carefully. Ask us anything before you sign: {{ clinic_phone }}.

## What you consent to

{{ care_model }}

This treatment is **not ketamine-assisted psychotherapy**. We do not provide preparation
sessions, integration sessions or a therapist as part of it, and no psychotherapy is
promised. If you see a therapist or psychiatrist, keep doing so and tell them about this
treatment. If we change this model of care, we will ask you to read and sign a new
consent for it before your next dose.

"""
    + MEDICAL_SECTIONS
    + YOUR_RIGHTS
    + """\
## Your agreement

By signing, I confirm that I have read this consent, that my questions were answered, and
that I agree to standalone ketamine infusions, without psychotherapy, at {{ clinic_name }}.
"""
)

SHARING_AUTHORIZATION = """\
# Authorisation to share my health information with my therapist

**Patient:** {{ patient_name }}, born {{ patient_birth_date }}

**Who shares it:** {{ clinic_name }}

**With whom:** {{ therapist_name }} ({{ therapist_email }})

**What is shared** (only these parts of my record):

{{ shared_items }}

**Why:** {{ purpose }}

**Until:** the end of {{ expires_on }}, unless I revoke it earlier.

## What I understand

- **I may revoke this authorisation at any time**, in the patient portal or by telling the
  clinic ({{ clinic_phone }}). It ends at once, except for what was shared before.
- **My treatment does not depend on signing it.** The clinic will treat me whether or not
  I sign.
- **Re-disclosure:** once my information reaches the therapist, it may no longer be
  protected by federal privacy rules (HIPAA) and could be disclosed again by them.
- I may see every time the therapist views my record, under "Who viewed my record" in the
  portal, and I may ask for a copy of this authorisation.
"""

DOCUMENTS = {
    DocumentKind.TREATMENT: ("KAP treatment consent", TREATMENT_CONSENT),
    DocumentKind.STANDALONE: ("Standalone infusion consent", STANDALONE_INFUSION_CONSENT),
    DocumentKind.SHARING: ("Authorisation to share with my therapist", SHARING_AUTHORIZATION),
}
