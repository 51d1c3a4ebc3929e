"""The MLLP listener end to end: it runs on a free port in a thread of its own (its own
event loop, the database work in worker threads, as `manage.py mllp_listener` runs it),
and real ORU^R01 messages go to it over TCP with the `hl7` package's client. The readings
land on the dosing record through the vitals service, alerts and all; what cannot be taken
is answered AE or AR with the reason. The listener's threads see only committed rows, hence
`transaction=True`."""

import asyncio
import datetime as dt
import threading
import uuid

import hl7
import pytest
from django.db import connection
from hl7.client import MLLPClient

from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.dosing.models import MonitorMessage, Observation
from kapcare.dosing.monitors import listener
from kapcare.dosing.tests.test_api import bearer
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.scheduling.models import Room
from tests.factories import RoomFactory, open_episode, plan_session

pytestmark = pytest.mark.django_db(transaction=True)

MONITOR = "0012080000000001"


@pytest.fixture
def mllp_port():
    """The listener, started on a free port in a thread; stopped after the test."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    async def run():
        server = await listener.start("127.0.0.1", 0)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        started.set()
        async with server:
            await server.serve_forever()

    def main():
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run())
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert started.wait(10), "the listener did not start"
    yield holder["port"]
    loop.call_soon_threadsafe(holder["server"].close)
    thread.join(10)


@pytest.fixture
def suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite 2", monitor_device_id=MONITOR)


def under_way(patient, clinician, room) -> CareSession:
    """A dosing session in `room` that started 20 minutes ago."""
    now = dt.datetime.now(dt.UTC)
    episode = open_episode(patient, clinician)
    session = plan_session(episode, clinician, starts_at=now - dt.timedelta(minutes=20), room=room)
    # As `episodes.services.start_dosing_session` leaves it once every gate has passed.
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.IN_PROGRESS, started_at=session.planned_start, started_by=clinician
    )
    return session


def hl7_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")


def oru(*observations: tuple[str, str, str], control_id=None, device=MONITOR, taken_at=None):
    """An ORU^R01 as an IHE PCD-01 monitor sends it: (MDC code, name, value) per OBX, the
    monitor's EUI-64 in MSH-3."""
    control_id = control_id or uuid.uuid4().hex[:20]
    taken_at = hl7_time(taken_at or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    units = {
        "1500": "266016^MDC_DIM_MMHG^MDC",
        "1504": "262688^MDC_DIM_PERCENT^MDC",
        "1515": "264928^MDC_DIM_RESP_PER_MIN^MDC",
    }
    segments = [
        f"MSH|^~\\&|Monitor^{device}^EUI-64|Suite2|KAPCARE||{taken_at}||ORU^R01^ORU_R01|"
        f"{control_id}|P|2.6|||NE|AL|||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||MRN-1^^^Clinic^MR||Doe^Jane",
        "PV1||I|Suite2",
        f"OBR|1|||182777000^monitoring of patient^SCT|||{taken_at}",
    ]
    for number, (code, name, value) in enumerate(observations, start=1):
        unit = units.get(code[:4], "264864^MDC_DIM_BEAT_PER_MIN^MDC")
        segments.append(
            f"OBX|{number}|NM|{code}^{name}^MDC|1.1.1.{number}|{value}|{unit}|||||R|||{taken_at}"
        )
    return "\r".join(segments)


def send(port: int, text: str) -> hl7.Message:
    """Send one message with the `hl7` package's MLLP client; the ACK it got back."""
    with MLLPClient("127.0.0.1", port) as client:
        raw = client.send_message(text)
    return hl7.parse(raw.strip(b"\x0b\x1c\r").decode())


def msa(ack: hl7.Message) -> tuple[str, str, str]:
    segment = ack.segment("MSA")
    return tuple(segment.extract_field(field_num=n) for n in (1, 2, 3))


HIGH_BP = [
    ("150021", "MDC_PRESS_BLD_NONINV_SYS", "186"),
    ("150022", "MDC_PRESS_BLD_NONINV_DIA", "98"),
    ("150023", "MDC_PRESS_BLD_NONINV_MEAN", "127"),
    ("149546", "MDC_PULS_RATE_NON_INV", "88"),
    ("150456", "MDC_PULS_OXIM_SAT_O2", "97"),
    ("151562", "MDC_RESP_RATE", "14"),
]


def test_a_monitors_readings_land_on_the_dosing_record_with_a_high_bp_alert(
    mllp_port, patient, clinician, suite, client
):
    session = under_way(patient, clinician, suite)

    ack = send(mllp_port, oru(*HIGH_BP, control_id="MSG-1"))

    assert msa(ack) == ("AA", "MSG-1", "")
    rows = {o.vital: o for o in Observation.objects.filter(patient=patient)}
    assert {vital: row.value for vital, row in rows.items()} == {
        "sbp": 186,
        "dbp": 98,
        "hr": 88,
        "spo2": 97,
        "rr": 14,
    }
    assert {row.source for row in rows.values()} == {"device"}
    assert rows["sbp"].alert_threshold == "≥ 180"
    assert rows["sbp"].entered_by_id == clinician.pk
    # The dosing record, as the clinic's screens read it, shows the reading and its alert.
    url = f"/api/v1/dosing-sessions/{session.external_id}"
    api = client.get(url, headers=bearer(clinician)).json()
    assert api["vitals"][0]["alerts"] == [{"vital": "sbp", "value": 186, "threshold": "≥ 180"}]
    assert api["vitals"][0]["source"] == "device"


def test_the_reading_is_logged_as_written_by_the_system(mllp_port, patient, clinician, suite):
    under_way(patient, clinician, suite)

    send(mllp_port, oru(*HIGH_BP))

    entry = AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.CREATE, object_type="observation"
    ).get()
    assert (entry.channel, entry.actor_id, entry.ip_address) == (Channel.SYSTEM, None, "127.0.0.1")


