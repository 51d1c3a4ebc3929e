"""Esketamine (Spravato) under its REMS: the patient's REMS enrolment (a gate before the
first dose), the nasal devices of a session, the resolution of its effects before
discharge, its blood-pressure schedule, and the REMS Patient Monitoring Form with its
submission (docs/clinical-reference.md#esketamine)."""
