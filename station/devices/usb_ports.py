"""Which of the laptop's USB ports saw a device plugged in, from udev's "add" events of
USB devices, for the ports test: the trainee plugs a stick into each port in turn.

A USB device's kernel name is its place in the tree: bus, then port numbers
('1-2', '3-1.4' behind a hub). The laptop's own port is the part before the first dot;
root hubs ('usb1') and interfaces ('1-2:1.0') are not plugged devices.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pyudev

from station.devices.udev import udev_daemon_running

log = logging.getLogger(__name__)
_DEVICE = re.compile(r"^(\d+-\d+)(?:\.\d+)*$")


def port_of(sys_name: str) -> str | None:
    """The laptop's port ('1-2') a USB device name ('1-2.3') hangs from, or None."""
    found = _DEVICE.match(sys_name)
    return found.group(1) if found else None


class UsbPortWatcher:
    """Calls `on_port(port)` (from the observer thread) for each USB device plugged in."""

    def __init__(self, on_port: Callable[[str], None], source: str | None = None) -> None:
        self.on_port = on_port
        self.source = source or ("udev" if udev_daemon_running() else "kernel")
        self._observer: Any = None

    def start(self) -> None:
        context = pyudev.Context()
        monitor = pyudev.Monitor.from_netlink(context, source=self.source)
        monitor.filter_by("usb", device_type="usb_device")
        self._observer = pyudev.MonitorObserver(
            monitor, callback=self._on_device, name="station-usb-ports"
        )
        self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer = None

    def _on_device(self, device: Any) -> None:
        try:
            port = port_of(device.sys_name)
            if device.action == "add" and port is not None:
                self.on_port(port)
        except Exception:  # an exception would end pyudev's thread: log it instead
            log.exception("usb port watcher: event for %s not handled", device.sys_name)