def test_the_same_message_sent_again_is_recorded_once(mllp_port, patient, clinician, suite):
    under_way(patient, clinician, suite)
    message = oru(("149546", "MDC_PULS_RATE_NON_INV", "80"), control_id="MSG-7")

    first, again = send(mllp_port, message), send(mllp_port, message)

    assert msa(first)[:2] == msa(again)[:2] == ("AA", "MSG-7")
    assert Observation.objects.filter(patient=patient).count() == 1
    assert MonitorMessage.objects.filter(control_id="MSG-7").count() == 1


def test_several_messages_on_one_connection_are_answered_in_order(
    mllp_port, patient, clinician, suite
):
    under_way(patient, clinician, suite)

    with MLLPClient("127.0.0.1", mllp_port) as client:
        answers = [
            client.send_message(oru(("149546", "MDC_PULS_RATE_NON_INV", str(v)), control_id=c))
            for v, c in ((80, "A"), (82, "B"), (84, "C"))
        ]

    assert [msa(hl7.parse(a.strip(b"\x0b\x1c\r").decode()))[:2] for a in answers] == [
        ("AA", "A"),
        ("AA", "B"),
        ("AA", "C"),
    ]
    assert sorted(Observation.objects.values_list("value", flat=True)) == [80, 82, 84]


def test_an_unknown_monitor_is_answered_ae(mllp_port, patient, clinician, suite):
    under_way(patient, clinician, suite)

    ack = send(mllp_port, oru(*HIGH_BP, device="FFFF000000000000"))

    code, _, reason = msa(ack)
    assert (code, reason) == (
        "AE",
        "Monitor FFFF000000000000 is not set on any room: set its id on the room in kapcare.",
    )
    assert ack.segment("ERR").extract_field(field_num=3, component_num=1) == "204"
    assert not Observation.objects.exists()


def test_a_monitor_in_a_room_with_no_session_under_way_is_answered_ae(
    mllp_port, patient, clinician, suite
):
    plan_session(open_episode(patient, clinician), clinician, room=suite)  # planned, not begun

    code, _, reason = msa(send(mllp_port, oru(*HIGH_BP)))

    assert (code, reason) == ("AE", "No dosing session is under way in Suite 2.")
    assert not Observation.objects.exists()


def test_an_implausible_value_is_answered_ae_and_nothing_is_recorded(
    mllp_port, patient, clinician, suite
):
    under_way(patient, clinician, suite)
    message = oru(("150021", "MDC_PRESS_BLD_NONINV_SYS", "20"), ("149546", "PR", "80"))

    code, _, reason = msa(send(mllp_port, message))

    assert code == "AE"
    assert "Systolic blood pressure 20 mmHg cannot be right" in reason
    assert not Observation.objects.exists()


def test_a_refused_message_is_taken_when_sent_again_once_the_session_is_under_way(
    mllp_port, patient, clinician, suite
):
    session = plan_session(open_episode(patient, clinician), clinician, room=suite)
    message = oru(("149546", "MDC_PULS_RATE_NON_INV", "80"), control_id="MSG-9")
    assert msa(send(mllp_port, message))[0] == "AE"
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.IN_PROGRESS, started_by=clinician
    )

    assert msa(send(mllp_port, message))[0] == "AA"


def test_text_that_is_not_hl7_is_answered_ar(mllp_port):
    code, control_id, reason = msa(send(mllp_port, "hello"))

    assert (code, control_id, reason) == ("AR", "", "This is not an HL7 v2 message.")


def test_a_block_without_its_start_character_is_answered_ar_and_the_connection_goes_on(
    mllp_port, patient, clinician, suite
):
    under_way(patient, clinician, suite)

    with MLLPClient("127.0.0.1", mllp_port) as client:
        broken = client.send(b"MSH|^~\\&|x\x1c\r")
        fine = client.send_message(oru(("149546", "PR", "80"), control_id="OK"))

    assert msa(hl7.parse(broken.strip(b"\x0b\x1c\r").decode()))[0] == "AR"
    assert msa(hl7.parse(fine.strip(b"\x0b\x1c\r").decode()))[:2] == ("AA", "OK")


def test_the_listener_leaves_no_database_connection_open(mllp_port, patient, clinician, suite):
    under_way(patient, clinician, suite)
    if connection.vendor != "postgresql":
        pytest.skip("counts server connections on PostgreSQL")

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = backends()
    send(mllp_port, oru(("149546", "PR", "80")))

    assert backends() == before


def test_a_room_keeps_its_monitor_id(suite):
    assert Room.objects.get(pk=suite.pk).monitor_device_id == MONITOR
