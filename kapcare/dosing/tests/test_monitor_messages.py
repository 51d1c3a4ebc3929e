"""Reading a monitor's ORU^R01 and writing its ACK (`dosing.monitors.messages`): pure
functions over the `hl7` package's parse, table-driven over OBX segments as IHE PCD-01
monitors send them (MDC codes, IEEE 11073-10101) and as LOINC-coding gateways do."""

import datetime as dt

import hl7
import pytest

from kapcare.dosing.monitors import messages
from kapcare.dosing.monitors.messages import Measurement, MessageRefused

MSH = (
    "MSH|^~\\&|Infinity^0012080000000001^EUI-64|Suite2|KAPCARE||20261207141530+0000||"
    "ORU^R01^ORU_R01|MSG-0001|P|2.6|||NE|AL"
)
OBR = "OBR|1|||182777000^monitoring of patient^SCT|||20261207141500+0000"


def message(*segments: str, msh: str = MSH) -> hl7.Message:
    return messages.parse_message("\r".join([msh, "PID|||MRN-1", *segments]))


def obx(segment: str) -> hl7.Segment:
    return message(segment).segment("OBX")


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        # IHE PCD-01, MDC codes and MDC units
        (
            "OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.1.1.1|182|266016^MDC_DIM_MMHG^MDC|||||R",
            Measurement("sbp", 182),
        ),
        (
            "OBX|1|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.1.1.2|96|266016^MDC_DIM_MMHG^MDC|||||R",
            Measurement("dbp", 96),
        ),
        (
            "OBX|1|NM|150017^MDC_PRESS_BLD_ART_ABP_SYS^MDC|1.1.2.1|140|266016^MDC_DIM_MMHG^MDC",
            Measurement("sbp", 140),
        ),
        (
            "OBX|1|NM|149546^MDC_PULS_RATE_NON_INV^MDC|1.1.1.4|72|264864^MDC_DIM_BEAT_PER_MIN^MDC",
            Measurement("hr", 72),
        ),
        (
            "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.2.1.1|64|264864^MDC_DIM_BEAT_PER_MIN^MDC",
            Measurement("hr", 64),
        ),
        (
            "OBX|1|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.3.1.2|66|264864^MDC_DIM_BEAT_PER_MIN^MDC",
            Measurement("hr", 66),
        ),
        (
            "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.1|97|262688^MDC_DIM_PERCENT^MDC",
            Measurement("spo2", 97),
        ),
        (
            "OBX|1|NM|151562^MDC_RESP_RATE^MDC|1.4.1.1|14|264928^MDC_DIM_RESP_PER_MIN^MDC",
            Measurement("rr", 14),
        ),
        # LOINC codes and UCUM units
        (
            "OBX|1|NM|8480-6^Systolic blood pressure^LN||128|mm[Hg]^mm[Hg]^UCUM|||||F",
            Measurement("sbp", 128),
        ),
        (
            "OBX|1|NM|8462-4^Diastolic blood pressure^LN||82|mm[Hg]^mm[Hg]^UCUM|||||F",
            Measurement("dbp", 82),
        ),
        ("OBX|1|NM|8867-4^Heart rate^LN||80|/min^/min^UCUM|||||F", Measurement("hr", 80)),
        ("OBX|1|NM|59408-5^SpO2 by pulse oximetry^LN||95|%^%^UCUM|||||F", Measurement("spo2", 95)),
        ("OBX|1|NM|2708-6^Oxygen saturation^LN||99|%^%^UCUM|||||F", Measurement("spo2", 99)),
        ("OBX|1|NM|9279-1^Respiratory rate^LN||16|/min^/min^UCUM|||||F", Measurement("rr", 16)),
        # no unit: the vital's own; a decimal rounds half up
        ("OBX|1|NM|8867-4^Heart rate^LN||71.5||||||F", Measurement("hr", 72)),
        (
            "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||96.4|262688^MDC_DIM_PERCENT^MDC",
            Measurement("spo2", 96),
        ),
        # understood but not recorded: mean pressures
        ("OBX|1|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC||110|266016^MDC_DIM_MMHG^MDC", None),
        ("OBX|1|NM|8478-0^Mean blood pressure^LN||95|mm[Hg]^mm[Hg]^UCUM", None),
        # another parameter (temperature), another coding system, a code of the other system
        ("OBX|1|NM|150364^MDC_TEMP_BODY^MDC||37.1|268192^MDC_DIM_DEGC^MDC", None),
        ("OBX|1|NM|150021^Systolic^99LOCAL||120|mmHg", None),
        ("OBX|1|NM|8480-6^Systolic^MDC||120|mmHg", None),
        # results that could not be obtained, deleted or wrongly sent
        ("OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||120|266016^MDC_DIM_MMHG^MDC|||||X", None),
        ("OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||120|266016^MDC_DIM_MMHG^MDC|||||W", None),
    ],
)
def test_each_observation_maps_to_a_vital_sign_or_is_left_aside(segment, expected):
    assert messages.read_observation(obx(segment)) == expected


