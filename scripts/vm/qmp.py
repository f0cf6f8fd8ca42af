"""A minimal QMP client (QEMU's JSON monitor): hot-plug (drive_add, device_add/del) and
key presses on the emulated keyboard (send-key)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


class QMPError(RuntimeError):
    pass


class QMP:
    def __init__(self, path: Path, timeout_s: float = 30) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        self._sock.connect(str(path))
        self._file = self._sock.makefile("rwb")
        self.events: list[dict[str, Any]] = []
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        line = self._file.readline()
        if not line:
            raise QMPError("QMP connection closed")
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, command: str, **arguments: Any) -> Any:
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self._file.write(json.dumps(request).encode() + b"\n")
        self._file.flush()
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise QMPError(f"{command}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def hmp(self, command_line: str) -> str:
        """A human-monitor command (drive_add has no QMP twin that -drive strings fit)."""
        output = str(self.execute("human-monitor-command", **{"command-line": command_line}))
        # HMP reports errors as text; drive_add prints "OK" on success, others nothing.
        if output.strip() not in ("", "OK"):
            raise QMPError(f"{command_line}: {output.strip()}")
        return output

    def drive_add(self, spec: str) -> None:
        self.hmp(f"drive_add 0 {spec}")

    def device_add(self, spec: str) -> None:
        driver, _, rest = spec.partition(",")
        arguments: dict[str, Any] = {"driver": driver}
        for item in filter(None, rest.split(",")):
            key, _, value = item.partition("=")
            arguments[key] = value
        self.execute("device_add", **arguments)

    def device_del(self, device_id: str) -> None:
        self.execute("device_del", id=device_id)

    def send_key(self, chord: str, hold_ms: int = 100) -> None:
        """Press and release one key or chord, spelt as HMP's sendkey does ('a', 'ret',
        'shift-a', 'ctrl-c'; QEMU's qcode names) through QMP `send-key`: the event goes to
        the guest's emulated keyboard like a finger on it."""
        keys = [{"type": "qcode", "data": name} for name in chord.split("-")]
        self.execute("send-key", keys=keys, **{"hold-time": hold_ms})

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            self._sock.close()

    def __enter__(self) -> QMP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
