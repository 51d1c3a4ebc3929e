"""The MLLP listener: an asyncio server (the `hl7` package's `hl7.mllp` streams) that
takes one HL7 message per MLLP block from each connected monitor and writes back its ACK,
in order, on the same connection. The database work of each message runs in a worker
thread (`asyncio.to_thread`), which closes its connection afterwards; the event loop only
reads and writes sockets, so one slow message does not hold up the other monitors.

MLLP has no authentication of its own (HL7 v2.5 Appendix C): the listener belongs on the
monitors' network, behind a firewall (docs/deploying.md)."""

import asyncio
import contextlib
import logging

from django.db import close_old_connections, connection
from hl7.mllp import InvalidBlockError, start_hl7_server

from kapcare.dosing.monitors import messages, services

logger = logging.getLogger(__name__)

# The longest MLLP block read (a monitor's ORU^R01 is a few kilobytes).
BLOCK_LIMIT = 1024 * 1024


def answer_in_thread(block: bytes, peer: str | None) -> str:
    """`services.answer` with a database connection of the thread's own, closed after."""
    close_old_connections()
    try:
        return services.answer(block, peer=peer)
    finally:
        connection.close()


async def handle_connection(reader, writer) -> None:
    """Answer each block a monitor sends until it hangs up."""
    peername = writer.get_extra_info("peername")
    peer = peername[0] if peername else None
    try:
        while True:
            try:
                block = await reader.readblock()
            except asyncio.IncompleteReadError:
                break
            except (InvalidBlockError, ValueError):
                reply = str(
                    messages.acknowledge(
                        None,
                        messages.REJECT,
                        "This is not an MLLP block (start <VT>, end <FS><CR>) within 1 MiB.",
                        messages.SEGMENT_SEQUENCE_ERROR,
                    )
                )
            else:
                try:
                    reply = await asyncio.to_thread(answer_in_thread, block, peer)
                except Exception:
                    logger.exception("A monitor's message could not be answered.")
                    reply = str(
                        messages.acknowledge(
                            None, messages.ERROR, "kapcare could not record this message."
                        )
                    )
            writer.writeblock(reply.encode("utf-8"))
            await writer.drain()
    except ConnectionError:
        logger.info("A monitor's connection dropped.")
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start(host: str, port: int):
    """Start listening; the returned server's `sockets` tell the port bound (port 0: any
    free port)."""
    return await start_hl7_server(handle_connection, host, port, limit=BLOCK_LIMIT)
