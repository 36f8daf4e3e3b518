"""A loopback SMTP server for AppealDesk's tests (needs `pip install aiosmtpd==1.4.6`).

    python3 tests/smtp/capture.py HOST PORT DIR

Stores every accepted mail as one file DIR/<uuid>.eml, written whole then renamed,
beginning with an `X-Envelope-To:` line listing the SMTP recipients. Answers 550 to
recipients containing "reject" unless DIR/accept-all exists. PORT 0 lets the system
choose a free port. Prints "ready PORT" once listening, and stops when its standard
input closes (so it never outlives the tests).
"""

import asyncio
import os
import sys
import uuid

from aiosmtpd.smtp import SMTP


class Capture:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        accept_all = os.path.exists(os.path.join(self.directory, "accept-all"))
        if "reject" in address.lower() and not accept_all:
            return "550 5.1.1 <%s>: recipient rejected by the test server" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        partial = os.path.join(self.directory, name + ".part")
        with open(partial, "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(partial, os.path.join(self.directory, name + ".eml"))
        return "250 2.0.0 Message accepted"


async def serve(host, port, directory):
    loop = asyncio.get_running_loop()
    handler = Capture(directory)
    # Bound here, on the port the system gives: no other process can take it meanwhile.
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), host=host, port=port
    )
    print("ready %d" % server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    asyncio.run(serve(host, port, directory))


if __name__ == "__main__":
    main()
