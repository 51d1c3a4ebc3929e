"""Reading an HL7 v2.x `ORU^R01` from a bedside monitor, and writing the `ACK` it gets, with
the `hl7` package (never by splitting strings). No Django here: plain values in and out.

What a monitor sends (IHE PCD Technical Framework vol. 2, PCD-01 "Communicate PCD Data"):
MSH (MSH-3 the sending application, MSH-7 the time, MSH-9 `ORU^R01`, MSH-10 the control
id), PID, PV1, OBR (OBR-7 the observation time), then one OBX per parameter: OBX-3 its code
(`code^name^coding system`, MDC or LOINC, `codes.CODES`), OBX-5 the value, OBX-6 its unit,
OBX-11 the result status, OBX-14 the time it was measured and OBX-18 the equipment
instance identifier (the monitor's id).

The acknowledgement (HL7 v2.5 §2.9 original mode; MSA-1 from table 0008): `AA` accepted,
`AE` an error in what the message says (an unknown monitor, no session under way, a value
that cannot be a reading), `AR` a message kapcare cannot read or does not take. The reason
is in MSA-3 and in an ERR segment (ERR-3 from table 0357, ERR-4 severity, ERR-8 the text).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import hl7

from kapcare.dosing.monitors import codes

ACCEPT, ERROR, REJECT = "AA", "AE", "AR"

# HL7 table 0357, message error condition codes.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNKNOWN_KEY = "204"
APPLICATION_ERROR = "207"
ERROR_NAMES = {
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNKNOWN_KEY: "Unknown key identifier",
    APPLICATION_ERROR: "Application internal error",
}

# OBX-11 result statuses (HL7 table 0085) that carry no value to record: results cannot be
# obtained (X), deleted (D), wrongly transmitted (W).
NO_RESULT_STATUSES = frozenset({"X", "D", "W"})

# The acknowledgement's sending application.
RECEIVER = "KAPCARE"


class MessageRefused(Exception):
    """The message is answered `AE` or `AR` with `reason` and an HL7 table 0357 code."""

    def __init__(self, ack_code: str, reason: str, error_code: str = APPLICATION_ERROR):
        super().__init__(reason)
        self.ack_code = ack_code
        self.reason = reason
        self.error_code = error_code


@dataclass(frozen=True)
class Measurement:
    """One OBX that kapcare records: which vital sign (a key of `vitals.rules.VITALS`) and
    its value, rounded to a whole number as the record keeps them."""

    vital: str
    value: int


@dataclass(frozen=True)
class MonitorReport:
    """What one `ORU^R01` says: which message (MSH-10), which monitor, when (None when the
    message gives no time; naive when it gives no offset) and the values by vital sign."""

    control_id: str
    device_id: str
    taken_at: datetime | None
    values: dict[str, int] = field(default_factory=dict)


def parse_message(text: str) -> hl7.Message:
    """The message as the `hl7` package reads it; refused `AR` when it is not HL7 v2."""
    text = text.strip("\r\n")
    if not text.startswith("MSH"):
        raise MessageRefused(REJECT, "This is not an HL7 v2 message.", SEGMENT_SEQUENCE_ERROR)
    try:
        return hl7.parse(text)
    except (ValueError, IndexError, KeyError) as error:
        raise MessageRefused(
            REJECT, "This HL7 message cannot be read.", SEGMENT_SEQUENCE_ERROR
        ) from error


def read_report(message: hl7.Message) -> MonitorReport:
    """The monitor, the time and the vital signs of an `ORU^R01`, or `MessageRefused`.

    The monitor is OBX-18's entity identifier (all OBX naming one must name the same);
    without one, MSH-3's universal id, else its namespace id. The time is the first recorded
    OBX's OBX-14, else OBR-7, else MSH-7. When a vital sign comes twice (heart rate from
    the ECG and pulse from the oximeter) the first is kept."""
    msh = message.segment("MSH")
    control_id = _component(msh, 10)
    if not control_id:
        raise MessageRefused(
            REJECT, "MSH-10 (message control id) is empty.", REQUIRED_FIELD_MISSING
        )
    message_type = _component(msh, 9, 1)
    event = _component(msh, 9, 2)
    if message_type != "ORU":
        raise MessageRefused(
            REJECT,
            f"kapcare takes ORU^R01 observation messages, not {message_type or 'this type'}.",
            UNSUPPORTED_MESSAGE_TYPE,
        )
    if event != "R01":
        raise MessageRefused(
            REJECT, f"kapcare takes ORU^R01, not ORU^{event or '?'}.", UNSUPPORTED_EVENT
        )
    observations = _segments(message, "OBX")
    device_id = _device_id(msh, observations)
    values: dict[str, int] = {}
    taken_at = None
    for obx in observations:
        measurement = read_observation(obx)
        if measurement is None or measurement.vital in values:
            continue
        values[measurement.vital] = measurement.value
        if taken_at is None:
            taken_at = _time(_component(obx, 14), "OBX-14")
    if not values:
        raise MessageRefused(
            ERROR,
            "The message holds no vital sign kapcare records (systolic, diastolic, heart "
            "rate, SpO2, respiratory rate).",
            REQUIRED_FIELD_MISSING,
        )
    if taken_at is None:
        obr = _segments(message, "OBR")
        taken_at = _time(_component(obr[0], 7), "OBR-7") if obr else None
    if taken_at is None:
        taken_at = _time(_component(msh, 7), "MSH-7")
    return MonitorReport(
        control_id=control_id, device_id=device_id, taken_at=taken_at, values=values
    )


def read_observation(obx: hl7.Segment) -> Measurement | None:
    """The vital sign an OBX carries, or None for one kapcare does not record (another
    parameter, a mean pressure, a result that could not be obtained). Refused: a value that
    is not a number, or in a unit other than the vital's."""
    coding_system = codes.CODING_SYSTEMS.get(_component(obx, 3, 3))
    code = _component(obx, 3, 1)
    vital = codes.CODES.get((coding_system, code), codes.NOT_RECORDED)
    if vital == codes.NOT_RECORDED:
        return None
    if _component(obx, 11) in NO_RESULT_STATUSES:
        return None
    raw = _component(obx, 5)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise MessageRefused(
            REJECT, f"OBX-5 of code {code} is not a number: {raw!r}.", DATA_TYPE_ERROR
        )
    unit_code = _component(obx, 6, 1)
    unit_name = _component(obx, 6, 2)
    accepted = codes.UNITS[vital]
    if (unit_code or unit_name) and not ({unit_code, unit_name} & accepted):
        raise MessageRefused(
            ERROR,
            f"OBX-6 of code {code}: unit {unit_name or unit_code} is not one kapcare takes "
            f"for this value ({', '.join(sorted(accepted))}).",
            DATA_TYPE_ERROR,
        )
    return Measurement(vital, int(number.to_integral_value(rounding=ROUND_HALF_UP)))


