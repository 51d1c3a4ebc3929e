"""`manage.py mllp_listener --port 2575`: take vital signs from bedside monitors over HL7
v2 / MLLP (kapcare/dosing/monitors/listener.py) until stopped (Ctrl-C or SIGTERM)."""

import asyncio
import contextlib
import errno
import signal

from django.core.management.base import BaseCommand, CommandError

from kapcare.dosing.monitors import listener


class Command(BaseCommand):
    help = "Listen for HL7 v2 ORU^R01 messages from bedside monitors over MLLP."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Address to listen on (default 127.0.0.1; the monitors' network in production).",
        )
        parser.add_argument(
            "--port", type=int, default=2575, help="TCP port (default 2575; 0: any free port)."
        )
        parser.add_argument(
            "--or-free-port",
            action="store_true",
            help="If the port is taken, listen on a free one instead (development).",
        )

    def handle(self, *args, host: str, port: int, or_free_port: bool, **options):
        if not 0 <= port <= 65535:
            raise CommandError("The port must be from 0 to 65535.")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve(host, port, or_free_port))

    async def serve(self, host: str, port: int, or_free_port: bool) -> None:
        try:
            server = await listener.start(host, port)
        except OSError as error:
            if not (or_free_port and error.errno == errno.EADDRINUSE):
                raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from error
            server = await listener.start(host, 0)
        bound = server.sockets[0].getsockname()[1]
        self.stdout.write(f"MLLP listener for bedside monitors on {host}:{bound}", ending="\n")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with server:
            await stop.wait()
        self.stdout.write("MLLP listener stopped.")
