"""What a network-booting laptop asks first, run inside its namespace by the PXE test:
a PXE DHCPDISCOVER (as a BIOS firmware's PXE ROM sends it, then as iPXE sends it) and a
TFTP read of a file. Prints one JSON object: the proxy offers' boot file names and the
TFTP file's sha256. Usage: pxe_probe.py SERVER_IP TFTP_FILE CLIENT_IP
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import sys


def discover(ipxe: bool) -> dict[str, object]:
    xid = os.urandom(4)
    mac = b"\x52\x54\x00" + os.urandom(3)
    packet = struct.pack("!BBBB4sHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                         bytes(4), bytes(4), bytes(4), bytes(4), mac.ljust(16, b"\0"),
                         b"", b"")  # fmt: skip
    options = b"\x63\x82\x53\x63" + b"\x35\x01\x01"  # magic cookie, DHCPDISCOVER
    vendor = b"PXEClient:Arch:00000:UNDI:002001"
    options += bytes([60, len(vendor)]) + vendor + b"\x5d\x02\x00\x00"  # arch 0: BIOS
    options += b"\x61\x11\x00" + os.urandom(16)  # client machine id (UUID)
    if ipxe:
        options += bytes([77, 4]) + b"iPXE" + bytes([175, 3, 0x13, 1, 1])  # user class, 175
    options += b"\xff"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", 68))
        sock.settimeout(3)
        found: dict[str, object] = {"offer": False}
        for _ in range(3):
            sock.sendto(packet + options, ("255.255.255.255", 67))
            try:
                while True:
                    answer, _ = sock.recvfrom(2048)
                    if answer[4:8] == xid:
                        break
            except TimeoutError:
                continue
            menu = _suboption((_option(answer, 43) or "").encode("latin-1"), 9)
            item = menu[:2] if menu else b"\0\0"
            found = {"offer": True, "vendor_class": _option(answer, 60), "item": item.hex()}
            # The PXE boot-server request (port 4011) for that menu item gives the file.
            request = bytearray(packet)
            request[12:16] = socket.inet_aton(CLIENT_IP)  # ciaddr: the school's DHCP gave it
            boot_item = b"\x47\x04" + item + b"\0\0"  # PXE_BOOT_ITEM: type, layer 0
            extra = b"\x35\x01\x03" + bytes([43, len(boot_item) + 1]) + boot_item + b"\xff"
            sock.sendto(bytes(request) + options[:4] + extra + options[7:], (_server(answer), 4011))
            ack, _ = sock.recvfrom(2048)
            found["file"] = ack[108:236].split(b"\0", 1)[0].decode()
            return found
        return found


def _server(packet: bytes) -> str:
    return socket.inet_ntoa((_option(packet, 54) or "").encode("latin-1"))


def _suboption(data: bytes, code: int) -> bytes | None:
    at = 0
    while at + 1 < len(data) and data[at] != 255:
        if data[at] == code:
            return data[at + 2 : at + 2 + data[at + 1]]
        at += 2 + data[at + 1]
    return None


def _option(packet: bytes, code: int) -> str | None:
    at = 240
    while at < len(packet) and packet[at] != 255:
        if packet[at] == 0:
            at += 1
            continue
        length = packet[at + 1]
        if packet[at] == code:
            return packet[at + 2 : at + 2 + length].decode("latin-1")
        at += 2 + length
    return None


def tftp_get(server: str, name: str) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"\x00\x01" + name.encode() + b"\0octet\0", (server, 69))
        data, block = b"", 1
        while True:
            packet, peer = sock.recvfrom(600)
            opcode, number = struct.unpack("!HH", packet[:4])
            if opcode == 5:
                raise RuntimeError(f"TFTP error {number}: {packet[4:-1].decode()}")
            if opcode == 3 and number == block:
                data += packet[4:]
                sock.sendto(struct.pack("!HH", 4, number), peer)
                block += 1
                if len(packet) - 4 < 512:
                    return data


CLIENT_IP = "0.0.0.0"


def main() -> None:
    global CLIENT_IP
    server, name, CLIENT_IP = sys.argv[1], sys.argv[2], sys.argv[3]
    result = {
        "firmware": discover(ipxe=False),
        "ipxe": discover(ipxe=True),
        "tftp_sha256": hashlib.sha256(tftp_get(server, name)).hexdigest(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
