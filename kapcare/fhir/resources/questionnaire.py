"""Questionnaire: the instruments kapcare administers (measures.instruments), each with
its LOINC codes where published (docs/clinical-reference.md#loinc). Not patient data and
not stored in a table: the same four for every caller, read by their instrument id."""

from kapcare.fhir import codes
from kapcare.fhir.resources.base import canonical, coding, without_empty
from kapcare.measures.instruments import INSTRUMENTS, YES_NO, Instrument, Item, Option

RESOURCE_TYPE = "Questionnaire"


def url(instrument_id: str) -> str:
    return canonical(f"Questionnaire/{fhir_id(instrument_id)}")


def answer_option(instrument: Instrument, option: Option) -> dict:
    if instrument.kind == YES_NO:
        return {"valueCoding": {"code": "Y" if option.value else "N", "display": option.label}}
    return {"valueCoding": {"code": str(option.value), "display": option.label}}


def question(instrument: Instrument, item: Item) -> dict:
    return without_empty(
        {
            "linkId": item.label,
            "code": [coding(codes.LOINC, item.loinc)] if item.loinc else None,
            "prefix": item.label,
            "text": item.text,
            "type": "choice",
            "required": item.only_if_yes_to is None,
            "enableWhen": (
                [
                    {
                        "question": instrument.items[item.only_if_yes_to - 1].label,
                        "operator": "=",
                        "answerCoding": {"code": "Y"},
                    }
                ]
                if item.only_if_yes_to is not None
                else None
            ),
            "answerOption": [answer_option(instrument, option) for option in instrument.options],
        }
    )


def to_fhir(instrument: Instrument) -> dict:
    data = without_empty(
        {
            "resourceType": RESOURCE_TYPE,
            "id": fhir_id(instrument.id),
            "url": url(instrument.id),
            "name": instrument.short_name.replace("-", "").replace(" ", ""),
            "title": instrument.name,
            "status": "active",
            "copyright": instrument.source,
            "code": (
                [coding(codes.LOINC, instrument.loinc_panel, instrument.name)]
                if instrument.loinc_panel
                else None
            ),
            "item": [question(instrument, item) for item in instrument.items],
        }
    )
    return data


def fhir_id(instrument_id: str) -> str:
    """FHIR ids take no underscore: `cssrs_screen` is `cssrs-screen`."""
    return instrument_id.replace("_", "-")


def find(fhir_id_value: str) -> Instrument | None:
    return INSTRUMENTS.get(fhir_id_value.replace("-", "_"))


def all_instruments() -> list[Instrument]:
    return list(INSTRUMENTS.values())
