#!/usr/bin/env python3
"""stdin/stdout <-> 127.0.0.1:PORT, for QEMU's guestfwd=...-cmd: (one process per guest
connection): the live VM's http://10.0.2.100/ reaches an inventory server on the host's
loopback while the guest network stays restricted (restrict=on). No netcat needed."""

import os
import socket
import sys
import threading


def main() -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    except OSError:
        return  # nothing listening: the guest sees its connection closed
    upstream.settimeout(None)

    def to_server() -> None:
        while data := os.read(0, 65536):
            upstream.sendall(data)
        # The guest closed its connection (QEMU closes our stdin): nothing more to relay.
        # (A half-close would make the HTTP server drop an answer it has not sent yet.)
        os._exit(0)

    threading.Thread(target=to_server, daemon=True).start()
    while data := upstream.recv(65536):
        os.write(1, data)


if __name__ == "__main__":
    main()