@pytest.mark.parametrize(
    ("segment", "ack_code", "words"),
    [
        ("OBX|1|NM|8867-4^Heart rate^LN||high||||||F", "AR", "not a number"),
        ("OBX|1|NM|8867-4^Heart rate^LN||||||||F", "AR", "not a number"),
        ("OBX|1|NM|8867-4^Heart rate^LN||NaN||||||F", "AR", "not a number"),
        ("OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||16|kPa^kPa^UCUM", "AE", "unit kPa"),
        ("OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||0.97|1^1^UCUM", "AE", "unit 1"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused(segment, ack_code, words):
    with pytest.raises(MessageRefused) as refused:
        messages.read_observation(obx(segment))
    assert refused.value.ack_code == ack_code
    assert words in refused.value.reason


SBP = "OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.1.1.1|185|266016^MDC_DIM_MMHG^MDC|||||R"
DBP = "OBX|2|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.1.1.2|95|266016^MDC_DIM_MMHG^MDC|||||R"


def test_the_report_names_the_message_the_monitor_of_msh_3_and_the_values():
    report = messages.read_report(message(OBR, SBP, DBP))

    assert (report.control_id, report.device_id, report.values) == (
        "MSG-0001",
        "0012080000000001",  # MSH-3's universal id (EUI-64)
        {"sbp": 185, "dbp": 95},
    )


def test_obx_18_names_the_monitor_before_msh_3():
    with_equipment = SBP + "|||20261207141450+0000||||SUITE2-MON^^0012080000000002^EUI-64"

    assert messages.read_report(message(with_equipment, DBP)).device_id == "SUITE2-MON"


def test_without_a_universal_id_msh_3_namespace_names_the_monitor():
    msh = MSH.replace("Infinity^0012080000000001^EUI-64", "BED-7")

    assert messages.read_report(message(SBP, msh=msh)).device_id == "BED-7"


def test_two_monitors_in_one_message_are_refused():
    first = SBP + "|||||||MON-A"
    second = DBP + "|||||||MON-B"

    with pytest.raises(MessageRefused, match="several monitors"):
        messages.read_report(message(first, second))


def test_the_time_is_the_observations_then_the_requests_then_the_messages():
    measured = SBP + "|||20261207141450+0000"
    utc = dt.UTC

    assert messages.read_report(message(OBR, measured)).taken_at == dt.datetime(
        2026, 12, 7, 14, 14, 50, tzinfo=utc
    )
    assert messages.read_report(message(OBR, SBP)).taken_at == dt.datetime(
        2026, 12, 7, 14, 15, tzinfo=utc
    )
    assert messages.read_report(message(SBP)).taken_at == dt.datetime(
        2026, 12, 7, 14, 15, 30, tzinfo=utc
    )


def test_a_time_without_an_offset_stays_naive_for_the_clinics_zone():
    msh = MSH.replace("20261207141530+0000", "20261207081530")

    assert messages.read_report(message(SBP, msh=msh)).taken_at == dt.datetime(
        2026, 12, 7, 8, 15, 30, tzinfo=dt.UTC
    ).replace(tzinfo=None)


def test_the_first_of_two_values_for_one_vital_sign_is_kept():
    ecg = "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC||64|264864^MDC_DIM_BEAT_PER_MIN^MDC"
    oximeter = "OBX|2|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC||66|264864^MDC_DIM_BEAT_PER_MIN^MDC"

    assert messages.read_report(message(ecg, oximeter)).values == {"hr": 64}


@pytest.mark.parametrize(
    ("msh", "segments", "ack_code", "error_code"),
    [
        (MSH.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"), [SBP], "AR", "200"),
        (MSH.replace("ORU^R01^ORU_R01", "ORU^R30^ORU_R30"), [SBP], "AR", "201"),
        (MSH.replace("MSG-0001", ""), [SBP], "AR", "101"),
        (MSH.replace("Infinity^0012080000000001^EUI-64", ""), [SBP], "AR", "101"),
        (MSH.replace("20261207141530+0000", "yesterday"), [SBP], "AR", "102"),
        (MSH, ["OBX|1|NM|150364^MDC_TEMP_BODY^MDC||37.1|268192^MDC_DIM_DEGC^MDC"], "AE", "101"),
        (MSH, [], "AE", "101"),
    ],
)
def test_a_message_kapcare_cannot_take_is_refused_with_its_table_0357_code(
    msh, segments, ack_code, error_code
):
    with pytest.raises(MessageRefused) as refused:
        messages.read_report(message(*segments, msh=msh))
    assert (refused.value.ack_code, refused.value.error_code) == (ack_code, error_code)


@pytest.mark.parametrize("text", ["", "hello", "PID|||1\rOBX|1|NM|8867-4^HR^LN||80"])
def test_text_that_is_not_hl7_is_rejected(text):
    with pytest.raises(MessageRefused) as refused:
        messages.parse_message(text)
    assert refused.value.ack_code == "AR"


def test_the_ack_repeats_the_control_id_and_swaps_sender_and_receiver():
    ack = hl7.parse(str(messages.acknowledge(message(SBP), "AA")))

    assert ack.segment("MSH").extract_field(field_num=9, component_num=1) == "ACK"
    assert ack.segment("MSH").extract_field(field_num=5, component_num=1) == "Infinity"
    assert ack.segment("MSH").extract_field(field_num=3) == "KAPCARE"
    assert ack.segment("MSA").extract_field(field_num=1) == "AA"
    assert ack.segment("MSA").extract_field(field_num=2) == "MSG-0001"
    with pytest.raises(KeyError):
        ack.segment("ERR")


def test_a_refusal_gives_its_reason_in_msa_3_and_err_escaped():
    reason = "No dosing session is under way in Suite 2 | east."

    ack = hl7.parse(str(messages.acknowledge(message(SBP), "AE", reason, "204")))

    assert ack.segment("MSA").extract_field(field_num=1) == "AE"
    assert ack.segment("MSA").extract_field(field_num=3) == reason
    err = ack.segment("ERR")
    assert err.extract_field(field_num=3, component_num=1) == "204"
    assert err.extract_field(field_num=4) == "E"
    assert err.extract_field(field_num=8) == reason


def test_an_unreadable_message_still_gets_an_ack():
    ack = hl7.parse(str(messages.acknowledge(None, "AR", "This is not an HL7 v2 message.")))

    assert ack.segment("MSA").extract_field(field_num=1) == "AR"
    assert ack.segment("MSA").extract_field(field_num=2) == ""


def test_a_message_whose_type_has_no_event_still_gets_an_ack_with_its_control_id():
    msh = MSH.replace("ORU^R01^ORU_R01", "ORU")
    received = message(SBP, msh=msh)

    ack = hl7.parse(str(messages.acknowledge(received, "AR", "kapcare takes ORU^R01.")))

    assert ack.segment("MSA").extract_field(field_num=1) == "AR"
    assert ack.segment("MSA").extract_field(field_num=2) == "MSG-0001"