def _component(segment: hl7.Segment, field_num: int, component_num: int = 1) -> str:
    """A field's component as text (unescaped), "" when the message leaves it out."""
    try:
        return segment.extract_field(field_num=field_num, component_num=component_num)
    except IndexError:
        return ""


def _segments(message: hl7.Message, segment_id: str) -> list:
    try:
        return list(message.segments(segment_id))
    except KeyError:
        return []


def _device_id(msh: hl7.Segment, observations: list) -> str:
    named = {_component(obx, 18, 1) for obx in observations} - {""}
    if len(named) > 1:
        raise MessageRefused(
            REJECT,
            "The OBX segments name several monitors (OBX-18): send one message per monitor.",
            APPLICATION_ERROR,
        )
    if named:
        return named.pop()
    sender = _component(msh, 3, 2) or _component(msh, 3, 1)
    if not sender:
        raise MessageRefused(
            REJECT,
            "The message names no monitor: neither OBX-18 nor MSH-3 is given.",
            REQUIRED_FIELD_MISSING,
        )
    return sender


def _time(value: str, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return hl7.parse_datetime(value)
    except ValueError as error:
        raise MessageRefused(
            REJECT, f"{where} is not an HL7 date and time: {value!r}.", DATA_TYPE_ERROR
        ) from error


# --- The acknowledgement ------------------------------------------------------------------------


# What an ACK is made from when the message cannot be answered as it came.
EMPTY_MESSAGE = f"MSH|^~\\&|||{RECEIVER}||||ACK^R01||P|2.5"


def _control_id(message: hl7.Message | None) -> str:
    try:
        return _component(message.segment("MSH"), 10)
    except (AttributeError, KeyError, IndexError):
        return ""


def acknowledge(
    message: hl7.Message | None, ack_code: str, reason: str = "", error_code: str = ""
) -> hl7.Message:
    """The `ACK` to `message` (to an unreadable one: an `ACK` with an empty MSA-2), with
    the reason in MSA-3 and, for AE and AR, an ERR segment."""
    try:
        ack = message.create_ack(ack_code=ack_code, application=RECEIVER)
    except (AttributeError, TypeError, IndexError, KeyError):
        # No message, or an MSH the `hl7` package cannot answer (MSH-9 without its event):
        # an ACK of our own, repeating the control id when there is one.
        control_id = _control_id(message)
        ack = hl7.parse(EMPTY_MESSAGE).create_ack(ack_code=ack_code, application=RECEIVER)
        if control_id:
            ack.segment("MSA").assign_field(ack.escape(control_id), 2)
    msa = ack.segment("MSA")
    if reason:
        msa.assign_field(ack.escape(reason), 3)
    if ack_code != ACCEPT:
        err = ack.create_segment([ack.create_field(["ERR"])])
        code = error_code or APPLICATION_ERROR
        err.assign_field(code, 3, 1, 1)
        err.assign_field(ERROR_NAMES.get(code, ""), 3, 1, 2)
        err.assign_field("HL70357", 3, 1, 3)
        err.assign_field("E", 4)
        err.assign_field(ack.escape(reason), 8)
        ack.append(err)
    return ack
